// POST /v1/webhooks/{provider} and /v1/webhooks/{provider}/{source}.
//
// The life of a webhook (docs/architecture.md tells it in full):
//   route -> provider lookup -> media type -> prerequisites (SNS certificate,
//   from the cache or fetched) -> verify -> replay check -> parse -> classify
//   -> ingest_writer::submit -> (database thread) commit -> 200 with counts.
// The ESP gets a 2xx only after the commit that holds all of its events;
// every other outcome is an error status with a JSON body, and every outcome
// is counted per provider and source.
#include "api/api.hpp"
#include "api/verification.hpp"
#include "classify/classifier.hpp"
#include "http/fetch.hpp"
#include "log/log.hpp"
#include "metrics/metrics.hpp"
#include "providers/registry.hpp"
#include "providers/request_rules.hpp"
#include "store/ingest_writer.hpp"
#include "store/reader.hpp"
#include "store/spool.hpp"
#include "verify/verify.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>

namespace rebound::api {

namespace {

using metrics::outcome;

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

/// The source as a metrics label. The path segment is chosen by whoever
/// sends the request, so only sources with credentials of their own get a
/// series each; every other one is counted under "unconfigured", keeping the
/// number of series bounded.
std::string
metric_label(config::config const& cfg, std::string const& provider, std::string const& source)
{
    if (source.empty()) return source;
    auto const p = cfg.secrets.find(provider);
    return (p != cfg.secrets.end() && p->second.count(source)) ? source : "unconfigured";
}

std::int64_t
unix_now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

http::response
provider_error(boost::system::error_code ec, bool basic_auth_configured)
{
    return providers::to_response(providers::refusal_for(ec, basic_auth_configured), http::json_error);
}

std::string
counts_body(std::size_t accepted, std::size_t duplicates, std::size_t ignored, std::size_t rejected)
{
    return boost::json::serialize(boost::json::object{
        {"accepted", accepted}, {"duplicates", duplicates}, {"ignored", ignored}, {"rejected", rejected}});
}

//------------------------------------------------------------------------------

/// One webhook request on its way through the steps above. It owns the
/// request, because fetching a certificate outlives the I/O handler's frame.
class webhook_job : public std::enable_shared_from_this<webhook_job> {
public:
    webhook_job(context& ctx, providers::provider const& p, std::string source, http::request&& req, http::responder respond)
        : ctx_(ctx), provider_(p), name_(p.name()), source_(std::move(source)), metric_source_(metric_label(ctx.cfg, name_, source_)),
          req_(std::move(req)), respond_(std::move(respond))
    {
        settings_.user_ref_field = ctx.cfg.user_ref_field;
        settings_.max_events = ctx.cfg.max_events_per_request;
        settings_.secrets = secrets_for(ctx.cfg, name_, source_);
        settings_.now_unix = unix_now();
    }

    /// Step 1: documents the signature check needs, from the cache or fetched.
    void
    start()
    {
        std::vector<std::string> missing;
        for (auto const& url : provider_.prerequisites(view(), settings_)) {
            if (auto doc = ctx_.documents.find(url)) settings_.fetched[url] = std::move(*doc);
            else if (verify::is_sns_certificate_url(url)) missing.push_back(url);
        }
        if (missing.empty()) return verify_and_ingest();
        // In practice there is one certificate per request.
        auto self = shared_from_this();
        ctx_.documents.fetch(missing.front(), [self, url = missing.front()](bool ok) {
            if (auto doc = ok ? self->ctx_.documents.find(url) : std::nullopt) {
                self->settings_.fetched[url] = std::move(*doc);
                return self->verify_and_ingest();
            }
            // A certificate we could not fetch (a timeout, AWS unreachable)
            // says nothing about the message, and SNS never retries a 4xx:
            // the 401 of a missing signature would lose the notification
            // for good. 503 makes SNS deliver it again later.
            metrics::count(self->name_, self->metric_source_, outcome::unavailable);
            self->respond_(http::unavailable("certificate_unavailable",
                                             "the signing certificate could not be fetched; retry later",
                                             self->ctx_.cfg.retry_after_seconds));
        });
    }

private:
    context& ctx_;
    providers::provider const& provider_;
    std::string const name_;
    std::string const source_;
    std::string const metric_source_;  // see metric_label
    http::request req_;
    http::responder respond_;
    providers::provider_settings settings_;

    providers::request_view
    view() const
    {
        return {req_.body, req_.headers, source_};
    }

    bool
    basic_auth_configured() const
    {
        auto const it = settings_.secrets.find("basic_auth");
        return it != settings_.secrets.end() && !it->second.empty();
    }

    void
    refuse(boost::system::error_code ec, outcome o)
    {
        metrics::count(name_, metric_source_, o);
        if (o == outcome::auth_failure)
            log::warn("webhook authentication failed", {{"request_id", req_.request_id}, {"provider", name_},
                                                         {"source", source_}, {"error", ec.message()}, {"remote", req_.remote}});
        respond_(provider_error(ec, basic_auth_configured()));
    }

