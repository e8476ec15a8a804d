// Drains the spool into PostgreSQL through the ordinary ingest writer.
//
// A segment is deleted only after every record in it has been committed;
// a crash in between replays it again, which the dedup keys make harmless.
// It runs once at startup, before the server accepts anything, and then in
// the background whenever the database is available.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace rebound::store {

class ingest_writer;
class spool;

class spool_replayer {
public:
    spool_replayer(spool& s, ingest_writer& w);
    ~spool_replayer();

    /// Replays every closed segment (rotating the active one first). Returns
    /// false if the database failed part-way; what was left stays spooled.
    bool drain();

    /// Waits up to `wait` for the writers to connect, then drains.
    void drain_at_startup(std::chrono::milliseconds wait);

    void start_background();
    void stop();

    std::uint64_t replayed_requests() const noexcept { return replayed_.load(); }

private:
    spool& spool_;
    ingest_writer& writer_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> replayed_{0};
    std::thread thread_;
};

}  // namespace rebound::store
