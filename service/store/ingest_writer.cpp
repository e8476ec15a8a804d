// Group-commit writer threads (see ingest_writer.hpp for the design).
//
// This is the store's edge: libpqxx throws, and every exception is caught
// here and turned into a store_errc delivered through the callback.
#include "store/ingest_writer.hpp"

#include "log/log.hpp"
#include "metrics/metrics.hpp"
#include "store/batch_session.hpp"
#include "store/copy_in.hpp"
#include "store/copy_rows.hpp"
#include "store/queries.hpp"
#include "store/shards.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <thread>
#include <tuple>

namespace rebound::store {

namespace {

class store_category_impl final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "rebound.store"; }
    std::string message(int ev) const override
    {
        switch (static_cast<store_errc>(ev)) {
        case store_errc::queue_full: return "the database queue is full";
        case store_errc::unavailable: return "the database is unavailable";
        case store_errc::write_failed: return "the database refused the events";
        case store_errc::shutting_down: return "the service is shutting down";
        }
        return "unknown store error";
    }
};

struct request_state;

struct work_item {
    std::shared_ptr<request_state> request;
    std::vector<model::normalized_event> events;
    std::vector<model::rejected_event> rejected;
};

/// One request's share of the work, completed when every shard it touched
/// has committed or failed.
struct request_state {
    ingest_callback done;
    std::atomic<int> parts_left{0};
    std::atomic<std::uint64_t>* completions = nullptr;  // the writer's count of answered requests
    std::mutex mutex;
    ingest_result result;
    boost::system::error_code error;
    unwritten failed;  // the events of the parts that did not commit

    void finish_part(ingest_result const& part)
    {
        {
            std::lock_guard lock{mutex};
            result.accepted += part.accepted;
            result.duplicates += part.duplicates;
            result.rejected += part.rejected;
        }
        finish_one();
    }

    /// `item` did not commit: its events go back to the caller with `ec`.
    void fail_part(boost::system::error_code ec, work_item& item)
    {
        {
            std::lock_guard lock{mutex};
            if (!error) error = ec;
            auto append = [](auto& to, auto& from) {
                if (to.empty()) to = std::move(from);
                else std::move(from.begin(), from.end(), std::back_inserter(to));
            };
            append(failed.events, item.events);
            append(failed.rejected, item.rejected);
        }
        finish_one();
    }

private:
    void finish_one()
    {
        if (parts_left.fetch_sub(1) != 1) return;
        completions->fetch_add(1, std::memory_order_relaxed);
        if (error) done(error, result, std::move(failed));
        else done({}, result, {});
    }
};

/// The key a stored event is reported back under by new_event_keys, with the
/// batch item (request) that sent it. Sorted, so that the keys the batch
/// returns are found by binary search: a hash map cost an allocation per
/// event.
struct event_owner {
    std::string_view id;
    std::string_view provider;
    std::size_t item;

    auto key() const noexcept { return std::tie(id, provider); }
};

}  // namespace

boost::system::error_category const&
store_category() noexcept
{
    static store_category_impl const instance;
    return instance;
}

//------------------------------------------------------------------------------

struct ingest_writer::impl {
    struct shard {
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<work_item> queue;
        std::size_t queued_events = 0;
        std::unique_ptr<pqxx::connection> conn;
        std::thread thread;
        int slot = 0;  // this writer's rows in daily_stats
        std::string copy_buffer;  // COPY chunks, reused
        batch_session session;    // this connection's staging tables and statements
        // Requests that reached this writer in all, and the counts when it
        // took its last batch (run: when to stop waiting for a batch to fill).
        std::uint64_t arrivals = 0;
        std::uint64_t arrivals_at_take = 0;
        std::uint64_t completions_at_take = 0;
    };

