// /healthz (the process is alive), /readyz (PostgreSQL reachable and
// migrated, writers connected) and /metrics (Prometheus).
#include "api/api.hpp"
#include "metrics/metrics.hpp"
#include "store/ingest_writer.hpp"
#include "store/migrate.hpp"
#include "store/queries.hpp"
#include "store/read_pool.hpp"
#include "store/spool.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <pqxx/pqxx>

namespace rebound::api {

void
register_health(http::router& r, context& ctx)
{
    r.add("GET", "/healthz", "healthz", [](http::request&, http::path_params const&, http::responder respond) {
        respond(http::json_ok(R"({"status":"ok"})"));
    });

    r.add("GET", "/readyz", "readyz", [&ctx](http::request&, http::path_params const&, http::responder respond) {
        auto const want = store::latest_migration_version();
        auto const queued = ctx.writer.queued_events();
        bool const writers = ctx.writer.available();
        boost::json::value spool = nullptr;
        if (ctx.spool) {
            auto const s = ctx.spool->stats();
            spool = boost::json::object{{"bytes", s.bytes}, {"segments", s.segments}, {"oldest_unix", s.oldest_unix}};
        }
        auto report = [=](bool reachable, int version, std::string const& error) {
            bool const ready = reachable && version >= want && writers;
            boost::json::object o{{"status", ready ? "ready" : "not_ready"},
                                  {"database_reachable", reachable},
                                  {"schema_version", version},
                                  {"schema_expected", want},
                                  {"writers_connected", writers},
                                  {"queued_events", queued},
                                  {"spool", spool}};
            if (!error.empty()) o["error"] = error;
            auto res = http::json_ok(boost::json::serialize(o), ready ? 200 : 503);
            if (!ready) res.headers.emplace_back("Retry-After", "5");
            respond(std::move(res));
        };
        bool const queued_ok = ctx.readers.run(
            [report](pqxx::connection& c) {
                pqxx::read_transaction tx{c};
                auto const v = tx.exec1(std::string(store::sql::readiness.text))[0].as<int>();
                report(true, v, {});
            },
            [report](std::string const& what, bool) { report(false, 0, what); });
        if (!queued_ok) report(false, 0, "reader queue full");
    });

    r.add("GET", "/metrics", "metrics", [](http::request&, http::path_params const&, http::responder respond) {
        respond({200, "text/plain; version=0.0.4", metrics::global().render(), {}});
    });
}

}  // namespace rebound::api
