// Spool replay (see spool_replayer.hpp).
#include "store/spool_replayer.hpp"

#include "log/log.hpp"
#include "store/ingest_writer.hpp"
#include "store/spool.hpp"

#include <future>

namespace rebound::store {

spool_replayer::spool_replayer(spool& s, ingest_writer& w) : spool_(s), writer_(w) {}

spool_replayer::~spool_replayer()
{
    stop();
}

bool
spool_replayer::drain()
{
    if (spool_.stats().bytes == 0 || !writer_.available()) return spool_.stats().bytes == 0;
    spool_.rotate();
    for (auto const& segment : spool_.closed_segments()) {
        bool ok = true;
        std::size_t records = 0;
        auto const corrupt = spool::read_segment(segment, [&](spooled_request&& r) {
            if (!ok || stopping_) {
                ok = false;
                return;
            }
            // One record at a time, waiting for its commit: replay is not the
            // hot path, and waiting keeps the queue bounded while draining.
            for (int attempt = 0; attempt < 50 && !stopping_; ++attempt) {
                std::promise<boost::system::error_code> committed;
                auto events = r.events;
                auto rejected = r.rejected;
                auto ec = writer_.submit(std::move(events), std::move(rejected),
                                         [&committed](boost::system::error_code e, ingest_result) { committed.set_value(e); });
                if (!ec) ec = committed.get_future().get();
                if (!ec) {
                    ++records;
                    ++replayed_;
                    return;
                }
                if (ec != store_errc::queue_full) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            ok = false;
        });
        if (!ok) {
            log::warn("spool replay paused; the database is not taking events", {{"segment", segment.filename().string()}});
            return false;
        }
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
