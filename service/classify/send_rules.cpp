// The send-decision rule table (see send_rules.hpp).
#include "classify/send_rules.hpp"

#include "classify/reason.hpp"

#include <simdjson.h>

#include <fstream>
#include <sstream>

namespace rebound::classify {

namespace {

// The defaults, in the same format a file uses, so the built-in table is
// proof that the format can express it.
constexpr std::string_view default_rules_json = R"json({"rules": [
  {"name": "complaint",          "when": {"complained": true},   "decision": "stop"},
  {"name": "hard_bounce",        "when": {"hard_bounced": true}, "decision": "stop"},
  {"name": "domain_not_found",   "when": {"reason_in": ["hostunknown"], "streak_at_least": 2}, "decision": "stop"},
  {"name": "dns_or_network",     "when": {"reason_in": ["networkerror"], "streak_at_least": 3}, "decision": "stop"},
  {"name": "mailbox_full",       "when": {"reason_in": ["mailboxfull", "systemfull"], "streak_at_least": 3}, "decision": "notify"},
  {"name": "sender_side_block",  "when": {"reason_in": ["blocked", "badreputation", "spamdetected", "policyviolation",
                                                        "ratelimited", "authfailure", "contenterror", "securityerror",
                                                        "requireptr", "failedstarttls", "virusdetected", "norelaying",
                                                        "emailtoolarge", "notcompliantrfc", "syntaxerror", "filtered"]},
                                  "decision": "send"},
  {"name": "long_soft_streak",   "when": {"streak_at_least": 5}, "decision": "notify"},
  {"name": "default",            "when": {},                     "decision": "send"}
]})json";

std::optional<send_decision>
parse_decision(std::string_view s) noexcept
{
    if (s == "send") return send_decision::send;
    if (s == "notify") return send_decision::notify;
    if (s == "stop") return send_decision::stop;
    return std::nullopt;
}

boost::system::result<send_rules, std::string>
fail(std::string message)
{
    return {boost::system::in_place_error, std::move(message)};
}

}  // namespace

std::string_view
to_string(send_decision d) noexcept
{
    switch (d) {
    case send_decision::send: return "send";
    case send_decision::notify: return "notify";
    case send_decision::stop: return "stop";
    }
    return "send";
}

send_rules const&
send_rules::defaults()
{
    static send_rules const instance = [] {
        auto r = parse(default_rules_json);
        // The built-in table is a constant; failing here is a bug caught by
        // the unit tests, not a runtime condition.
        return r ? *r : send_rules{};
    }();
    return instance;
}

boost::system::result<send_rules, std::string>
send_rules::parse(std::string_view json)
{
    simdjson::dom::parser parser;
    simdjson::padded_string padded{json};
    simdjson::dom::element root;
    if (auto err = parser.parse(padded).get(root)) return fail(std::string("not valid JSON: ") + simdjson::error_message(err));
    simdjson::dom::array list;
    if (root["rules"].get_array().get(list)) return fail("\"rules\" must be an array");

    send_rules out;
    std::size_t index = 0;
    for (auto item : list) {
        auto const where = "rules[" + std::to_string(index++) + "]";
        simdjson::dom::object obj;
        if (item.get_object().get(obj)) return fail(where + " must be an object");
        send_rule rule;
        for (auto [key, value] : obj) {
            if (key == "name") {
                std::string_view v;
                if (value.get_string().get(v)) return fail(where + ".name must be a string");
                rule.name = v;
            } else if (key == "decision") {
                std::string_view v;
                if (value.get_string().get(v) || !parse_decision(v)) return fail(where + ".decision must be send, notify or stop");
                rule.decision = *parse_decision(v);
            } else if (key == "when") {
                simdjson::dom::object when;
                if (value.get_object().get(when)) return fail(where + ".when must be an object");
                for (auto [ckey, cval] : when) {
                    auto const cwhere = where + ".when." + std::string(ckey);
                    if (ckey == "hard_bounced" || ckey == "complained") {
                        bool b;
                        if (cval.get_bool().get(b)) return fail(cwhere + " must be true or false");
                        (ckey == "hard_bounced" ? rule.hard_bounced : rule.complained) = b;
                    } else if (ckey == "streak_at_least") {
                        int64_t n;
                        if (cval.get_int64().get(n) || n < 0 || n > 1000000) return fail(cwhere + " must be a non-negative integer");
                        rule.streak_at_least = static_cast<int>(n);
                    } else if (ckey == "reason_in") {
                        simdjson::dom::array reasons;
                        if (cval.get_array().get(reasons)) return fail(cwhere + " must be an array of reasons");
                        for (auto r : reasons) {
                            std::string_view name;
                            if (r.get_string().get(name) || !parse_reason(name))
                                return fail(cwhere + " has an unknown reason (see docs/classification.md)");
                            rule.reason_in.emplace_back(to_string(*parse_reason(name)));
                        }
                    } else {
                        return fail(cwhere + " is not a known condition");
                    }
                }
            } else {
                return fail(where + "." + std::string(key) + " is not a known field");
            }
        }
        if (rule.name.empty()) return fail(where + ".name is required");
        out.rules_.push_back(std::move(rule));
    }
    if (out.rules_.empty()) return fail("\"rules\" must not be empty");
    return out;
}

boost::system::result<send_rules, std::string>
send_rules::load_file(std::string const& path)
{
    if (path.empty()) return defaults();
    std::ifstream in{path, std::ios::binary};
    if (!in) return fail("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto r = parse(ss.str());
    if (!r) return fail(path + ": " + r.error());
    return r;
}

send_verdict
send_rules::decide(send_facts const& f) const noexcept
{
    for (auto const& rule : rules_) {
        if (rule.hard_bounced && *rule.hard_bounced != f.hard_bounced) continue;
        if (rule.complained && *rule.complained != f.complained) continue;
        if (f.soft_streak < rule.streak_at_least) continue;
        if (!rule.reason_in.empty()) {
            if (f.soft_streak == 0) continue;  // a reason condition is about the current streak
            bool found = false;
            for (auto const& r : rule.reason_in) found |= r == f.streak_reason;
            if (!found) continue;
        }
        return {rule.decision, rule.name};
    }
    return {send_decision::send, "no_rule"};
}

}  // namespace rebound::classify
