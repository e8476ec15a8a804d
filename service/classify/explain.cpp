// Builds the explain API's JSON from a classification and the action table.
#include "classify/explain.hpp"

#include <boost/json.hpp>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace rebound::classify {

namespace {

boost::json::value
string_or_null(std::string_view s)
{
    if (s.empty()) return nullptr;
    return boost::json::string(s);
}

boost::json::object
reply_json(smtp_reply const& reply)
{
    boost::json::object out;
    if (reply.code)
        out["code"] = *reply.code;
    else
        out["code"] = nullptr;
    out["enhanced"] = string_or_null(reply.enhanced);
    out["text"] = reply.text;
    if (reply.classes_disagree) out["classes_disagree"] = true;
    return out;
}

}  // namespace

boost::json::object
explain(classify_input const& in, action_table const& actions)
{
    auto const c = classify(in);
    auto const name = to_string(c.reason);

    boost::json::object out;
    out["reply"] = reply_json(c.reply);
    out["reason"] = string_or_null(name);
    out["severity"] = model::to_string(c.sev);
    // Two decimals: the numbers are rule weights, not measured probabilities.
    out["confidence"] = std::round(c.confidence * 100.0) / 100.0;
    out["matched"] = c.matched;

    auto const* entry = actions.find(name);
    out["action"] = entry ? string_or_null(entry->action) : boost::json::value(nullptr);
    out["address_dead"] = entry && entry->address_dead;
    if (entry)
        out["explanation"] = {{"en", entry->en}, {"ja", entry->ja}};
    else
        out["explanation"] = nullptr;
    out["classifier_version"] = classifier_version;
    return out;
}

boost::system::result<boost::json::object, std::string>
explain_json_line(std::string_view line, action_table const& actions)
{
    // One parser per thread: a bulk run reads many lines, and a parser's
    // buffers are worth keeping between them.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(simdjson::padded_string(line)).get(root) || !root.is_object())
        return {boost::system::in_place_error, "not a JSON object"};
    auto text = [&](char const* key) -> std::string_view {
        std::string_view v;
        return root[key].get_string().get(v) ? std::string_view{} : v;
    };

    classify_input in;
    in.diagnostic = text("diagnostic");
    in.enhanced_status = text("status");
    in.remote_host = text("rhost");
    in.smtp_command = text("command");
    in.provider = text("provider");
    in.esp_class = text("esp_class");
    in.esp_type = text("esp_type");
    // The code as a number or as text ("550"); anything else is no code.
    std::int64_t code = 0;
    if (root["smtp_code"].get_int64().get(code)) {
        auto const s = text("smtp_code");
        if (std::from_chars(s.data(), s.data() + s.size(), code).ec != std::errc{}) code = 0;
    }
    if (code >= 200 && code <= 599) in.smtp_code = static_cast<int>(code);

    if (auto const type = text("event_type"); !type.empty()) {
        in.type = model::parse_event_type(type);
        if (!in.type) return {boost::system::in_place_error, "event_type is deferred, bounce, block, drop, delivered or complaint"};
    } else if (auto const action = text("action"); action == "failed") {
        in.type = model::event_type::bounce;
    } else if (action == "delayed") {
        in.type = model::event_type::deferred;
    } else if (action == "delivered" || action == "relayed" || action == "expanded") {
        in.type = model::event_type::delivered;
    }

    // The input's id first, so that results can be joined back to inputs.
    boost::json::object out;
    if (auto const id = root["id"]; !id.error()) {
        if (std::string_view s; !id.get_string().get(s)) out["id"] = s;
        else if (std::int64_t n; !id.get_int64().get(n)) out["id"] = n;
    }
    for (auto& field : explain(in, actions)) out.emplace(field.key(), std::move(field.value()));
    return out;
}

}  // namespace rebound::classify
