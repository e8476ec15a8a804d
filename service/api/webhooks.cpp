// POST /v1/webhooks/{provider} and /v1/webhooks/{provider}/{source}.
//
// The life of a webhook (docs/architecture.md tells it in full):
//   route -> provider lookup -> media type -> verify -> parse -> classify
//   -> ingest_writer::submit -> (database thread) commit -> 200 with counts.
// The ESP gets a 2xx only after the commit that holds all of its events;
// every other outcome is an error status with a JSON body, and every outcome
// is counted per provider and source.
#include "api/api.hpp"
#include "classify/classifier.hpp"
#include "log/log.hpp"
#include "metrics/metrics.hpp"
#include "providers/registry.hpp"
#include "store/ingest_writer.hpp"
#include "store/reader.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>

namespace rebound::api {

namespace {

using metrics::outcome;

bool
valid_source(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    return true;
}

/// JSON, text/plain (SNS) and forms (some ESPs' legacy modes) may carry a
/// webhook; anything else is refused before a provider sees it.
bool
acceptable_media_type(std::string_view content_type) noexcept
{
    if (content_type.empty()) return true;
    auto const semi = content_type.find(';');
    std::string type(content_type.substr(0, semi));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    model::ascii_lower(type);
    return type == "application/json" || type == "text/plain" || type == "application/x-www-form-urlencoded" ||
           (type.starts_with("application/") && type.ends_with("+json"));
}

/// Credentials for one provider and source: the source's own when it has
/// any, else the provider's default ones.
std::map<std::string, std::string>
secrets_for(config::config const& cfg, std::string const& provider, std::string const& source)
{
    auto const p = cfg.secrets.find(provider);
    if (p == cfg.secrets.end()) return {};
    if (!source.empty()) {
        auto const s = p->second.find(source);
        if (s != p->second.end()) return s->second;
    }
    auto const d = p->second.find("");
    return d == p->second.end() ? std::map<std::string, std::string>{} : d->second;
}

http::response
provider_error(boost::system::error_code ec)
{
    using providers::errc;
    auto const msg = ec.message();
    switch (static_cast<errc>(ec.value())) {
    case errc::malformed_body: return http::json_error(400, "malformed_body", msg);
    case errc::unsupported_media_type: return http::json_error(415, "unsupported_media_type", msg);
    case errc::missing_credentials: return http::json_error(401, "missing_credentials", msg);
    case errc::bad_credentials: return http::json_error(401, "bad_credentials", msg);
    case errc::stale_signature: return http::json_error(401, "stale_signature", msg);
    case errc::too_many_events: return http::json_error(413, "too_many_events", msg);
    }
    return http::json_error(400, "bad_request", msg);
}

void
handle_webhook(context& ctx, http::request& req, http::path_params const& params, http::responder respond)
{
    auto const provider_name = params.at("provider");
    auto const* provider = providers::find(provider_name);
    if (!provider) return respond(http::json_error(404, "unknown_provider", "no provider named '" + provider_name + "'"));

    std::string source;
    if (auto const it = params.find("source"); it != params.end()) {
        source = it->second;
        if (!valid_source(source))
            return respond(http::json_error(404, "bad_source", "a source is 1-64 characters of a-z, 0-9, '_' or '-'"));
    }
    std::string const pname(provider->name());

    if (!acceptable_media_type(req.headers.get("content-type"))) {
        metrics::count(pname, source, outcome::parse_error);
        return respond(http::json_error(415, "unsupported_media_type",
                                        "send application/json (or text/plain for Amazon SNS)"));
    }

    providers::provider_settings settings;
    settings.user_ref_field = ctx.cfg.user_ref_field;
    settings.max_events = ctx.cfg.max_events_per_request;
    settings.secrets = secrets_for(ctx.cfg, pname, source);
    settings.now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();

    providers::request_view const view{req.body, req.headers, source};
    if (auto const ec = provider->verify(view, settings)) {
        metrics::count(pname, source, outcome::auth_failure);
        log::warn("webhook authentication failed", {{"request_id", req.request_id}, {"provider", pname},
                                                     {"source", source}, {"error", ec.message()}, {"remote", req.remote}});
        return respond(provider_error(ec));
    }

    auto parsed = provider->parse(view, settings);
    if (!parsed) {
        metrics::count(pname, source, outcome::parse_error);
        return respond(provider_error(parsed.error()));
    }

    for (auto& e : parsed->events) classify::classify_event(e);
    for (auto const& n : parsed->notices) {
        log::warn("provider notice needs attention",
                  {{"provider", pname}, {"source", source}, {"kind", n.kind}, {"topic", n.topic}, {"url", n.url}});
        metrics::global()
            .get_counter("rebound_provider_notices_total", "Messages from ESPs that need an operator (e.g. SNS subscriptions)",
                         {{"provider", pname}, {"kind", n.kind}})
            .inc();
    }
    if (!parsed->notices.empty() && parsed->events.empty() && parsed->rejected.empty()) {
        // Answer only once the notice is recorded: an SNS confirmation that
        // is lost cannot be asked for again.
        auto const& n = parsed->notices.front();
        auto const retry = ctx.cfg.retry_after_seconds;
        bool const queued = ctx.reader.run(
            store::sql::record_provider_notice, {pname, source, n.kind, n.topic, n.url, n.raw_json},
            [respond, retry, ignored = parsed->ignored](store::table_result r) {
                if (!r) return respond(http::unavailable("database_unavailable", "the notice could not be recorded", retry));
                boost::json::object o{{"accepted", 0}, {"duplicates", 0}, {"ignored", ignored}, {"rejected", 0},
                                      {"notices", 1}};
                respond(http::json_ok(boost::json::serialize(o)));
            },
            true);
        if (!queued) respond(http::unavailable("busy", "too many requests in flight", retry));
        return;
    }

    std::size_t const ignored = parsed->ignored;
    metrics::count(pname, source, outcome::ignored, ignored);
    if (parsed->events.empty() && parsed->rejected.empty()) {
        boost::json::object o{{"accepted", 0}, {"duplicates", 0}, {"ignored", ignored}, {"rejected", 0}};
        return respond(http::json_ok(boost::json::serialize(o)));
    }

    auto done = [respond, pname, source, ignored, request_id = req.request_id,
                 retry = ctx.cfg.retry_after_seconds](boost::system::error_code ec, store::ingest_result r) {
        if (ec) {
            metrics::count(pname, source, outcome::unavailable);
            if (ec == store::store_errc::write_failed)
                return respond(http::json_error(500, "write_failed", "the events could not be stored; retry later"));
            return respond(http::unavailable("database_unavailable", ec.message(), retry));
        }
        metrics::count(pname, source, outcome::accepted, r.accepted);
        metrics::count(pname, source, outcome::duplicate, r.duplicates);
        metrics::count(pname, source, outcome::rejected, r.rejected);
        boost::json::object o{{"accepted", r.accepted}, {"duplicates", r.duplicates}, {"ignored", ignored},
                              {"rejected", r.rejected}};
        respond(http::json_ok(boost::json::serialize(o)));
    };

    if (auto const ec = ctx.writer.submit(std::move(parsed->events), std::move(parsed->rejected), std::move(done))) {
        metrics::count(pname, source, outcome::unavailable);
        auto const code = ec == store::store_errc::queue_full ? "queue_full" : "database_unavailable";
        return respond(http::unavailable(code, ec.message(), ctx.cfg.retry_after_seconds));
    }
}

}  // namespace

void
register_webhooks(http::router& r, context& ctx)
{
    auto h = [&ctx](http::request& req, http::path_params const& p, http::responder respond) {
        handle_webhook(ctx, req, p, std::move(respond));
    };
    r.add("POST", "/v1/webhooks/{provider}", "webhook", h);
    r.add("POST", "/v1/webhooks/{provider}/{source}", "webhook", h);
}

}  // namespace rebound::api
