// The bounded database executor for ingest: group commits across requests.
//
// Requests hand their events to submit() and are answered from the callback
// once the transaction holding all of them has committed. Each writer thread
// owns one libpqxx connection and a fixed share of recipients (by hash), so:
//  - a recipient's state is only ever updated by one session: no deadlocks
//    between writers and exact streak arithmetic without row-level retries;
//  - batches from many requests share one COPY, one INSERT ... ON CONFLICT
//    and one state upsert, which is what makes ingest cheap.
// Nothing here runs on an I/O thread. When the queue is full or PostgreSQL
// is unreachable, submit() refuses at once and the caller answers 503.
#pragma once

#include "model/event.hpp"

#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rebound::store {

enum class store_errc {
    queue_full = 1,  // -> 503 with Retry-After
    unavailable,     // PostgreSQL unreachable -> 503 with Retry-After
    write_failed,    // the database refused the rows -> 500 (the ESP retries)
    shutting_down,   // -> 503
};

boost::system::error_category const& store_category() noexcept;

inline boost::system::error_code
make_error_code(store_errc e) noexcept
{
    return {static_cast<int>(e), store_category()};
}

struct ingest_result {
    std::size_t accepted = 0;    // newly stored events
    std::size_t duplicates = 0;  // events already stored (ESP retries)
    std::size_t rejected = 0;    // kept raw in rejected_events
};

/// A request's events that were not committed, handed back with the error
/// so that the caller can still make them durable (the spool) without
/// keeping a copy of every request in case the write fails.
struct unwritten {
    std::vector<model::normalized_event> events;
    std::vector<model::rejected_event> rejected;
};

/// Called exactly once per accepted submit(), on a writer thread. On error,
/// the third argument holds the events of every part that did not commit
/// (parts that did are durable and not handed back).
using ingest_callback = std::function<void(boost::system::error_code, ingest_result, unwritten)>;

class ingest_writer {
public:
    struct options {
        std::string conninfo;
        unsigned shards = 2;
        std::size_t batch_size = 5000;
        std::chrono::milliseconds batch_delay{5};
        std::size_t queue_limit = 100000;
        /// Reasons whose hard bounce opens an address-change notice (the
        /// action table's address_dead entries).
        std::vector<std::string> dead_reasons;
    };

    explicit ingest_writer(options opts);
    ~ingest_writer();
    ingest_writer(ingest_writer const&) = delete;
    ingest_writer& operator=(ingest_writer const&) = delete;

    /// Queues the events of one request. On success `done` runs later, after
    /// the commit (or a failure), and the vectors are consumed; on error
    /// `done` is never called and the vectors are left as they were, so the
    /// caller can spool them.
    boost::system::error_code submit(std::vector<model::normalized_event>&& events,
                                     std::vector<model::rejected_event>&& rejected, ingest_callback done);

    /// Writes everything already queued, then stops the threads. New
    /// submissions are refused from the moment it is called.
    void stop();

    std::size_t queued_events() const noexcept;
    /// Whether every writer holds a live connection.
    bool available() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace rebound::store

namespace boost::system {
template <>
struct is_error_code_enum<rebound::store::store_errc> : std::true_type {};
}  // namespace boost::system
