// Monthly event partitions: the maintenance pass and its timer thread.
#include "store/partitions.hpp"

#include "log/log.hpp"
#include "metrics/metrics.hpp"
#include "store/queries.hpp"

#include <pqxx/pqxx>

#include <algorithm>

namespace rebound::store {

boost::system::result<maintenance_report, std::string>
maintain_partitions(std::string const& conninfo, retention_policy policy)
{
    try {
        pqxx::connection conn{conninfo};
        pqxx::work tx{conn};
        tx.exec0(std::string(sql::maintenance_lock_timeout.text));
        auto const row = tx.exec_params1(std::string(sql::maintain_partitions.text), static_cast<int>(policy.months_ahead),
                                         static_cast<int>(policy.keep_months));
        tx.commit();
        return maintenance_report{row[0].as<int>(), row[1].as<int>(), row[2].as<std::int64_t>()};
    } catch (std::exception const& e) {
        return {boost::system::in_place_error, std::string(e.what())};
    }
}

partition_maintainer::partition_maintainer(std::string conninfo, retention_policy policy,
                                           std::chrono::milliseconds interval)
    : conninfo_(std::move(conninfo)), policy_(policy), interval_(interval)
{
}

partition_maintainer::~partition_maintainer()
{
    stop();
}

void
partition_maintainer::start(std::chrono::milliseconds wait_first)
{
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock{mutex_};
    wake_.wait_for(lock, wait_first, [this] { return passes_ > 0 || stopping_; });
}

void
partition_maintainer::stop()
{
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void
partition_maintainer::run()
{
    auto& passes_ok = metrics::global().get_counter("rebound_partition_maintenance_total",
                                                    "Partition maintenance passes by outcome", {{"outcome", "ok"}});
    auto& passes_failed = metrics::global().get_counter("rebound_partition_maintenance_total",
                                                        "Partition maintenance passes by outcome", {{"outcome", "failed"}});
    auto& dropped = metrics::global().get_counter("rebound_partitions_dropped_total",
                                                  "Expired monthly event partitions dropped");
    auto& created = metrics::global().get_counter("rebound_partitions_created_total", "Monthly event partitions made");
    std::unique_lock lock{mutex_};
    while (!stopping_) {
        lock.unlock();
        auto const r = maintain_partitions(conninfo_, policy_);
        if (r) {
            passes_ok.inc();
            created.inc(static_cast<std::uint64_t>(r->created));
            dropped.inc(static_cast<std::uint64_t>(r->dropped));
            if (r->created || r->dropped || r->pruned)
                log::info("event partitions maintained", {{"created", std::to_string(r->created)},
                                                          {"dropped", std::to_string(r->dropped)},
                                                          {"pruned_default_rows", std::to_string(r->pruned)}});
        } else {
            passes_failed.inc();
            log::warn("partition maintenance failed; retrying at the next pass", {{"error", r.error()}});
        }
        lock.lock();
        ++passes_;
        wake_.notify_all();
        // A failed pass (often the database restarting) is retried sooner.
        auto const wait = r ? interval_ : std::min(interval_, std::chrono::milliseconds(60000));
        wake_.wait_for(lock, wait, [this] { return stopping_; });
    }
}

}  // namespace rebound::store
