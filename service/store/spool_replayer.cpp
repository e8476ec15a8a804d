// Spool replay (see spool_replayer.hpp).
#include "store/spool_replayer.hpp"

#include "log/log.hpp"
#include "store/ingest_writer.hpp"
#include "store/spool.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace rebound::store {

spool_replayer::spool_replayer(spool& s, ingest_writer& w) : spool_(s), writer_(w) {}

spool_replayer::~spool_replayer()
{
    stop();
}

namespace {

/// Replay keeps this many records in the writers' queues at once: enough to
/// fill group commits (one at a time managed about as many events a second
/// as live intake, so a long outage took as long again to drain), few
/// enough to leave the queue to live requests.
constexpr std::size_t max_in_flight = 64;

struct in_flight {
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t pending = 0;
    bool failed = false;
};

}  // namespace

bool
spool_replayer::drain()
{
    if (spool_.stats().bytes == 0 || !writer_.available()) return spool_.stats().bytes == 0;
    spool_.rotate();
    for (auto const& segment : spool_.closed_segments()) {
        auto flight = std::make_shared<in_flight>();
        bool ok = true;
        std::size_t records = 0;
        auto const corrupt = spool::read_segment(segment, [&](spooled_request&& r) {
            if (!ok || stopping_) {
                ok = false;
                return;
            }
            for (int attempt = 0; attempt < 50 && !stopping_; ++attempt) {
                {
                    std::unique_lock lock{flight->mutex};
                    flight->changed.wait(lock, [&] { return flight->pending < max_in_flight; });
                    if (flight->failed) break;
                    ++flight->pending;
                }
                // submit() takes the vectors only when it accepts them.
                auto const ec = writer_.submit(std::move(r.events), std::move(r.rejected),
                                               [this, flight](boost::system::error_code e, ingest_result, unwritten) {
                                                   if (!e) ++replayed_;
                                                   std::lock_guard lock{flight->mutex};
                                                   --flight->pending;
                                                   flight->failed |= static_cast<bool>(e);
                                                   flight->changed.notify_all();
                                               });
                if (!ec) {
                    ++records;
                    return;
                }
                {
                    std::lock_guard lock{flight->mutex};
                    --flight->pending;
                }
                if (ec != store_errc::queue_full) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            ok = false;
        });
        // The segment goes only once every record in it is committed.
        std::unique_lock lock{flight->mutex};
        flight->changed.wait(lock, [&] { return flight->pending == 0; });
        if (!ok || flight->failed) {
            log::warn("spool replay paused; the database is not taking events", {{"segment", segment.filename().string()}});
            return false;
        }
        lock.unlock();
        spool_.remove(segment);
        log::info("spool segment replayed", {{"segment", segment.filename().string()}, {"records", std::to_string(records)},
                                             {"corrupt_tails", std::to_string(corrupt)}});
    }
    return true;
}

void
spool_replayer::drain_at_startup(std::chrono::milliseconds wait)
{
    if (spool_.stats().bytes == 0) return;
    auto const until = std::chrono::steady_clock::now() + wait;
    while (!writer_.available() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    log::info("replaying the spool before serving", {{"bytes", std::to_string(spool_.stats().bytes)}});
    drain();
}

void
spool_replayer::start_background()
{
    thread_ = std::thread([this] {
        while (!stopping_) {
            drain();
            for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
}

void
spool_replayer::stop()
{
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

}  // namespace rebound::store
