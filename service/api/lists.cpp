// Lists for dashboards: recurring soft bounces, address-change notices (and
// their transitions), and ESP notices such as SNS subscription requests.
// Every list is keyset-paginated ({"items": [...], "next_cursor": ...}) and
// answers CSV when asked with Accept: text/csv.
//
//   GET  /v1/soft-bounces                 N in a window, or K in a row
//   GET  /v1/notices                      by state, domain, reason, user
//   GET  /v1/notices/{id}                 one notice with its history
//   POST /v1/notices/{id}/notified        the app showed it (scope: notices)
//   POST /v1/notices/{id}/resolved        the user changed the address (scope: notices)
//   GET  /v1/provider-notices             e.g. SNS subscription confirmations (scope: admin)
#include "api/api.hpp"
#include "api/support.hpp"
#include "classify/actions.hpp"
#include "store/reader.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <simdjson.h>

namespace rebound::api {

namespace {

using params_map = std::map<std::string, std::string, std::less<>>;

std::string
param(params_map const& q, std::string_view key, std::string fallback = {})
{
    auto const it = q.find(key);
    return it == q.end() ? fallback : it->second;
}

/// The reader's queue was full: answer 503 instead of the query's callback.
void
answer_busy_unless_queued(bool queued, http::responder const& respond, unsigned retry)
{
    if (!queued) respond(http::unavailable("busy", "too many queries in flight", retry));
}

/// Adds the recommended action and its explanation for `reason_column`.
void
add_actions(boost::json::object& o, classify::action_table const& actions, std::string_view reason)
{
    if (auto const* a = actions.find(reason)) {
        o["action"] = a->action;
        o["explanation"] = {{"en", a->en}, {"ja", a->ja}};
    } else {
        o["action"] = nullptr;
        o["explanation"] = nullptr;
    }
}

http::response
list_response(http::request const& req, store::table const& t, long long limit,
              std::function<void(boost::json::object&, std::size_t)> enrich, std::function<std::string(std::size_t)> cursor_of,
              std::initializer_list<std::string_view> hidden)
{
    if (wants_csv(req)) return {200, "text/csv; charset=utf-8", to_csv(t, hidden), {}};
    boost::json::array items;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        auto o = row_object(t, i, hidden);
        if (enrich) enrich(o, i);
        items.push_back(std::move(o));
    }
    boost::json::value next = nullptr;
    if (!t.rows.empty() && static_cast<long long>(t.rows.size()) == limit) next = cursor_of(t.rows.size() - 1);
    return http::json_ok(boost::json::serialize(boost::json::object{{"items", std::move(items)}, {"next_cursor", next}}));
}

//------------------------------------------------------------------------------

void
soft_bounces(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    auto const q = query_params(req.query);
    auto const mode = param(q, "mode", "window");
    auto const limit = parse_int(param(q, "limit", "100"), 1, 1000);
    if (!limit) return respond(http::json_error(400, "bad_limit", "limit must be 1-1000"));
    std::string cursor_at, cursor_recipient;
    if (auto const c = param(q, "cursor"); !c.empty()) {
        auto const d = decode_cursor(c);
        if (!d) return respond(http::json_error(400, "bad_cursor", "the cursor is not one this API returned"));
        std::tie(cursor_at, cursor_recipient) = *d;
    }
    auto const domain = param(q, "domain"), reason = param(q, "reason"), provider = param(q, "provider"),
               source = param(q, "source");

    store::sql::query const* query = nullptr;
    std::vector<std::string> params;
    if (mode == "window") {
        auto const n = parse_int(param(q, "min_failures", "3"), 1, 100000);
        auto const window = parse_duration_seconds(param(q, "window", "7d"));
        if (!n) return respond(http::json_error(400, "bad_min_failures", "min_failures must be 1-100000"));
        if (!window) return respond(http::json_error(400, "bad_window", "window is a duration such as 7d, 12h or 30m, at most 400d"));
        query = &store::sql::soft_bounces_window;
        params = {std::to_string(*window), std::to_string(*n), domain, reason, provider, source, cursor_at,
                  cursor_recipient, std::to_string(*limit)};
    } else if (mode == "consecutive") {
        auto const k = parse_int(param(q, "min_streak", "3"), 1, 100000);
        if (!k) return respond(http::json_error(400, "bad_min_streak", "min_streak must be 1-100000"));
        query = &store::sql::soft_bounces_streak;
        params = {std::to_string(*k), domain, reason, provider, source, cursor_at, cursor_recipient, std::to_string(*limit)};
    } else {
        return respond(http::json_error(400, "bad_mode", "mode is 'window' (N in a window) or 'consecutive' (K in a row)"));
    }

    auto const retry = ctx.cfg.retry_after_seconds;
    auto shared = std::make_shared<http::responder>(std::move(respond));
    bool const queued = ctx.reader.run(*query, std::move(params), [&ctx, req_copy = req, shared, limit, retry](store::table_result r) {
        if (!r) return (*shared)(query_failure(r.error(), retry));
        auto const& t = *r;
        (*shared)(list_response(
            req_copy, t, *limit,
            [&](boost::json::object& o, std::size_t i) { add_actions(o, ctx.actions, t.cell(i, "last_soft_reason").value_or("")); },
            [&](std::size_t i) { return encode_cursor(t.cell(i, "cursor_at").value_or(""), t.cell(i, "recipient").value_or("")); },
            {"cursor_at"}));
    });
    answer_busy_unless_queued(queued, *shared, retry);
}

void
list_notices(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    auto const q = query_params(req.query);
    auto const state = param(q, "state");
    if (!state.empty() && state != "pending" && state != "notified" && state != "resolved")
        return respond(http::json_error(400, "bad_state", "state is pending, notified or resolved"));
    auto const limit = parse_int(param(q, "limit", "100"), 1, 1000);
    if (!limit) return respond(http::json_error(400, "bad_limit", "limit must be 1-1000"));
    std::string after;
    if (auto const c = param(q, "cursor"); !c.empty()) {
        auto const d = decode_cursor(c);
        if (!d || !parse_int(d->first, 0, INT64_MAX)) return respond(http::json_error(400, "bad_cursor", "the cursor is not one this API returned"));
        after = d->first;
    }
    auto const retry = ctx.cfg.retry_after_seconds;
    auto shared = std::make_shared<http::responder>(std::move(respond));
    bool const queued = ctx.reader.run(
        store::sql::notices_list, {state, param(q, "domain"), param(q, "reason"), param(q, "user_ref"), after, std::to_string(*limit)},
        [&ctx, req_copy = req, shared, limit, retry](store::table_result r) {
            if (!r) return (*shared)(query_failure(r.error(), retry));
            auto const& t = *r;
            (*shared)(list_response(
                req_copy, t, *limit,
                [&](boost::json::object& o, std::size_t i) { add_actions(o, ctx.actions, t.cell(i, "reason").value_or("")); },
                [&](std::size_t i) { return encode_cursor(t.cell(i, "id").value_or("")); }, {}));
        });
    answer_busy_unless_queued(queued, *shared, retry);
}

void
get_notice(context& ctx, http::request& req, http::path_params const& p, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    auto const id = parse_int(p.at("id"), 1, INT64_MAX);
    if (!id) return respond(http::json_error(404, "not_found", "no such notice"));
    auto const retry = ctx.cfg.retry_after_seconds;
    auto shared = std::make_shared<http::responder>(std::move(respond));
    bool const queued = ctx.reader.run(store::sql::notice_get, {std::to_string(*id)}, [&ctx, shared, retry](store::table_result r) {
        if (!r) return (*shared)(query_failure(r.error(), retry));
        if (r->rows.empty()) return (*shared)(http::json_error(404, "not_found", "no such notice"));
        auto o = row_object(*r, 0);
        add_actions(o, ctx.actions, r->cell(0, "reason").value_or(""));
        (*shared)(http::json_ok(boost::json::serialize(o)));
    });
    answer_busy_unless_queued(queued, *shared, retry);
}

/// POST /v1/notices/{id}/notified and /resolved. Repeating a transition that
/// already happened answers 200 with "changed": false, so apps may call it on
/// every page view; going back from resolved is a 409.
void
transition_notice(context& ctx, http::request& req, http::path_params const& p, http::responder respond,
                  store::sql::query const& q, std::string_view target)
{
    std::string actor;
    if (auto denied = authorize(ctx.cfg, req, "notices", &actor)) return respond(std::move(*denied));
    auto const id = parse_int(p.at("id"), 1, INT64_MAX);
    if (!id) return respond(http::json_error(404, "not_found", "no such notice"));

    std::string note;
    if (!req.body.empty()) {
        simdjson::dom::parser parser;
        simdjson::padded_string padded{req.body};
        simdjson::dom::element root;
        if (parser.parse(padded).get(root) || !root.is_object())
            return respond(http::json_error(400, "bad_request", "the body, when given, is {\"actor\": \"...\", \"note\": \"...\"}"));
        std::string_view v;
        if (!root["actor"].get_string().get(v) && !v.empty()) actor += " (" + std::string(v.substr(0, 200)) + ")";
        if (!root["note"].get_string().get(v)) note = v.substr(0, 1000);
    }

    auto const retry = ctx.cfg.retry_after_seconds;
    auto shared = std::make_shared<http::responder>(std::move(respond));
    std::string const to(target);
    bool const queued = ctx.reader.run(
        q, {std::to_string(*id), actor, note},
        [shared, retry, to, id = *id](store::table_result r) {
            if (!r) return (*shared)(query_failure(r.error(), retry));
            if (r->rows.empty()) return (*shared)(http::json_error(404, "not_found", "no such notice"));
            auto const previous = r->cell(0, "previous_state").value_or("");
            bool const changed = r->cell(0, "changed").value_or("0") != "0";
            if (!changed && previous != to)
                return (*shared)(http::json_error(409, "invalid_transition",
                                                  "the notice is " + previous + " and cannot become " + to));
            (*shared)(http::json_ok(boost::json::serialize(
                boost::json::object{{"id", id}, {"state", to}, {"previous_state", previous}, {"changed", changed}})));
        },
        true);
    answer_busy_unless_queued(queued, *shared, retry);
}

void
provider_notices(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "admin")) return respond(std::move(*denied));
    auto const q = query_params(req.query);
    auto const limit = parse_int(param(q, "limit", "100"), 1, 1000);
    if (!limit) return respond(http::json_error(400, "bad_limit", "limit must be 1-1000"));
    std::string before;
    if (auto const c = param(q, "cursor"); !c.empty()) {
        auto const d = decode_cursor(c);
        if (!d || !parse_int(d->first, 0, INT64_MAX)) return respond(http::json_error(400, "bad_cursor", "the cursor is not one this API returned"));
        before = d->first;
    }
    auto const retry = ctx.cfg.retry_after_seconds;
    auto shared = std::make_shared<http::responder>(std::move(respond));
    bool const queued = ctx.reader.run(store::sql::provider_notices_list, {before, std::to_string(*limit)},
                                       [req_copy = req, shared, limit, retry](store::table_result r) {
                                           if (!r) return (*shared)(query_failure(r.error(), retry));
                                           auto const& t = *r;
                                           (*shared)(list_response(req_copy, t, *limit, nullptr,
                                                                   [&](std::size_t i) { return encode_cursor(t.cell(i, "id").value_or("")); },
                                                                   {}));
                                       });
    answer_busy_unless_queued(queued, *shared, retry);
}

}  // namespace

void
register_lists(http::router& r, context& ctx)
{
    auto bind = [&ctx](auto fn) {
        return [&ctx, fn](http::request& req, http::path_params const& p, http::responder respond) {
            fn(ctx, req, p, std::move(respond));
        };
    };
    r.add("GET", "/v1/soft-bounces", "soft_bounces", bind(soft_bounces));
    r.add("GET", "/v1/notices", "notices", bind(list_notices));
    r.add("GET", "/v1/notices/{id}", "notice", bind(get_notice));
    r.add("POST", "/v1/notices/{id}/notified", "notice_notified",
          [&ctx](http::request& req, http::path_params const& p, http::responder respond) {
              transition_notice(ctx, req, p, std::move(respond), store::sql::notice_mark_notified, "notified");
          });
    r.add("POST", "/v1/notices/{id}/resolved", "notice_resolved",
          [&ctx](http::request& req, http::path_params const& p, http::responder respond) {
              transition_notice(ctx, req, p, std::move(respond), store::sql::notice_resolve, "resolved");
          });
    r.add("GET", "/v1/provider-notices", "provider_notices", bind(provider_notices));
}

}  // namespace rebound::api
