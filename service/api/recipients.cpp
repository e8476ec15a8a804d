// Status of one address or user, in bulk, and an address's timeline.
//
// App backends call these on every page view of a "my page", so each is one
// indexed lookup (recipient_state by primary key or user_ref, joined with the
// open notice) and the verdict is computed here from the rule table.
//
//   GET  /v1/recipients/{address}          status of one address
//   GET  /v1/recipients/{address}/events   its events, newest first
//   GET  /v1/users/{user_ref}              status of every address of a user
//   POST /v1/recipients/lookup             {"addresses": [...]}, up to 1,000
//   POST /v1/users/lookup                  {"user_refs": [...]}, up to 1,000
#include "api/api.hpp"
#include "api/support.hpp"
#include "classify/actions.hpp"
#include "classify/send_rules.hpp"
#include "model/event.hpp"
#include "store/reader.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <simdjson.h>

namespace rebound::api {

namespace {

constexpr std::size_t max_bulk = 1000;

boost::json::value
reason_object(classify::action_table const& actions, std::string_view reason)
{
    if (reason.empty()) return nullptr;
    boost::json::object o{{"code", reason}};
    if (auto const* a = actions.find(reason)) {
        o["action"] = a->action;
        o["en"] = a->en;
        o["ja"] = a->ja;
    }
    return o;
}

/// The status of one address: the app's answer to "what do I show this
/// user, and may I send?".
boost::json::object
status_of(context const& ctx, store::table const& t, std::size_t row)
{
    auto text = [&](std::string_view col) -> std::string { return t.cell(row, col).value_or(""); };
    auto json_or_null = [&](std::string_view col) -> boost::json::value {
        auto const& c = t.cell(row, col);
        return c ? boost::json::value(*c) : boost::json::value(nullptr);
    };

    bool const hard_active = text("hard_active") == "t";
    bool const complained = t.cell(row, "complained_at").has_value();
    int const streak = std::stoi(t.cell(row, "soft_streak").value_or("0"));
    auto const streak_reason = text("last_soft_reason");
    auto const verdict = ctx.rules.decide({hard_active, complained, streak, streak_reason});

    // The reason worth showing: the live hard bounce, else the streak's.
    std::string const reason = hard_active ? text("hard_reason") : (streak > 0 ? streak_reason : std::string{});

    boost::json::object o;
    o["address"] = text("recipient");
    o["domain"] = text("recipient_domain");
    o["user_ref"] = json_or_null("user_ref");
    o["known"] = true;
    o["should_send"] = verdict.decision != classify::send_decision::stop;
    o["decision"] = classify::to_string(verdict.decision);
    o["decision_rule"] = verdict.rule;
    o["needs_address_change"] = t.cell(row, "notice_id").has_value();
    if (auto const& id = t.cell(row, "notice_id"))
        o["notice"] = {{"id", std::stoll(*id)}, {"state", text("notice_state")}, {"reason", text("notice_reason")}};
    else
        o["notice"] = nullptr;
    o["soft_bounce_streak"] = streak;
    o["streak_started_at"] = json_or_null("streak_started_at");
    o["last_event"] = {{"type", text("last_event_type")}, {"at", text("last_event_at")}};
    o["last_delivered_at"] = json_or_null("last_delivered_at");
    o["last_soft_failure_at"] = json_or_null("last_soft_at");
    o["hard_bounced_at"] = json_or_null("hard_bounced_at");
    o["complained_at"] = json_or_null("complained_at");
    o["reason"] = reason_object(ctx.actions, reason);
    return o;
}

/// An address rebound has never seen: nothing speaks against sending.
boost::json::object
unknown_status(std::string_view address)
{
    return {{"address", address}, {"known", false}, {"should_send", true}, {"decision", "send"},
            {"decision_rule", "no_history"}, {"needs_address_change", false}, {"notice", nullptr},
            {"soft_bounce_streak", 0}, {"reason", nullptr}};
}

std::string
json_array_of(std::vector<std::string> const& items)
{
    boost::json::array a;
    for (auto const& s : items) a.emplace_back(s);
    return boost::json::serialize(a);
}

/// {"<key>": ["...", ...]} with 1..max_bulk strings.
std::optional<std::vector<std::string>>
bulk_list(std::string const& body, std::string_view key, std::string& error)
{
    simdjson::dom::parser parser;
    simdjson::padded_string padded{body};
    simdjson::dom::element root;
    simdjson::dom::array list;
    if (parser.parse(padded).get(root) || root[key].get_array().get(list)) {
        error = "the body must be {\"" + std::string(key) + "\": [\"...\"]}";
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (auto item : list) {
        std::string_view s;
        if (item.get_string().get(s) || s.empty() || s.size() > 320) {
            error = std::string(key) + " must hold non-empty strings of at most 320 characters";
            return std::nullopt;
        }
        out.emplace_back(s);
    }
    if (out.empty() || out.size() > max_bulk) {
        error = std::string(key) + " must hold 1 to " + std::to_string(max_bulk) + " items";
        return std::nullopt;
    }
    return out;
}

void
run_or_busy(context& ctx, store::sql::query const& q, std::vector<std::string> params, http::responder respond,
            std::function<http::response(store::table const&)> shape)
{
    auto const retry = ctx.cfg.retry_after_seconds;
    bool const queued = ctx.reader.run(q, std::move(params), [respond, shape, retry](store::table_result r) {
        if (!r) return respond(query_failure(r.error(), retry));
        respond(shape(*r));
    });
    if (!queued) respond(http::unavailable("busy", "too many queries in flight", retry));
}

//------------------------------------------------------------------------------

void
get_recipient(context& ctx, http::request& req, http::path_params const& p, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    std::string address, domain;
    if (!model::normalize_address(p.at("address"), address, domain))
        return respond(http::json_error(400, "bad_address", "not an email address: " + p.at("address")));
    run_or_busy(ctx, store::sql::recipients_by_address, {json_array_of({address})}, std::move(respond),
                [&ctx, address](store::table const& t) {
                    auto const o = t.rows.empty() ? unknown_status(address) : status_of(ctx, t, 0);
                    return http::json_ok(boost::json::serialize(o));
                });
}

void
get_user(context& ctx, http::request& req, http::path_params const& p, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    auto const user = p.at("user_ref");
    run_or_busy(ctx, store::sql::recipients_by_user, {json_array_of({user})}, std::move(respond),
                [&ctx, user](store::table const& t) {
                    boost::json::array addresses;
                    bool needs_change = false, should_send = !t.rows.empty();
                    for (std::size_t i = 0; i < t.rows.size(); ++i) {
                        auto s = status_of(ctx, t, i);
                        needs_change |= s["needs_address_change"].as_bool();
                        should_send &= s["should_send"].as_bool();
                        addresses.push_back(std::move(s));
                    }
                    boost::json::object o{{"user_ref", user},
                                          {"known", !t.rows.empty()},
                                          {"needs_address_change", needs_change},
                                          {"should_send", t.rows.empty() ? true : should_send},
                                          {"addresses", std::move(addresses)}};
                    return http::json_ok(boost::json::serialize(o));
                });
}

void
lookup_recipients(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    std::string error;
    auto const list = bulk_list(req.body, "addresses", error);
    if (!list) return respond(http::json_error(400, "bad_request", error));
    std::vector<std::string> addresses;
    for (auto const& raw : *list) {
        std::string a, d;
        addresses.push_back(model::normalize_address(raw, a, d) ? a : raw);
    }
    run_or_busy(ctx, store::sql::recipients_by_address, {json_array_of(addresses)}, std::move(respond),
                [&ctx, addresses](store::table const& t) {
                    std::map<std::string, std::size_t, std::less<>> by_address;
                    for (std::size_t i = 0; i < t.rows.size(); ++i) by_address[t.cell(i, "recipient").value_or("")] = i;
                    boost::json::array results;
                    for (auto const& a : addresses) {
                        auto const it = by_address.find(a);
                        results.push_back(it == by_address.end() ? unknown_status(a) : status_of(ctx, t, it->second));
                    }
                    return http::json_ok(boost::json::serialize(boost::json::object{{"results", std::move(results)}}));
                });
}

void
lookup_users(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    std::string error;
    auto const users = bulk_list(req.body, "user_refs", error);
    if (!users) return respond(http::json_error(400, "bad_request", error));
    run_or_busy(ctx, store::sql::recipients_by_user, {json_array_of(*users)}, std::move(respond),
                [&ctx, users = *users](store::table const& t) {
                    std::map<std::string, boost::json::array, std::less<>> by_user;
                    for (std::size_t i = 0; i < t.rows.size(); ++i)
                        by_user[t.cell(i, "user_ref").value_or("")].push_back(status_of(ctx, t, i));
                    boost::json::array results;
                    for (auto const& u : users) {
                        auto& addrs = by_user[u];
                        bool needs_change = false, should_send = true;
                        for (auto const& a : addrs) {
                            needs_change |= a.as_object().at("needs_address_change").as_bool();
                            should_send &= a.as_object().at("should_send").as_bool();
                        }
                        results.push_back(boost::json::object{{"user_ref", u},
                                                              {"known", !addrs.empty()},
                                                              {"needs_address_change", needs_change},
                                                              {"should_send", should_send},
                                                              {"addresses", addrs}});
                    }
                    return http::json_ok(boost::json::serialize(boost::json::object{{"results", std::move(results)}}));
                });
}

void
get_timeline(context& ctx, http::request& req, http::path_params const& p, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    auto const q = query_params(req.query);
    long long limit = 50;
    if (auto const it = q.find("limit"); it != q.end()) {
        auto const n = parse_int(it->second, 1, 1000);
        if (!n) return respond(http::json_error(400, "bad_limit", "limit must be 1-1000"));
        limit = *n;
    }
    std::string at, id;
    if (auto const it = q.find("cursor"); it != q.end() && !it->second.empty()) {
        auto const c = decode_cursor(it->second);
        if (!c) return respond(http::json_error(400, "bad_cursor", "the cursor is not one this API returned"));
        std::tie(at, id) = *c;
    }
    std::string address, domain;
    if (!model::normalize_address(p.at("address"), address, domain))
        return respond(http::json_error(400, "bad_address", "not an email address: " + p.at("address")));
    bool const csv = wants_csv(req);
    run_or_busy(ctx, store::sql::recipient_timeline, {address, at, id, std::to_string(limit)}, std::move(respond),
                [&ctx, csv, limit, address](store::table const& t) {
                    if (csv) return http::response{200, "text/csv; charset=utf-8", to_csv(t), {}};
                    boost::json::array items;
                    for (std::size_t i = 0; i < t.rows.size(); ++i) {
                        auto o = row_object(t, i);
                        o["explanation"] = reason_object(ctx.actions, t.cell(i, "reason").value_or(""));
                        items.push_back(std::move(o));
                    }
                    boost::json::value next = nullptr;
                    if (static_cast<long long>(t.rows.size()) == limit)
                        next = encode_cursor(t.cell(t.rows.size() - 1, "occurred_at").value_or(""),
                                             t.cell(t.rows.size() - 1, "id").value_or(""));
                    return http::json_ok(boost::json::serialize(
                        boost::json::object{{"address", address}, {"items", std::move(items)}, {"next_cursor", next}}));
                });
}

}  // namespace

void
register_recipients(http::router& r, context& ctx)
{
    auto bind = [&ctx](auto fn) {
        return [&ctx, fn](http::request& req, http::path_params const& p, http::responder respond) {
            fn(ctx, req, p, std::move(respond));
        };
    };
    r.add("GET", "/v1/recipients/{address}", "recipient_status", bind(get_recipient));
    r.add("GET", "/v1/recipients/{address}/events", "recipient_timeline", bind(get_timeline));
    r.add("GET", "/v1/users/{user_ref}", "user_status", bind(get_user));
    r.add("POST", "/v1/recipients/lookup", "recipient_lookup", bind(lookup_recipients));
    r.add("POST", "/v1/users/lookup", "user_lookup", bind(lookup_users));
}

}  // namespace rebound::api
