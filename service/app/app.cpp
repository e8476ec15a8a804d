// Service assembly and the shutdown sequence.
#include "app/app.hpp"

#include "api/api.hpp"
#include "api/verification.hpp"
#include "http/fetch.hpp"
#include "classify/actions.hpp"
#include "classify/send_rules.hpp"
#include "http/server.hpp"
#include "log/log.hpp"
#include "providers/registry.hpp"
#include "store/ingest_writer.hpp"
#include "store/migrate.hpp"
#include "store/partitions.hpp"
#include "store/read_pool.hpp"
#include "store/reader.hpp"
#include "store/reclassify.hpp"
#include "store/spool.hpp"
#include "store/spool_replayer.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace rebound::app {

namespace {

void
apply_log_level(config::config const& cfg)
{
    log::level l;
    if (log::parse_level(cfg.log_level, l)) log::set_level(l);
}

/// Says loudly which endpoints accept unauthenticated webhooks.
void
report_credentials(config::config const& cfg)
{
    for (auto const* p : providers::all()) {
        std::string const name(p->name());
        auto const it = cfg.secrets.find(name);
        if (it == cfg.secrets.end() || it->second.empty())
            log::warn("no credentials configured; this endpoint accepts unsigned webhooks",
                      {{"provider", name}, {"path", "/v1/webhooks/" + name}});
    }
}

store::retention_policy
retention(config::config const& cfg)
{
    return {cfg.partitions_ahead, cfg.retention_months};
}

}  // namespace

//------------------------------------------------------------------------------

struct service::impl {
    config::config cfg;
    classify::action_table actions;
    classify::send_rules rules;
    std::unique_ptr<store::spool> spool;
    std::atomic<std::int64_t> saturated_since_ms{0};
    store::ingest_writer writer;
    store::read_pool readers;
    store::reader reader{readers};
    http::fetcher fetcher;
    api::document_cache documents{fetcher, cfg.sns_cert_dir};
    api::replay_cache replays;
    http::router routes;
    api::context ctx;
    http::server server;
    bool stopped = false;

    std::unique_ptr<store::spool_replayer> replayer;
    store::partition_maintainer maintainer{cfg.database_url, retention(cfg), cfg.maintenance_interval};

    impl(config::config c, classify::action_table a, classify::send_rules r, std::unique_ptr<store::spool> s)
        : cfg(std::move(c)),
          actions(std::move(a)),
          rules(std::move(r)),
          spool(std::move(s)),
          writer({cfg.database_url, cfg.db_writers, cfg.batch_size, cfg.batch_delay, cfg.queue_limit, actions.dead_reasons()}),
          readers(cfg.database_url, cfg.db_readers, 1024),
          ctx{cfg, writer, readers, reader, actions, rules, fetcher, documents, replays, spool.get(), saturated_since_ms},
          server({cfg.listen_host, cfg.listen_port, cfg.io_threads, cfg.body_limit, cfg.header_limit,
                  cfg.read_timeout, cfg.idle_timeout, cfg.max_connections},
                 (api::register_routes(routes, ctx), routes))
    {
    }
};

boost::system::result<std::unique_ptr<service>, std::string>
service::create(config::config cfg)
{
    auto actions = classify::action_table::load_file(cfg.actions_file);
    if (!actions) return {boost::system::in_place_error, "REBOUND_ACTIONS_FILE (actions_file): " + actions.error()};
    auto rules = classify::send_rules::load_file(cfg.send_rules_file);
    if (!rules) return {boost::system::in_place_error, "REBOUND_SEND_RULES_FILE (send_rules_file): " + rules.error()};
    std::unique_ptr<store::spool> spool;
    if (!cfg.spool_dir.empty()) {
        std::string error;
        spool = store::spool::open({cfg.spool_dir, cfg.spool_max_bytes}, error);
        if (!spool) return {boost::system::in_place_error, "REBOUND_SPOOL_DIR (spool_dir): " + error};
    }
    return std::unique_ptr<service>(
        new service(std::make_unique<impl>(std::move(cfg), std::move(*actions), std::move(*rules), std::move(spool))));
}