    /// Steps 2-4: verify, refuse replays, parse and classify, then store.
    void
    verify_and_ingest()
    {
        if (auto const ec = provider_.verify(view(), settings_)) return refuse(ec, outcome::auth_failure);
        auto const replay = provider_.replay_key(view(), settings_);
        if (replay && ctx_.replays.seen(replay->key, settings_.now_unix))
            return refuse(providers::errc::replayed, outcome::auth_failure);

        auto parsed = provider_.parse(view(), settings_);
        if (!parsed) return refuse(parsed.error(), outcome::parse_error);
        // Counted per distinct reason, not per event, to keep the registry's
        // lock off the per-event path.
        std::map<std::pair<std::string_view, model::severity>, std::uint64_t> reasons;
        for (auto& e : parsed->events) {
            classify::classify_event(e);
            if (!e.reason.empty()) ++reasons[{e.reason, e.sev}];
        }
        for (auto const& [key, n] : reasons)
            metrics::global()
                .get_counter("rebound_classified_events_total", "Failure events by classified reason and severity",
                             {{"provider", name_}, {"reason", std::string(key.first)}, {"severity", std::string(model::to_string(key.second))}})
                .inc(n);
        metrics::count(name_, metric_source_, outcome::ignored, parsed->ignored);

        if (!parsed->notices.empty()) return record_notice(std::move(*parsed));
        if (parsed->events.empty() && parsed->rejected.empty()) {
            remember(replay);
            return respond_(http::json_ok(counts_body(0, 0, parsed->ignored, 0)));
        }
        store(std::move(*parsed), replay);
    }

    void
    store(providers::parse_result parsed, std::optional<providers::provider::replay_guard> replay)
    {
        auto self = shared_from_this();
        // A write that fails after the writer took the events hands back
        // the ones it did not commit, so they can still be spooled.
        auto done = [self, ignored = parsed.ignored, replay](boost::system::error_code ec, store::ingest_result r,
                                                             store::unwritten back) {
            if (ec)
                return self->store_failed(ec, std::make_shared<store::spooled_request>(store::spooled_request{
                                                  std::move(back.events), std::move(back.rejected)}),
                                          r, ignored, replay);
            metrics::count(self->name_, self->metric_source_, outcome::accepted, r.accepted);
            metrics::count(self->name_, self->metric_source_, outcome::duplicate, r.duplicates);
            metrics::count(self->name_, self->metric_source_, outcome::rejected, r.rejected);
            self->remember(replay);
            self->respond_(http::json_ok(counts_body(r.accepted, r.duplicates, ignored, r.rejected)));
        };
        // submit() leaves the vectors as they were when it refuses them.
        if (auto const ec = ctx_.writer.submit(std::move(parsed.events), std::move(parsed.rejected), std::move(done)))
            return store_failed(ec,
                                std::make_shared<store::spooled_request>(
                                    store::spooled_request{std::move(parsed.events), std::move(parsed.rejected)}),
                                {}, parsed.ignored, replay);
        ctx_.saturated_since_ms.store(0, std::memory_order_relaxed);
    }

    /// The database could not take the events: spool them when the spool is
    /// on and the failure is an outage (or a queue full for longer than
    /// spool_after), else tell the ESP to retry.
    /// `committed` counts the parts of the request that were stored before
    /// the others failed; `unstored` holds the rest.
    void
    store_failed(boost::system::error_code ec, std::shared_ptr<store::spooled_request> const& unstored,
                 store::ingest_result committed, std::size_t ignored,
                 std::optional<providers::provider::replay_guard> const& replay)
    {
        // Parts that committed are stored whatever becomes of the rest.
        metrics::count(name_, metric_source_, outcome::accepted, committed.accepted);
        metrics::count(name_, metric_source_, outcome::duplicate, committed.duplicates);
        metrics::count(name_, metric_source_, outcome::rejected, committed.rejected);
        auto const retry = ctx_.cfg.retry_after_seconds;
        if (ec == store::store_errc::write_failed) {
            metrics::count(name_, metric_source_, outcome::unavailable);
            return respond_(http::json_error(500, "write_failed", "the events could not be stored; retry later"));
        }
        bool spoolable = ctx_.spool && ec == store::store_errc::unavailable;
        if (ctx_.spool && ec == store::store_errc::queue_full) {
            auto const now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch()).count();
            std::int64_t expected = 0;
            ctx_.saturated_since_ms.compare_exchange_strong(expected, now);
            spoolable = now - ctx_.saturated_since_ms.load() >= ctx_.cfg.spool_after.count();
        }
        if (!spoolable) {
            metrics::count(name_, metric_source_, outcome::unavailable);
            auto const code = ec == store::store_errc::queue_full ? "queue_full" : "database_unavailable";
            return respond_(http::unavailable(code, ec.message(), retry));
        }
        auto self = shared_from_this();
        std::size_t const events = unstored->events.size(), rejected = unstored->rejected.size();
        ctx_.spool->append(*unstored, [self, events, rejected, committed, ignored, replay, retry](boost::system::error_code spool_ec) {
            if (spool_ec) {
                metrics::count(self->name_, self->metric_source_, outcome::unavailable);
                return self->respond_(http::unavailable("spool_full", "the database is unavailable and the spool is full", retry));
            }
            metrics::count(self->name_, self->metric_source_, outcome::spooled, events);
            self->remember(replay);
            // Durable on local disk; duplicates are sorted out on replay.
            self->respond_(http::json_ok(boost::json::serialize(
                boost::json::object{{"accepted", committed.accepted + events},
                                    {"duplicates", committed.duplicates},
                                    {"ignored", ignored},
                                    {"rejected", committed.rejected + rejected},
                                    {"spooled", true}})));
        });
    }

