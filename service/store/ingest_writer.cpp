// Group-commit writer threads (see ingest_writer.hpp for the design).
//
// This is the store's edge: libpqxx throws, and every exception is caught
// here and turned into a store_errc delivered through the callback.
#include "store/ingest_writer.hpp"

#include "log/log.hpp"
#include "metrics/metrics.hpp"
#include "store/queries.hpp"

#include <pqxx/pqxx>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

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

/// One request's share of the work, completed when every shard it touched
/// has committed.
struct request_state {
    ingest_callback done;
    std::atomic<int> parts_left{0};
    std::mutex mutex;
    ingest_result result;
    boost::system::error_code error;

    void finish_part(boost::system::error_code ec, ingest_result const& part)
    {
        {
            std::lock_guard lock{mutex};
            result.accepted += part.accepted;
            result.duplicates += part.duplicates;
            result.rejected += part.rejected;
            if (ec && !error) error = ec;
        }
        if (parts_left.fetch_sub(1) == 1) done(error, result);
    }
};

struct work_item {
    std::shared_ptr<request_state> request;
    std::vector<model::normalized_event> events;
    std::vector<model::rejected_event> rejected;
};

/// COPY's text format cannot carry NUL, and PostgreSQL text refuses it; JSON
/// "\u0000" decodes to one. Dropping it is the only lossless-enough choice,
/// and the raw JSON keeps the escape verbatim anyway.
std::string
without_nul(std::string const& s)
{
    if (s.find('\0') == std::string::npos) return s;
    std::string out;
    out.reserve(s.size());
    for (char c : s)
        if (c != '\0') out.push_back(c);
    return out;
}

/// Recipients are spread over a fixed number of logical shards with a hash
/// that is stable across builds, so that every process sharing the database
/// agrees on which shard a recipient is in, whatever its writer count.
constexpr unsigned logical_shards = 64;

unsigned
logical_shard_of(std::string const& recipient) noexcept
{
    std::uint32_t h = 2166136261u;  // FNV-1a
    for (unsigned char c : recipient) {
        h ^= c;
        h *= 16777619u;
    }
    return h % logical_shards;
}

std::vector<std::string> const staging_columns{
    "seq", "provider", "source", "provider_event_id", "event_type", "recipient", "recipient_domain",
    "occurred_us", "smtp_code", "enhanced_status", "diagnostic", "esp_message_id", "esp_class", "esp_type",
    "remote_mta", "user_ref", "reason", "severity", "classifier_version", "raw"};