service::service(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

service::~service()
{
    stop(std::chrono::milliseconds(0));
}

boost::system::error_code
service::start()
{
    // This month's partition exists before any event is written.
    impl_->maintainer.start();
    // Events acknowledged from the spool go to PostgreSQL before new ones.
    if (impl_->spool) {
        impl_->replayer = std::make_unique<store::spool_replayer>(*impl_->spool, impl_->writer);
        impl_->replayer->drain_at_startup(std::chrono::seconds(10));
        impl_->replayer->start_background();
    }
    return impl_->server.start();
}

std::uint16_t
service::port() const noexcept
{
    return impl_->server.port();
}

std::vector<std::pair<std::string, std::string>>
service::routes() const
{
    return impl_->routes.list();
}

void
service::on_shutdown_signal(std::function<void()> f)
{
    impl_->server.on_shutdown_signal(std::move(f));
}

void
service::stop(std::chrono::milliseconds deadline)
{
    if (impl_->stopped) return;
    impl_->stopped = true;
    // Order matters: stop taking requests and answer those in flight (their
    // events are already queued), then flush the writers, then close.
    impl_->server.stop(deadline);
    if (impl_->replayer) impl_->replayer->stop();
    impl_->maintainer.stop();
    impl_->writer.stop();
    if (impl_->spool) impl_->spool->stop();
    impl_->readers.stop();
    impl_->fetcher.stop();
}

//------------------------------------------------------------------------------

int
migrate(config::config const& cfg)
{
    apply_log_level(cfg);
    auto const r = store::migrate(cfg.database_url);
    if (!r) {
        log::error("migration failed", {{"error", r.error().message}});
        return 1;
    }
    log::info("schema is up to date", {{"applied", std::to_string(r->applied)},
                                       {"version", std::to_string(r->current_version)}});
    return 0;
}

int
reclassify(config::config const& cfg)
{
    apply_log_level(cfg);
    if (int const rc = migrate(cfg); rc != 0) return rc;
    auto const r = store::reclassify(cfg.database_url, static_cast<int>(std::min<std::size_t>(cfg.batch_size, 10000)));
    if (!r) {
        log::error("reclassification stopped; run it again to resume", {{"error", r.error()}});
        return 1;
    }
    log::info("reclassification done", {{"scanned", std::to_string(r->scanned)}, {"changed", std::to_string(r->changed)},
                                        {"recipients_recomputed", std::to_string(r->recipients_recomputed)}});
    return 0;
}

int
maintain(config::config const& cfg)
{
    apply_log_level(cfg);
    if (int const rc = migrate(cfg); rc != 0) return rc;
    auto const r = store::maintain_partitions(cfg.database_url, retention(cfg));
    if (!r) {
        log::error("partition maintenance failed", {{"error", r.error()}});
        return 1;
    }
    log::info("event partitions maintained", {{"created", std::to_string(r->created)},
                                              {"dropped", std::to_string(r->dropped)},
                                              {"pruned_default_rows", std::to_string(r->pruned)},
                                              {"retention_months", std::to_string(cfg.retention_months)}});
    return 0;
}

int
serve(config::config const& cfg)
{
    apply_log_level(cfg);
    // A restart while PostgreSQL is down (a crash loop, a redeploy) must not
    // turn the spool's promise into "connection refused": with a spool, serve
    // anyway and migrate once the database answers. The writers cannot
    // prepare their statements against an old schema meanwhile, so nothing is
    // written before the migration; requests go to the spool.
    std::jthread late_migration;
    if (cfg.migrate_on_start) {
        auto const r = store::migrate(cfg.database_url);
        if (r) {
            log::info("schema is up to date", {{"applied", std::to_string(r->applied)},
                                               {"version", std::to_string(r->current_version)}});
        } else if (r.error().unreachable && !cfg.spool_dir.empty()) {
            log::warn("database unreachable at startup; serving from the spool and migrating when it returns",
                      {{"error", r.error().message}});
            late_migration = std::jthread([url = cfg.database_url](std::stop_token stop) {
                while (!stop.stop_requested()) {
                    for (int i = 0; i < 20 && !stop.stop_requested(); ++i)
                        std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    auto const again = store::migrate(url);
                    if (again) {
                        log::info("schema is up to date", {{"applied", std::to_string(again->applied)},
                                                           {"version", std::to_string(again->current_version)}});
                        return;
                    }
                    if (!again.error().unreachable) {
                        log::error("migration failed; the service keeps spooling", {{"error", again.error().message}});
                        return;
                    }
                }
            });
        } else {
            log::error("migration failed", {{"error", r.error().message}});
            return 1;
        }
    }
    report_credentials(cfg);
    if (cfg.api_tokens.empty())
        log::warn("no API tokens configured; the read API answers 401 to everyone",
                  {{"hint", "set REBOUND_API_TOKEN__<NAME>=sha256:<sha256 of the token>:read,notices"}});

    auto created = service::create(cfg);
    if (!created) {
        log::error("configuration error", {{"error", created.error()}});
        return 2;
    }
    auto& svc = **created;
    std::mutex mutex;
    std::condition_variable signalled;
    bool stop_requested = false;
    svc.on_shutdown_signal([&] {
        std::lock_guard lock{mutex};
        stop_requested = true;
        signalled.notify_all();
    });

    if (auto const ec = svc.start()) {
        log::error("cannot listen", {{"address", cfg.listen_host + ":" + std::to_string(cfg.listen_port)},
                                     {"error", ec.message()}});
        return 1;
    }
    log::info("serving", {{"address", cfg.listen_host + ":" + std::to_string(svc.port())},
                          {"io_threads", std::to_string(cfg.io_threads)},
                          {"db_writers", std::to_string(cfg.db_writers)}});

    {
        std::unique_lock lock{mutex};
        signalled.wait(lock, [&] { return stop_requested; });
    }
    log::info("shutting down");
    svc.stop();
    log::info("stopped");
    return 0;
}

}  // namespace rebound::app
