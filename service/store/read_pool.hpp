// A small bounded pool of reader connections for queries and health checks.
//
// Same rules as the writer: libpqxx only on these threads, exceptions caught
// here. Jobs are queued; when the queue is full, run() refuses at once so the
// HTTP layer can answer 503 instead of piling up work.
#pragma once

#include <pqxx/connection>

#include <functional>
#include <memory>
#include <string>

namespace rebound::store {

class read_pool {
public:
    /// A job gets a live connection. If it throws, `on_error` gets the text
    /// (and the connection is renewed when it broke).
    using job = std::function<void(pqxx::connection&)>;
    using error_handler = std::function<void(std::string const& what, bool unavailable)>;

    read_pool(std::string conninfo, unsigned threads, std::size_t queue_limit);
    ~read_pool();
    read_pool(read_pool const&) = delete;
    read_pool& operator=(read_pool const&) = delete;

    /// False when the queue is full or the pool is stopping.
    bool run(job j, error_handler on_error);
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace rebound::store
