// Reader threads (see read_pool.hpp).
#include "store/read_pool.hpp"

#include "metrics/metrics.hpp"
#include "store/session.hpp"

#include <pqxx/pqxx>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace rebound::store {

struct read_pool::impl {
    struct task {
        job work;
        error_handler on_error;
    };

    std::string conninfo;
    std::size_t queue_limit;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<task> queue;
    bool stopping = false;
    std::vector<std::thread> threads;
    metrics::gauge& depth = metrics::global().get_gauge("rebound_db_read_queue", "Queries waiting for a reader connection");
    metrics::gauge& busy = metrics::global().get_gauge("rebound_db_readers_busy", "Reader connections running a query");

    void
    run_thread()
    {
        std::unique_ptr<pqxx::connection> conn;
        for (;;) {
            task t;
            {
                std::unique_lock lock{mutex};
                wake.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return;
                t = std::move(queue.front());
                queue.pop_front();
                depth.set(static_cast<std::int64_t>(queue.size()));
            }
            busy.add(1);
            try {
                if (!conn || !conn->is_open()) {
                    // Kept only once set up: a connection whose settings
                    // failed would otherwise serve every later request
                    // without them.
                    auto fresh = std::make_unique<pqxx::connection>(conninfo);
                    set_up_session(*fresh);
                    conn = std::move(fresh);
                }
                t.work(*conn);
            } catch (pqxx::broken_connection const& e) {
                conn.reset();
                t.on_error(e.what(), true);
            } catch (std::exception const& e) {
                bool const broken = conn && !conn->is_open();
                if (broken) conn.reset();
                t.on_error(e.what(), broken);
            }
            busy.add(-1);
        }
    }
};

read_pool::read_pool(std::string conninfo, unsigned threads, std::size_t queue_limit) : impl_(std::make_unique<impl>())
{
    impl_->conninfo = std::move(conninfo);
    impl_->queue_limit = queue_limit;
    for (unsigned i = 0; i < threads; ++i) impl_->threads.emplace_back([this] { impl_->run_thread(); });
}

read_pool::~read_pool()
{
    stop();
}

bool
read_pool::run(job j, error_handler on_error)
{
    {
        std::lock_guard lock{impl_->mutex};
        if (impl_->stopping || impl_->queue.size() >= impl_->queue_limit) return false;
        impl_->queue.push_back({std::move(j), std::move(on_error)});
        impl_->depth.set(static_cast<std::int64_t>(impl_->queue.size()));
    }
    impl_->wake.notify_one();
    return true;
}

void
read_pool::stop()
{
    {
        std::lock_guard lock{impl_->mutex};
        if (impl_->stopping) return;
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    for (auto& t : impl_->threads)
        if (t.joinable()) t.join();
}

}  // namespace rebound::store