    void
    remember(std::optional<providers::provider::replay_guard> const& replay)
    {
        if (replay) ctx_.replays.remember(replay->key, settings_.now_unix, settings_.now_unix + replay->ttl_seconds);
    }

    /// An ESP message for a person (SNS subscription confirmations): logged,
    /// counted, recorded, then answered. It is acknowledged only once
    /// recorded, because SNS will not send it again after a 2xx.
    void
    record_notice(providers::parse_result parsed)
    {
        auto const n = parsed.notices.front();
        log::warn("provider notice needs attention",
                  {{"provider", name_}, {"source", source_}, {"kind", n.kind}, {"topic", n.topic}, {"url", n.url}});
        metrics::global()
            .get_counter("rebound_provider_notices_total", "Messages from ESPs that need an operator (e.g. SNS subscriptions)",
                         {{"provider", name_}, {"kind", n.kind}})
            .inc();
        auto self = shared_from_this();
        bool const queued = ctx_.reader.run(
            store::sql::record_provider_notice, {name_, source_, n.kind, n.topic, n.url, n.raw_json},
            [self, n, ignored = parsed.ignored](store::table_result r) {
                if (!r)
                    return self->respond_(http::unavailable("database_unavailable", "the notice could not be recorded",
                                                            self->ctx_.cfg.retry_after_seconds));
                self->respond_(http::json_ok(boost::json::serialize(boost::json::object{
                    {"accepted", 0}, {"duplicates", 0}, {"ignored", ignored}, {"rejected", 0}, {"notices", 1}})));
                self->maybe_confirm(n, r->cell(0, "id").value_or(""));
            },
            true);
        if (!queued) respond_(http::unavailable("busy", "too many requests in flight", ctx_.cfg.retry_after_seconds));
    }

    /// Confirms an SNS subscription by visiting its SubscribeURL, only when
    /// configured (secret auto_confirm_subscriptions=true) and only for a URL
    /// on an Amazon SNS host. The signature was checked before we got here.
    void
    maybe_confirm(providers::side_notice const& n, std::string const& notice_id)
    {
        auto const it = settings_.secrets.find("auto_confirm_subscriptions");
        if (n.kind != "sns_subscription_confirmation" || it == settings_.secrets.end() || it->second != "true") return;
        if (!verify::is_sns_url(n.url)) {
            log::warn("not confirming a subscription outside Amazon SNS", {{"url", n.url}});
            return;
        }
        auto& ctx = ctx_;
        ctx_.fetcher.get(n.url, [&ctx, n, notice_id](boost::system::error_code ec, unsigned status, std::string) {
            bool const ok = !ec && status == 200;
            metrics::global()
                .get_counter("rebound_sns_confirmations_total", "Automatic SNS subscription confirmations",
                             {{"result", ok ? "confirmed" : "failed"}})
                .inc();
            if (!ok) {
                log::warn("SNS subscription confirmation failed", {{"topic", n.topic}, {"status", std::to_string(status)}});
                return;
            }
            log::info("SNS subscription confirmed", {{"topic", n.topic}});
            ctx.reader.run(store::sql::confirm_provider_notice, {notice_id}, [](store::table_result) {}, true);
        });
    }
};

void
handle_webhook(context& ctx, http::request& req, http::path_params const& params, http::responder respond)
{
    auto admitted = providers::admit(params, req.headers.get("content-type"));
    if (auto& r = admitted.refused) {
        // Only a known provider with an acceptable source is counted: either
        // label would otherwise be the sender's choice.
        if (r->status == 415)
            metrics::count(admitted.target->name(),
                           metric_label(ctx.cfg, std::string(admitted.target->name()), admitted.source), outcome::parse_error);
        return respond(providers::to_response(std::move(*r), http::json_error));
    }
    std::make_shared<webhook_job>(ctx, *admitted.target, std::move(admitted.source), std::move(req), std::move(respond))
        ->start();
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
