// Retention of raw events: monthly partitions made ahead of time, expired
// ones dropped (schema/004_partitions.sql holds the SQL functions).
//
// Rollups (daily_stats) and recipient_state are separate tables, so the
// answers and the rates outlive the raw events. Each pass is one short
// transaction serialised across instances by an advisory lock, so any number
// of rebound processes can run the maintainer.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace rebound::store {

struct retention_policy {
    unsigned months_ahead = 3;
    unsigned keep_months = 13;  // whole months before the current one; 0 keeps everything
};

struct maintenance_report {
    int created = 0;        // partitions made
    int dropped = 0;        // expired partitions dropped
    std::int64_t pruned = 0;  // expired rows deleted from the default partition
};

/// One maintenance pass on its own connection. Errors come back as text.
boost::system::result<maintenance_report, std::string> maintain_partitions(std::string const& conninfo,
                                                                           retention_policy policy);

/// Runs maintain_partitions at start and then every `interval` on its own
/// thread, logging and counting each pass; a failed pass (database down,
/// lock timeout) is retried at the next one.
class partition_maintainer {
public:
    partition_maintainer(std::string conninfo, retention_policy policy, std::chrono::milliseconds interval);
    ~partition_maintainer();
    partition_maintainer(partition_maintainer const&) = delete;
    partition_maintainer& operator=(partition_maintainer const&) = delete;

    /// Starts the thread and waits up to `wait_first` for the first pass, so
    /// the partitions exist, and expired rows are gone, before ingest starts.
    void start(std::chrono::milliseconds wait_first = std::chrono::seconds(5));
    void stop();

private:
    void run();

    std::string conninfo_;
    retention_policy policy_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    unsigned passes_ = 0;
    std::thread thread_;
};

}  // namespace rebound::store
