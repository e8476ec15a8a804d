// Rates for dashboards, and the explain API.
//
//   GET /v1/stats     counts and rates per day, provider, source, domain or
//                     reason, from the daily rollups (so they outlive raw
//                     events), with days/domains over the hard-bounce
//                     threshold flagged
//   GET /v1/explain   what one diagnostic means (query parameters)
//   POST /v1/explain  the same, from a JSON body
//
// Rates: hard-bounce rate = hard bounces / delivery attempts, where attempts
// are deliveries + bounces + blocks (drops were never attempted; a deferral
// is an attempt still in progress); deferral rate = deferrals / (attempts +
// deferrals); complaint rate = complaints / deliveries.
#include "api/api.hpp"
#include "api/support.hpp"
#include "classify/explain.hpp"
#include "store/reader.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <simdjson.h>

#include <chrono>

namespace rebound::api {

namespace {

bool
valid_day(std::string_view s) noexcept
{
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    auto const y = parse_int(s.substr(0, 4), 1970, 9999), m = parse_int(s.substr(5, 2), 1, 12),
               d = parse_int(s.substr(8, 2), 1, 31);
    if (!y || !m || !d) return false;
    return std::chrono::year_month_day{std::chrono::year{static_cast<int>(*y)}, std::chrono::month{static_cast<unsigned>(*m)},
                                       std::chrono::day{static_cast<unsigned>(*d)}}
        .ok();
}

std::string
day_string(std::chrono::sys_days d)
{
    std::chrono::year_month_day const ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

double
ratio(long long num, long long den) noexcept
{
    return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : 0.0;
}

void
get_stats(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    auto const q = query_params(req.query);
    auto get = [&](std::string_view k, std::string fallback = {}) {
        auto const it = q.find(k);
        return it == q.end() ? fallback : it->second;
    };
    auto const today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    auto const to = get("to", day_string(today));
    auto const from = get("from", day_string(today - std::chrono::days{29}));
    if (!valid_day(from) || !valid_day(to)) return respond(http::json_error(400, "bad_date", "from and to are dates, YYYY-MM-DD"));
    auto const group = get("group_by", "day");
    auto const provider = get("provider"), source = get("source"), domain = get("domain"), reason = get("reason");
    auto const* query = store::sql::stats_by(group, {!provider.empty(), !source.empty(), !domain.empty(), !reason.empty()});
    if (!query) return respond(http::json_error(400, "bad_group_by", "group_by is day, provider, source, domain or reason"));

    auto const threshold = ctx.cfg.hard_bounce_alert_rate;
    auto const retry = ctx.cfg.retry_after_seconds;
    bool const csv = wants_csv(req);
    auto shared = std::make_shared<http::responder>(std::move(respond));
    bool const queued = ctx.reader.run(
        *query, {from, to, provider, source, domain, reason},
        [shared, retry, threshold, csv, from, to, group](store::table_result r) {
            if (!r) return (*shared)(query_failure(r.error(), retry));
            auto& t = *r;
            // Absent counts are zero, not unknown.
            for (auto& row : t.rows)
                for (std::size_t c = 0; c < t.columns.size(); ++c)
                    if (!row[c] && t.kinds[c] == store::table::kind::number) row[c] = "0";
            if (csv) return (*shared)(http::response{200, "text/csv; charset=utf-8", to_csv(t), {}});

            boost::json::array items;
            long long total_attempts = 0, total_hard = 0;
            for (std::size_t i = 0; i < t.rows.size(); ++i) {
                auto o = row_object(t, i);
                auto n = [&](char const* k) { return o[k].as_int64(); };
                long long const attempts = n("delivered") + n("hard_bounces") + n("soft_bounces") + n("blocks");
                o["attempts"] = attempts;
                o["hard_bounce_rate"] = ratio(n("hard_bounces"), attempts);
                o["deferral_rate"] = ratio(n("deferrals"), attempts + n("deferrals"));
                o["complaint_rate"] = ratio(n("complaints"), n("delivered"));
                o["over_threshold"] = attempts > 0 && ratio(n("hard_bounces"), attempts) > threshold;
                total_attempts += attempts;
                total_hard += n("hard_bounces");
                items.push_back(std::move(o));
            }
            boost::json::object body{{"from", from},
                                     {"to", to},
                                     {"group_by", group},
                                     {"hard_bounce_threshold", threshold},
                                     {"hard_bounce_rate", ratio(total_hard, total_attempts)},
                                     {"items", std::move(items)}};
            (*shared)(http::json_ok(boost::json::serialize(body)));
        });
    if (!queued) (*shared)(http::unavailable("busy", "too many queries in flight", retry));
}

/// The classifier's view of one diagnostic. Holds its strings so the
/// classify_input views stay valid.
struct explain_request {
    std::string diagnostic, status, provider, esp_class, esp_type, type, rhost, command;
    std::optional<int> code;

    classify::classify_input input() const
    {
        classify::classify_input in;
        in.type = model::parse_event_type(type);
        in.provider = provider;
        in.esp_class = esp_class;
        in.esp_type = esp_type;
        in.smtp_code = code;
        in.enhanced_status = status;
        in.diagnostic = diagnostic;
        in.remote_host = rhost;
        in.smtp_command = command;
        return in;
    }
};

void
explain(context& ctx, http::request& req, http::path_params const&, http::responder respond)
{
    if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
    explain_request e;
    std::string code_text;
    if (req.method == "GET") {
        auto const q = query_params(req.query);
        auto get = [&](std::string_view k) {
            auto const it = q.find(k);
            return it == q.end() ? std::string{} : it->second;
        };
        // `text` is the short name for the diagnostic (?code=&status=&text=).
        auto diagnostic = get("diagnostic");
        if (diagnostic.empty()) diagnostic = get("text");
        e = {std::move(diagnostic), get("status"), get("provider"), get("esp_class"), get("esp_type"),
             get("type"), get("rhost"), get("command"), {}};
        code_text = get("code");
    } else {
        simdjson::dom::parser parser;
        simdjson::padded_string padded{req.body};
        simdjson::dom::element root;
        if (parser.parse(padded).get(root) || !root.is_object())
            return respond(http::json_error(400, "bad_request", "the body is a JSON object such as {\"diagnostic\": \"550 5.1.1 ...\"}"));
        auto str = [&](char const* k) {
            std::string_view v;
            return root[k].get_string().get(v) ? std::string{} : std::string(v);
        };
        auto diagnostic = str("diagnostic");
        if (diagnostic.empty()) diagnostic = str("text");
        e = {std::move(diagnostic), str("status"), str("provider"), str("esp_class"), str("esp_type"),
             str("type"), str("rhost"), str("command"), {}};
        int64_t n;
        if (!root["code"].get_int64().get(n)) code_text = std::to_string(n);
        else code_text = str("code");
    }
    if (e.diagnostic.empty() && e.status.empty() && code_text.empty())
        return respond(http::json_error(400, "nothing_to_explain", "give at least one of text (or diagnostic), status or code"));
    if (e.diagnostic.size() > 16384) return respond(http::json_error(413, "too_large", "diagnostic is limited to 16 KiB"));
    if (!code_text.empty()) {
        auto const n = parse_int(code_text, 200, 599);
        if (!n) return respond(http::json_error(400, "bad_code", "code is an SMTP reply code, 200-599"));
        e.code = static_cast<int>(*n);
    }
    if (!e.type.empty() && !model::parse_event_type(e.type))
        return respond(http::json_error(400, "bad_type", "type is deferred, bounce, block, drop, delivered or complaint"));
    respond(http::json_ok(boost::json::serialize(classify::explain(e.input(), ctx.actions))));
}

}  // namespace

void
register_stats(http::router& r, context& ctx)
{
    auto bind = [&ctx](auto fn) {
        return [&ctx, fn](http::request& req, http::path_params const& p, http::responder respond) {
            fn(ctx, req, p, std::move(respond));
        };
    };
    r.add("GET", "/v1/stats", "stats", bind(get_stats));
    r.add("GET", "/v1/explain", "explain", bind(explain));
    r.add("POST", "/v1/explain", "explain", bind(explain));
}

}  // namespace rebound::api