std::vector<std::string> const rejected_columns{"provider", "source", "why", "raw"};

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
    };

    options opts;
    std::vector<std::unique_ptr<shard>> shards;
    std::atomic<std::size_t> queued{0};
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

    explicit impl(options o) : opts(std::move(o))
    {
        for (unsigned i = 0; i < opts.shards; ++i) {
            shards.push_back(std::make_unique<shard>());
            shards.back()->slot = static_cast<int>(i);
        }
        dead_reasons_literal = "{";
        for (std::size_t i = 0; i < opts.dead_reasons.size(); ++i)
            dead_reasons_literal += (i ? "," : "") + opts.dead_reasons[i];
        dead_reasons_literal += "}";
        for (unsigned i = 0; i < opts.shards; ++i) shards[i]->thread = std::thread([this, i] { run(*shards[i]); });
    }

    std::size_t
    shard_of(std::string const& recipient) const noexcept
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
            {
                pqxx::nontransaction tx{*conn};
                tx.exec(std::string(sql::create_staging.text));
            }
            conn->prepare(std::string(sql::lock_shard.name), std::string(sql::lock_shard.text));
            conn->prepare(std::string(sql::merge_staged.name), std::string(sql::merge_staged.text));
            conn->prepare(std::string(sql::upsert_recipient_state.name), std::string(sql::upsert_recipient_state.text));
            conn->prepare(std::string(sql::resolve_notices_by_delivery.name), std::string(sql::resolve_notices_by_delivery.text));
            conn->prepare(std::string(sql::open_notices.name), std::string(sql::open_notices.text));
            conn->prepare(std::string(sql::upsert_daily_stats.name), std::string(sql::upsert_daily_stats.text));
            conn->prepare(std::string(sql::upsert_daily_totals.name), std::string(sql::upsert_daily_totals.text));
            conn->prepare(std::string(sql::upsert_daily_domain_totals.name), std::string(sql::upsert_daily_domain_totals.text));
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

                // Let the batch fill for at most batch_delay.
                auto const deadline = std::chrono::steady_clock::now() + opts.batch_delay;
                while (!stopping && s.queued_events < opts.batch_size &&
                       s.wake.wait_until(lock, deadline) != std::cv_status::timeout) {
                }

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
        for (auto& item : batch) item.request->finish_part(e, {});
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
                batch[i].request->finish_part({}, results[i]);
            }
            batch_events.observe(static_cast<double>(events));
            batch_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
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
        for (auto& item : batch) {
            std::vector<work_item> one;
            one.push_back(std::move(item));
            try {
                auto results = write_batch(s, one);
                one[0].request->finish_part({}, results[0]);
            } catch (pqxx::broken_connection const& e) {
                disconnect(s, e.what());
                one[0].request->finish_part(store_errc::unavailable, {});
                if (!connect(s)) continue;
            } catch (std::exception const& e) {
                log::error("request write failed", {{"error", e.what()}});
                one[0].request->finish_part(store_errc::write_failed, {});
            }
        }
    }

    /// One transaction: COPY into staging, merge with ON CONFLICT DO NOTHING,
    /// fold the new rows into recipient_state, daily_stats and notices, keep
    /// the rejected events.
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
            std::vector<bool> touched(logical_shards, false);
            for (auto const& item : batch)
                for (auto const& e : item.events) touched[logical_shard_of(e.recipient)] = true;
            for (unsigned shard = 0; shard < logical_shards; ++shard)
                if (touched[shard]) tx.exec_prepared(std::string(sql::lock_shard.name), static_cast<int>(shard));

            pqxx::stream_to copy{tx, std::string(sql::staging_table), staging_columns};
            int seq = 0;
            for (auto const& item : batch)
                for (auto const& e : item.events)
                    copy << std::make_tuple(
                        seq++, e.provider, e.source, without_nul(e.provider_event_id), std::string(model::to_string(e.type)),
                        without_nul(e.recipient), without_nul(e.recipient_domain), e.occurred_at,
                        e.smtp_code ? std::to_string(*e.smtp_code) : std::string{}, without_nul(e.enhanced_status),
                        without_nul(e.diagnostic), without_nul(e.esp_message_id), without_nul(e.esp_class),
                        without_nul(e.esp_type), without_nul(e.remote_mta), without_nul(e.user_ref), e.reason,
                        e.sev == model::severity::none ? std::string{} : std::string(model::to_string(e.sev)),
                        e.classifier_version, e.raw_json);
            copy.complete();

            auto const inserted = tx.exec_prepared(std::string(sql::merge_staged.name));
            tx.exec_prepared(std::string(sql::upsert_recipient_state.name));
            tx.exec_prepared(std::string(sql::upsert_daily_stats.name), s.slot);
            tx.exec_prepared(std::string(sql::upsert_daily_totals.name), s.slot);
            tx.exec_prepared(std::string(sql::upsert_daily_domain_totals.name), s.slot);
            tx.exec_prepared(std::string(sql::open_notices.name), dead_reasons_literal);
            tx.exec_prepared(std::string(sql::resolve_notices_by_delivery.name));

            // Credit each newly stored event to the first request that sent it.
            std::unordered_map<std::string, std::vector<std::size_t>> owners;
            owners.reserve(total_events);
            for (std::size_t i = 0; i < batch.size(); ++i)
                for (auto const& e : batch[i].events) owners[e.provider + '\x1f' + without_nul(e.provider_event_id)].push_back(i);
            for (auto const& row : inserted) {
                auto const it = owners.find(row[0].as<std::string>() + '\x1f' + row[1].as<std::string>());
                if (it != owners.end() && !it->second.empty()) ++results[it->second.front()].accepted;
            }
            for (std::size_t i = 0; i < batch.size(); ++i)
                results[i].duplicates = batch[i].events.size() - results[i].accepted;
        }

        bool any_rejected = false;
        for (auto const& item : batch) any_rejected |= !item.rejected.empty();
        if (any_rejected) {
            pqxx::stream_to copy{tx, std::string(sql::rejected_table), rejected_columns};
            for (std::size_t i = 0; i < batch.size(); ++i)
                for (auto const& r : batch[i].rejected) {
                    copy << std::make_tuple(r.provider, r.source, r.why, r.raw_json);
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
    std::vector<work_item> parts(m.shards.size());
    for (auto& e : events) parts[m.shard_of(e.recipient)].events.push_back(std::move(e));
    parts[0].rejected = std::move(rejected);

    auto request = std::make_shared<request_state>();
    request->done = std::move(done);
    int n = 0;
    for (auto const& p : parts) n += (!p.events.empty() || !p.rejected.empty()) ? 1 : 0;
    if (n == 0) {
        request->done({}, {});
        return {};
    }
    request->parts_left = n;

    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto& p = parts[i];
        if (p.events.empty() && p.rejected.empty()) continue;
        p.request = request;
        auto& s = *m.shards[i];
        std::size_t const count = p.events.size();
        {
            std::lock_guard lock{s.mutex};
            s.queued_events += count;
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