    options opts;
    std::vector<std::unique_ptr<shard>> shards;
    std::atomic<std::size_t> queued{0};
    std::atomic<std::uint64_t> completions{0};  // requests answered, by every writer
    std::atomic<unsigned> connected{0};
    std::atomic<bool> stopping{false};
    std::string dead_reasons_literal;  // a text[] literal, e.g. {userunknown,hostunknown}

    metrics::gauge& queue_gauge = metrics::global().get_gauge(
        "rebound_db_queue_events", "Events waiting for a database writer");
    metrics::gauge& connected_gauge = metrics::global().get_gauge(
        "rebound_db_writers_connected", "Writer connections currently open");
    metrics::histogram& batch_events = metrics::global().get_histogram(
        "rebound_db_batch_events", "Events per group commit", {1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000});
    metrics::histogram& batch_seconds = metrics::global().get_histogram(
        "rebound_db_batch_seconds", "Time to write and commit one batch",
        {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
    metrics::counter& batch_failures = metrics::global().get_counter(
        "rebound_db_batch_failures_total", "Batches that failed to commit");
    metrics::counter& staging_vacuums = metrics::global().get_counter(
        "rebound_db_staging_vacuums_total", "VACUUMs of a writer's staging tables (one per ~4,000 staged rows)");

    explicit impl(options o) : opts(std::move(o)), dead_reasons_literal(reasons_literal(opts.dead_reasons))
    {
        for (unsigned i = 0; i < opts.shards; ++i) {
            shards.push_back(std::make_unique<shard>());
            shards.back()->slot = static_cast<int>(i);
        }
        for (unsigned i = 0; i < opts.shards; ++i) shards[i]->thread = std::thread([this, i] { run(*shards[i]); });
    }

    std::size_t
    shard_of(std::string_view recipient) const noexcept
    {
        return logical_shard_of(recipient) % shards.size();
    }

    //--------------------------------------------------------------------------
    // Connection management

    bool
    connect(shard& s)
    {
        if (s.conn && s.conn->is_open()) return true;
        try {
            auto conn = std::make_unique<pqxx::connection>(opts.conninfo);
            s.session.open(*conn);
            s.conn = std::move(conn);
            connected_gauge.set(++connected);
            log::info("database writer connected", {{"connected", std::to_string(connected.load())}});
            return true;
        } catch (std::exception const& e) {
            log::debug("database writer cannot connect", {{"error", e.what()}});
            return false;
        }
    }

    void
    disconnect(shard& s, char const* why)
    {
        if (!s.conn) return;
        s.conn.reset();
        connected_gauge.set(--connected);
        log::warn("database writer lost its connection", {{"error", why}});
    }

    //--------------------------------------------------------------------------
    // The writer loop

    void
    run(shard& s)
    {
        connect(s);
        for (;;) {
            std::vector<work_item> batch;
            {
                std::unique_lock lock{s.mutex};
                // While disconnected, wake regularly to reconnect, so the
                // service recovers without a request having to fail first.
                while (s.queue.empty() && !stopping) {
                    if (s.conn) {
                        s.wake.wait(lock);
                    } else {
                        s.wake.wait_for(lock, std::chrono::milliseconds(500));
                        if (s.queue.empty() && !stopping) {
                            lock.unlock();
                            connect(s);
                            lock.lock();
                        }
                    }
                }
                if (s.queue.empty() && stopping) break;

                // Let the batch fill, for at most batch_delay, until every
                // request answered since this writer's last batch began has
                // been replaced here. A client sends its next request when
                // it gets its answer, so under load each commit is followed
                // by a wave of replacements: taking the queue at once gave
                // 30 % smaller group commits, and PostgreSQL pays a fixed
                // cost per transaction; but a fixed wait went on after the
                // wave had come, and left both writers idle together. Against
                // the fixed 5 ms, four alternating rounds: 6.5 % more events
                // a second under full load, and at half load a p50 of 14.6
                // instead of 26.9 ms (docs/performance.md). Where answers do
                // not bring requests back to this writer (single events go to
                // one writer of two), the count never catches up and the wait
                // is batch_delay, as before.
                auto const deadline = std::chrono::steady_clock::now() + opts.batch_delay;
                auto replaced = [&] {
                    return s.arrivals - s.arrivals_at_take >=
                           completions.load(std::memory_order_relaxed) - s.completions_at_take;
                };
                while (!stopping && s.queued_events < opts.batch_size && !replaced() &&
                       s.wake.wait_until(lock, deadline) != std::cv_status::timeout) {
                }
                s.arrivals_at_take = s.arrivals;
                s.completions_at_take = completions.load(std::memory_order_relaxed);

                std::size_t taken = 0;
                while (!s.queue.empty() && (batch.empty() || taken + s.queue.front().events.size() <= opts.batch_size)) {
                    taken += s.queue.front().events.size();
                    batch.push_back(std::move(s.queue.front()));
                    s.queue.pop_front();
                }
                s.queued_events -= taken;
                queued -= taken;
                queue_gauge.set(static_cast<std::int64_t>(queued.load()));
            }
            write(s, batch);
        }
        if (s.conn) {
            s.conn.reset();
            connected_gauge.set(--connected);
        }
    }

    void
    fail(std::vector<work_item>& batch, store_errc e)
    {
        for (auto& item : batch) item.request->fail_part(e, item);
    }

    void
    write(shard& s, std::vector<work_item>& batch)
    {
        if (!connect(s)) {
            fail(batch, store_errc::unavailable);
            return;
        }
        auto const started = std::chrono::steady_clock::now();
        try {
            auto results = write_batch(s, batch);
            std::size_t events = 0;
            for (std::size_t i = 0; i < batch.size(); ++i) {
                events += batch[i].events.size();
                batch[i].request->finish_part(results[i]);
            }
            batch_events.observe(static_cast<double>(events));
            batch_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            tidy_staging(s, events);
            return;
        } catch (pqxx::broken_connection const& e) {
            batch_failures.inc();
            disconnect(s, e.what());
            fail(batch, store_errc::unavailable);
            return;
        } catch (pqxx::in_doubt_error const& e) {
            // The commit may or may not have happened. Failing is safe: the
            // ESP retries and the dedup key absorbs a repeat.
            batch_failures.inc();
            disconnect(s, e.what());
            fail(batch, store_errc::unavailable);
            return;
        } catch (std::exception const& e) {
            batch_failures.inc();
            log::error("batch write failed; retrying its requests one by one", {{"error", e.what()}});
            if (!s.conn->is_open()) {
                disconnect(s, e.what());
                fail(batch, store_errc::unavailable);
                return;
            }
        }
        // One bad request must not fail the others that shared its batch.
        bool unreachable = false;  // a lost connection that one reconnect did not bring back
        for (auto& item : batch) {
            std::vector<work_item> one;
            one.push_back(std::move(item));
            if (!s.conn && (unreachable || !connect(s))) {
                unreachable = true;
                one[0].request->fail_part(store_errc::unavailable, one[0]);
                continue;
            }
            try {
                auto results = write_batch(s, one);
                one[0].request->finish_part(results[0]);
                tidy_staging(s, one[0].events.size());
            } catch (pqxx::broken_connection const& e) {
                disconnect(s, e.what());
                one[0].request->fail_part(store_errc::unavailable, one[0]);
            } catch (std::exception const& e) {
                log::error("request write failed", {{"error", e.what()}});
                one[0].request->fail_part(store_errc::write_failed, one[0]);
            }
        }
    }

    /// After a commit, outside its transaction and after its answers: a
    /// failure here loses nothing, so it must not fail the batch.
    void
    tidy_staging(shard& s, std::size_t rows) noexcept
    {
        try {
            if (s.session.committed(*s.conn, rows)) staging_vacuums.inc();
        } catch (pqxx::broken_connection const& e) {
            disconnect(s, e.what());
        } catch (std::exception const& e) {
            log::warn("vacuuming the staging tables failed", {{"error", e.what()}});
        }
    }

    /// Sets each item's accepted and duplicate counts from the `inserted`
    /// events the merge kept out of `total_events`.
    static void
    credit_new_events(shard& s, pqxx::work& tx, std::vector<work_item> const& batch, std::size_t inserted,
                      std::size_t total_events, std::vector<ingest_result>& results)
    {
        if (inserted == total_events) {
            // Nothing was a duplicate, not even within the batch.
            for (std::size_t i = 0; i < batch.size(); ++i) results[i].accepted = batch[i].events.size();
        } else if (inserted > 0) {
            // Credit each newly stored event to the first request that sent it.
            // Ids come back as stored, without NUL (copy_rows.hpp).
            auto const rows = s.session.new_keys(tx);
            std::deque<std::string> stripped;
            std::vector<event_owner> owners;
            owners.reserve(total_events);
            for (std::size_t i = 0; i < batch.size(); ++i)
                for (auto const& e : batch[i].events) {
                    std::string_view id = e.provider_event_id;
                    if (id.find('\0') != std::string_view::npos) {
                        stripped.emplace_back();
                        append_copy_text(stripped.back(), id);
                        id = stripped.back();
                    }
                    owners.push_back({id, e.provider, i});
                }
            // Equal keys keep batch order, so the first request wins.
            std::stable_sort(owners.begin(), owners.end(),
                             [](event_owner const& a, event_owner const& b) { return a.key() < b.key(); });
            for (auto const& row : rows) {
                std::string_view const provider{row[0].c_str(), row[0].size()};
                std::string_view const id{row[1].c_str(), row[1].size()};
                auto const it = std::lower_bound(owners.begin(), owners.end(), std::tie(id, provider),
                                                 [](event_owner const& o, auto const& key) { return o.key() < key; });
                if (it != owners.end() && it->key() == std::tie(id, provider)) ++results[it->item].accepted;
            }
        }
        for (std::size_t i = 0; i < batch.size(); ++i)
            results[i].duplicates = batch[i].events.size() - results[i].accepted;
    }

    /// One transaction: COPY into staging, merge with ON CONFLICT DO NOTHING,
    /// fold the new rows into recipient_state, daily_stats and notices, keep
    /// the rejected events (batch_session.hpp: four round trips and COMMIT).
    /// Returns each item's counts, in batch order.
    std::vector<ingest_result>
    write_batch(shard& s, std::vector<work_item>& batch)
    {
        std::vector<ingest_result> results(batch.size());
        pqxx::work tx{*s.conn};

        std::size_t total_events = 0;
        for (auto const& item : batch) total_events += item.events.size();

        if (total_events > 0) {
            // Within this process a recipient only ever reaches this writer.
            // Another rebound on the same database may hold the same
            // recipients: lock their logical shards, in ascending order so two
            // writers can never wait on each other in a cycle.
            shard_set touched;
            for (auto const& item : batch)
                for (auto const& e : item.events) touched.set(logical_shard_of(e.recipient));
            s.session.begin(tx, shard_list_literal(touched));

            copy_in copy{tx, sql::staging_table, staging_columns(), s.copy_buffer};
            int seq = 0;
            for (auto const& item : batch)
                for (auto const& e : item.events)
                    copy.row_with([&](std::string& out) { append_staging_row(out, e, seq++); });
            copy.complete();

            // Most batches open no notice and many resolve none: skip the
            // planning and the executor start when the batch cannot.
            bool may_open = false, may_resolve = false;
            for (auto const& item : batch)
                for (auto const& e : item.events) {
                    may_resolve |= e.type == model::event_type::delivered;
                    may_open |= e.type == model::event_type::bounce && e.sev == model::severity::hard &&
                                std::find(opts.dead_reasons.begin(), opts.dead_reasons.end(), e.reason) != opts.dead_reasons.end();
                }
            fold_steps steps;
            steps.slot = s.slot;
            if (may_open) steps.open_notices = dead_reasons_literal;
            steps.resolve_notices = may_resolve;
            auto const inserted = s.session.fold(tx, steps);
            credit_new_events(s, tx, batch, inserted, total_events, results);
        }

        bool any_rejected = false;
        for (auto const& item : batch) any_rejected |= !item.rejected.empty();
        if (any_rejected) {
            copy_in copy{tx, sql::rejected_table, rejected_columns(), s.copy_buffer};
            for (std::size_t i = 0; i < batch.size(); ++i)
                for (auto const& r : batch[i].rejected) {
                    copy.row_with([&](std::string& out) { append_rejected_row(out, r); });
                    ++results[i].rejected;
                }
            copy.complete();
        }

        tx.commit();
        return results;
    }
};

//------------------------------------------------------------------------------

ingest_writer::ingest_writer(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

ingest_writer::~ingest_writer()
{
    stop();
}

boost::system::error_code
ingest_writer::submit(std::vector<model::normalized_event>&& events, std::vector<model::rejected_event>&& rejected,
                      ingest_callback done)
{
    auto& m = *impl_;
    if (m.stopping) return store_errc::shutting_down;
    if (m.connected.load() < m.shards.size()) return store_errc::unavailable;
    // The limit is a soft one: a request is admitted whole or not at all.
    if (m.queued.load() + events.size() > m.opts.queue_limit) return store_errc::queue_full;

    // Split by recipient shard; rejected events ride with shard 0's part.
    // Each part is sized first: growing it would move every event again.
    std::vector<work_item> parts(m.shards.size());
    std::vector<unsigned> shard_of_event(events.size());
    std::vector<std::size_t> sizes(parts.size(), 0);
    for (std::size_t i = 0; i < events.size(); ++i) ++sizes[shard_of_event[i] = m.shard_of(events[i].recipient)];
    if (auto const only = std::find(sizes.begin(), sizes.end(), events.size()); only != sizes.end() && !events.empty()) {
        parts[static_cast<std::size_t>(only - sizes.begin())].events = std::move(events);  // one shard: no split
    } else {
        for (std::size_t k = 0; k < parts.size(); ++k) parts[k].events.reserve(sizes[k]);
        for (std::size_t i = 0; i < events.size(); ++i) parts[shard_of_event[i]].events.push_back(std::move(events[i]));
    }
    parts[0].rejected = std::move(rejected);

    auto request = std::make_shared<request_state>();
    request->done = std::move(done);
    int n = 0;
    for (auto const& p : parts) n += (!p.events.empty() || !p.rejected.empty()) ? 1 : 0;
    if (n == 0) {
        request->done({}, {}, {});
        return {};
    }
    request->parts_left = n;
    request->completions = &m.completions;

    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto& p = parts[i];
        if (p.events.empty() && p.rejected.empty()) continue;
        p.request = request;
        auto& s = *m.shards[i];
        std::size_t const count = p.events.size();
        {
            std::lock_guard lock{s.mutex};
            s.queued_events += count;
            ++s.arrivals;
            s.queue.push_back(std::move(p));
        }
        m.queued += count;
        s.wake.notify_one();
    }
    m.queue_gauge.set(static_cast<std::int64_t>(m.queued.load()));
    return {};
}

void
ingest_writer::stop()
{
    if (!impl_ || impl_->stopping.exchange(true)) return;
    for (auto& s : impl_->shards) {
        { std::lock_guard lock{s->mutex}; }
        s->wake.notify_all();
    }
    for (auto& s : impl_->shards)
        if (s->thread.joinable()) s->thread.join();
}

std::size_t
ingest_writer::queued_events() const noexcept
{
    return impl_->queued.load();
}

bool
ingest_writer::available() const noexcept
{
    return impl_->connected.load() == impl_->shards.size();
}

}  // namespace rebound::store
