// rebound_ceiling: how fast PostgreSQL itself takes the rows rebound stores,
// with no HTTP, no JSON and no queues in the way.
//
// The rows are the ones rebound would store for the load generator's events:
// the same synthetic SendGrid batches (event_gen.hpp), parsed and classified
// by rebound's own provider and classifier code before the clock starts. The
// "full" mode then runs, per batch and in one transaction, every statement
// rebound's writer runs, through the writer's own store::batch_session
// (linked from rebound_core, so neither the SQL nor its round trips can drift
// from the service): the advisory locks of the batch's recipient shards,
// COPY into the staging table, merge_staged (INSERT ... ON CONFLICT DO
// NOTHING), upsert_recipient_state, the three daily rollups and the two
// notice statements; from N sessions that own disjoint recipient shards,
// exactly as rebound's writers do.
//
// The other modes are the reference points of issue 6: "state" is COPY +
// merge + recipient state only, "merge" COPY + merge, "copy" plain COPY into
// events, "multirow" one multi-row INSERT per request and "insert" one INSERT
// per event (each its own transaction, like a naive handler). Those two
// stand for receivers with a connection pool: give them as many sessions as
// the HTTP load has connections (run.sh does), since with 2 sessions one
// INSERT per event is about 1.6 times slower than with 16.
//
// COPY lines are formatted before timing, so the figure is the database's
// own; rebound pays for formatting inside its measurement, which is part of
// what the ratio shows.
#include "event_gen.hpp"

#include "classify/actions.hpp"
#include "classify/classifier.hpp"
#include "providers/registry.hpp"
#include "store/batch_session.hpp"
#include "store/copy_in.hpp"
#include "store/copy_rows.hpp"
#include "store/queries.hpp"
#include "store/shards.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

namespace sql = rebound::store::sql;
using clock_type = std::chrono::steady_clock;
using rebound::model::normalized_event;
using rebound::store::copy_in;

struct options {
    std::string db;
    std::uint64_t events = 200000;          // source events (SendGrid mix, incl. opens and clicks)
    std::uint64_t insert_events = 10000;    // for the slow per-event mode
    std::uint64_t multirow_events = 100000; // for the multi-row INSERT mode
    std::size_t batch = 10000;              // rows per transaction in the COPY modes
    std::size_t request_batch = 100;        // events per SendGrid request (and per multi-row INSERT)
    unsigned sessions = 2;
    std::uint64_t recipients = 100000;
    std::string run_id = "ceil";
    std::vector<std::string> modes{"full", "state", "merge", "copy", "multirow", "insert"};
    bool reset = false;
};

[[noreturn]] void
usage(int code)
{
    std::fprintf(code ? stderr : stdout, "%s",
        "rebound_ceiling: PostgreSQL's own ingest rate for the rows rebound stores.\n\n"
        "Usage: rebound_ceiling --db CONNINFO --reset [flags]\n"
        "  --db CONNINFO          a migrated scratch database (libpq conninfo)\n"
        "  --reset                TRUNCATE events, recipient_state, rejected_events, daily_stats, notices\n"
        "                         and notice_history before each mode\n"
        "                         (required unless the tables are empty; never point it at real data)\n"
        "  --events N             source events for the COPY modes            default 200000\n"
        "  --multirow-events N    source events for the multi-row INSERT mode  default 100000\n"
        "  --insert-events N      source events for the one-INSERT-per-event mode  default 10000\n"
        "  --batch N              rows per transaction in the COPY modes      default 10000\n"
        "  --request-batch N      events per SendGrid request / multi-row INSERT  default 100\n"
        "  --sessions N           concurrent sessions (for multirow and insert, as many as the\n"
        "                         HTTP load's connections, as run.sh does)    default 2\n"
        "  --recipients N         distinct recipients (as rebound_loadgen)     default 100000\n"
        "  --modes LIST           full,state,merge,copy,multirow,insert        default all\n\n"
        "Modes: full = every statement rebound's writer runs per batch (locks, COPY staging,\n"
        "merge_staged, upsert_recipient_state, upsert_daily_stats, upsert_daily_totals,\n"
        "upsert_daily_domain_totals, open_notices, resolve_notices_by_delivery);\n"
        "state = COPY staging + merge + recipient state only;\n"
        "merge = COPY staging + merge; copy = plain COPY into events;\n"
        "multirow = one INSERT ... VALUES (100 rows) ON CONFLICT DO NOTHING per request;\n"
        "insert = one INSERT ... ON CONFLICT DO NOTHING per event, each its own transaction.\n");
    std::exit(code);
}

std::uint64_t
to_u64(std::string const& flag, std::string const& v)
{
    std::uint64_t n = 0;
    auto const [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || p != v.data() + v.size()) {
        std::fprintf(stderr, "%s: not a whole number: %s\n", flag.c_str(), v.c_str());
        std::exit(2);
    }
    return n;
}

options
parse_args(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") usage(0);
        else if (a == "--db") o.db = value();
        else if (a == "--reset") o.reset = true;
        else if (a == "--events") o.events = to_u64(a, value());
        else if (a == "--insert-events") o.insert_events = to_u64(a, value());
        else if (a == "--multirow-events") o.multirow_events = to_u64(a, value());
        else if (a == "--batch") o.batch = to_u64(a, value());
        else if (a == "--request-batch") o.request_batch = to_u64(a, value());
        else if (a == "--sessions") o.sessions = static_cast<unsigned>(to_u64(a, value()));
        else if (a == "--recipients") o.recipients = to_u64(a, value());
        else if (a == "--modes") {
            o.modes.clear();
            std::stringstream ss{value()};
            for (std::string m; std::getline(ss, m, ',');) {
                if (m != "full" && m != "state" && m != "merge" && m != "copy" && m != "multirow" && m != "insert") usage(2);
                o.modes.push_back(m);
            }
        } else {
            std::fprintf(stderr, "unknown flag %s (see --help)\n", a.c_str());
            std::exit(2);
        }
    }
    if (o.db.empty()) usage(2);
    if (o.sessions == 0 || o.sessions > 64 || o.batch == 0 || o.request_batch == 0 || o.request_batch > 1000) usage(2);
    // Bounded like every load tool here: at most 10M rows per mode.
    if (o.events > 10000000 || o.insert_events > 10000000 || o.multirow_events > 10000000) {
        std::fprintf(stderr, "at most 10000000 events per mode\n");
        std::exit(2);
    }
    return o;
}

//------------------------------------------------------------------------------
// Rows: what rebound stores, produced by rebound's own parser and classifier.

/// Calls f(event) for every event rebound would store for `source_events`
/// SendGrid events, in request order.
template <class F>
std::uint64_t
for_each_stored_event(options const& o, std::uint64_t source_events, F&& f)
{
    rebound::loadtest::gen_options g;
    g.run_id = o.run_id;
    g.batch = o.request_batch;
    g.recipients = o.recipients;
    rebound::loadtest::generator const gen{g};
    rebound::providers::provider_settings settings;
    settings.max_events = std::max<std::size_t>(o.request_batch, 10000);
    rebound::providers::header_list const headers;
    auto const& sendgrid = rebound::providers::sendgrid();

    std::uint64_t stored = 0;
    std::uint64_t const requests = (source_events + o.request_batch - 1) / o.request_batch;
    for (std::uint64_t k = 0; k < requests; ++k) {
        auto const spec = gen.make(k);
        rebound::providers::request_view const view{spec.body, headers, ""};
        auto parsed = sendgrid.parse(view, settings);
        if (!parsed) {
            std::fprintf(stderr, "generated request %llu does not parse: %s\n", static_cast<unsigned long long>(k),
                         parsed.error().message().c_str());
            std::exit(1);
        }
        for (auto& e : parsed->events) {
            rebound::classify::classify_event(e);
            f(e);
            ++stored;
        }
    }
    return stored;
}

/// COPY text escaping (the plain COPY mode's typed rows).
void
put_copy(std::string& out, std::string_view s)
{
    rebound::store::append_copy_text(out, s);
}

/// NULL for empty text, as the typed columns of events want it.
void
put_copy_or_null(std::string& out, std::string_view s)
{
    if (s.empty()) out += "\\N";
    else put_copy(out, s);
}

/// A row of rebound_staging: the very bytes rebound's writer sends.
std::string
staging_line(normalized_event const& e, int seq)
{
    std::string l;
    l.reserve(e.raw_json.size() + e.diagnostic.size() + 256);
    rebound::store::append_staging_row(l, e, seq);
    return l;
}

std::vector<std::string> const event_columns{
    "provider", "source", "provider_event_id", "event_type", "recipient", "recipient_domain", "occurred_at",
    "smtp_code", "enhanced_status", "diagnostic", "esp_message_id", "esp_class", "esp_type", "remote_mta",
    "user_ref", "reason", "severity", "classifier_version", "raw"};

/// A row of events itself, typed: what a plain COPY into the table takes.
std::string
event_line(normalized_event const& e)
{
    std::string l;
    l.reserve(e.raw_json.size() + e.diagnostic.size() + 256);
    auto col = [&](std::string_view s) {
        put_copy_or_null(l, s);
        l.push_back('\t');
    };
    col(e.provider);
    put_copy(l, e.source);  // NOT NULL DEFAULT ''
    l.push_back('\t');
    col(e.provider_event_id);
    col(rebound::model::to_string(e.type));
    col(e.recipient);
    col(e.recipient_domain);
    // Unix microseconds as timestamptz text, "2023-11-14 22:13:20.123456+00".
    char ts[64];
    {
        using namespace std::chrono;
        sys_time<microseconds> const t{microseconds{e.occurred_at}};
        auto const day = floor<days>(t);
        year_month_day const ymd{day};
        hh_mm_ss const hms{t - day};
        std::snprintf(ts, sizeof ts, "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld+00", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                      static_cast<long long>(hms.seconds().count()), static_cast<long long>(hms.subseconds().count()));
    }
    col(ts);
    col(e.smtp_code ? std::to_string(*e.smtp_code) : std::string{});
    col(e.enhanced_status);
    col(e.diagnostic);
    col(e.esp_message_id);
    col(e.esp_class);
    col(e.esp_type);
    col(e.remote_mta);
    col(e.user_ref);
    col(e.reason);
    col(e.sev == rebound::model::severity::none ? std::string_view{} : rebound::model::to_string(e.sev));
    col(std::to_string(e.classifier_version));
    put_copy(l, e.raw_json);
    return l;
}

/// Parameters of one INSERT row; NULLs travel as '' and NULLIF in the SQL,
/// like merge_staged does it.
std::vector<std::string>
insert_params(normalized_event const& e)
{
    return {e.provider, e.source, e.provider_event_id.str(), std::string(rebound::model::to_string(e.type)), e.recipient.str(),
            e.recipient_domain.str(), std::to_string(e.occurred_at), e.smtp_code ? std::to_string(*e.smtp_code) : std::string{},
            e.enhanced_status, e.diagnostic.str(), e.esp_message_id.str(), e.esp_class, e.esp_type, e.remote_mta, e.user_ref,
            e.reason, e.sev == rebound::model::severity::none ? std::string{} : std::string(rebound::model::to_string(e.sev)),
            std::to_string(e.classifier_version), e.raw_json.str()};
}

constexpr std::size_t insert_columns = 19;

std::string
insert_sql(std::size_t rows)
{
    std::string s = "INSERT INTO events (provider, source, provider_event_id, event_type, recipient, recipient_domain, "
                    "occurred_at, smtp_code, enhanced_status, diagnostic, esp_message_id, esp_class, esp_type, "
                    "remote_mta, user_ref, reason, severity, classifier_version, raw) VALUES ";
    for (std::size_t r = 0; r < rows; ++r) {
        auto p = [&](std::size_t c) { return "$" + std::to_string(r * insert_columns + c); };
        if (r) s += ',';
        s += "(" + p(1) + "," + p(2) + "," + p(3) + "," + p(4) + "," + p(5) + "," + p(6) +
             ",timestamptz 'epoch' + " + p(7) + "::bigint * interval '1 microsecond'" +
             ",NULLIF(" + p(8) + ",'')::smallint";
        for (std::size_t c = 9; c <= 17; ++c) s += ",NULLIF(" + p(c) + ",'')";
        s += "," + p(18) + "::integer," + p(19) + "::json)";
    }
    s += " ON CONFLICT (provider, provider_event_id, occurred_at) DO NOTHING";
    return s;
}

//------------------------------------------------------------------------------
// Work per session, prepared before the clock starts.

/// One transaction (COPY modes) or one statement (INSERT modes).
struct batch {
    std::vector<std::string> lines;   // COPY modes: one line per row
    std::string shard_list;           // logical shards touched (staged modes), an ascending int[] literal
    std::vector<std::string> params;  // INSERT modes: insert_columns parameters per row
    std::size_t rows = 0;
};

struct session_work {
    std::vector<batch> batches;
    std::uint64_t rows = 0;
};

std::vector<session_work>
prepare(options const& o, std::string const& mode, std::uint64_t source_events, std::uint64_t& rows_out)
{
    std::vector<session_work> work(o.sessions);
    // Sharded and locked as rebound's writers do (store/shards.hpp), so each
    // session owns the recipients one rebound writer would.
    std::vector<rebound::store::shard_set> touched(o.sessions);
    std::vector<int> seq(o.sessions, 0);
    bool const staged = mode == "full" || mode == "state" || mode == "merge";
    std::size_t const per_batch = mode == "insert" ? 1 : mode == "multirow" ? o.request_batch : o.batch;

    auto close_batch = [&](unsigned s) {
        auto& b = work[s].batches.back();
        b.shard_list = rebound::store::shard_list_literal(touched[s]);
        touched[s].reset();
        seq[s] = 0;
    };

    rows_out = for_each_stored_event(o, source_events, [&](normalized_event const& e) {
        auto const logical = rebound::store::logical_shard_of(e.recipient);
        auto const s = logical % o.sessions;
        auto& w = work[s];
        if (w.batches.empty() || w.batches.back().rows >= per_batch) {
            if (!w.batches.empty()) close_batch(s);
            w.batches.emplace_back();
        }
        auto& b = w.batches.back();
        touched[s].set(logical);
        if (staged) b.lines.push_back(staging_line(e, seq[s]++));
        else if (mode == "copy") b.lines.push_back(event_line(e));
        else {
            auto p = insert_params(e);
            b.params.insert(b.params.end(), std::make_move_iterator(p.begin()), std::make_move_iterator(p.end()));
        }
        ++b.rows;
        ++w.rows;
    });
    for (unsigned s = 0; s < o.sessions; ++s)
        if (!work[s].batches.empty()) close_batch(s);
    return work;
}

//------------------------------------------------------------------------------

/// CPU seconds (user + system) a process has used, from /proc; -1 when the
/// server is not on this machine or /proc is not readable.
double
process_cpu_seconds(int pid)
{
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f) return -1;
    char buf[1024];
    auto const n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    char const* p = std::strrchr(buf, ')');
    if (!p) return -1;
    // After ") ": state is field 3; utime and stime are fields 14 and 15.
    unsigned long long utime = 0, stime = 0;
    if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool
staged_mode(std::string const& mode)
{
    return mode == "full" || mode == "state" || mode == "merge";
}

void
run_session(options const& o, std::string const& mode, session_work const& work, int slot, std::barrier<>& start,
            std::atomic<bool>& failed, std::string& error, double& backend_cpu)
{
    // The reasons whose hard bounce opens a notice, as the service passes them.
    std::string const dead_reasons =
        rebound::store::reasons_literal(rebound::classify::action_table::defaults().dead_reasons());
    backend_cpu = -1;
    try {
        pqxx::connection conn{o.db};
        rebound::store::batch_session session;
        int const backend = conn.backendpid();
        if (staged_mode(mode)) {
            session.open(conn);
        } else if (mode == "insert") {
            conn.prepare("insert_one", insert_sql(1));
        } else if (mode == "multirow") {
            conn.prepare("insert_many", insert_sql(o.request_batch));
        }
        std::string copy_buffer;
        start.arrive_and_wait();
        double const cpu0 = process_cpu_seconds(backend);

        for (auto const& b : work.batches) {
            if (failed) return;
            if (staged_mode(mode)) {
                pqxx::work tx{conn};
                session.begin(tx, b.shard_list);
                copy_in copy{tx, sql::staging_table, rebound::store::staging_columns(), copy_buffer};
                for (auto const& l : b.lines) copy.row(l);
                copy.complete();
                // The writer's steps; it skips the notice statements only for
                // batches that cannot need them, which these all may.
                rebound::store::fold_steps steps;
                steps.slot = slot;
                steps.state = mode != "merge";
                steps.rollups = mode == "full";
                if (mode == "full") steps.open_notices = dead_reasons;
                steps.resolve_notices = mode == "full";
                session.fold(tx, steps);
                tx.commit();
                session.committed(conn, b.lines.size());
            } else if (mode == "copy") {
                pqxx::work tx{conn};
                copy_in copy{tx, "events", event_columns, copy_buffer};
                for (auto const& l : b.lines) copy.row(l);
                copy.complete();
                tx.commit();
            } else {
                // Autocommit: every statement is its own transaction, as in a
                // handler that writes each request (or event) as it comes.
                pqxx::nontransaction tx{conn};
                if (mode == "insert")
                    tx.exec_prepared("insert_one", pqxx::prepare::make_dynamic_params(b.params));
                else if (b.rows == o.request_batch)
                    tx.exec_prepared("insert_many", pqxx::prepare::make_dynamic_params(b.params));
                else  // the short last statement of a session
                    tx.exec_params(insert_sql(b.rows), pqxx::prepare::make_dynamic_params(b.params));
            }
        }
        double const cpu1 = process_cpu_seconds(backend);
        if (cpu0 >= 0 && cpu1 >= 0) backend_cpu = cpu1 - cpu0;
    } catch (std::exception const& e) {
        if (!failed.exchange(true)) error = e.what();
        // Let the other sessions through the barrier if we failed before it.
        start.arrive_and_drop();
    }
}

void
reset_tables(options const& o)
{
    pqxx::connection conn{o.db};
    {
        pqxx::work tx{conn};
        auto const n = tx.exec1("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM recipient_state)")[0].as<long long>();
        if (n > 0 && !o.reset) {
            std::fprintf(stderr, "the database already holds events; rebound_ceiling only runs on a scratch database "
                                 "(pass --reset to empty it before each mode)\n");
            std::exit(2);
        }
        if (o.reset) {
            // Every table a batch writes to, as far as this schema has them.
            auto const tables = tx.exec1(
                "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename IN ('events', 'recipient_state', 'rejected_events', 'daily_stats', 'notices', "
                "'notice_history')")[0].as<std::string>();
            tx.exec0("TRUNCATE " + tables + " RESTART IDENTITY");
        }
        tx.commit();
    }
    // Start each mode from a clean checkpoint so that one mode's dirty pages
    // are not written during the next one's clock. Needs superuser or
    // pg_checkpoint; skipped quietly without.
    try {
        pqxx::nontransaction tx{conn};
        tx.exec0("CHECKPOINT");
    } catch (std::exception const&) {
    }
}

}  // namespace

int
main(int argc, char** argv)
{
    auto const o = parse_args(argc, argv);
    std::printf("rebound_ceiling: %u sessions, %zu-row transactions, requests of %zu SendGrid events\n", o.sessions,
                o.batch, o.request_batch);
    std::printf("  %-9s %9s %8s %10s %10s %9s %12s %12s %10s\n", "mode", "txn rows", "sessions", "source", "rows",
                "seconds", "source ev/s", "rows/s", "PG us/ev");

    int rc = 0;
    for (auto const& mode : o.modes) {
        std::uint64_t const source = mode == "insert" ? std::min(o.insert_events, o.events)
                                   : mode == "multirow" ? std::min(o.multirow_events, o.events)
                                                        : o.events;
        std::uint64_t rows = 0;
        auto const t_prep = clock_type::now();
        auto const work = prepare(o, mode, source, rows);
        double const prep_s = std::chrono::duration<double>(clock_type::now() - t_prep).count();
        reset_tables(o);

        std::barrier<> start{static_cast<std::ptrdiff_t>(o.sessions + 1)};
        std::atomic<bool> failed{false};
        std::string error;
        std::vector<std::thread> threads;
        std::vector<double> backend_cpu(o.sessions, -1);
        for (unsigned s = 0; s < o.sessions; ++s)
            threads.emplace_back([&, s] { run_session(o, mode, work[s], static_cast<int>(s), start, failed, error, backend_cpu[s]); });
        start.arrive_and_wait();
        auto const t0 = clock_type::now();
        for (auto& t : threads) t.join();
        double const secs = std::chrono::duration<double>(clock_type::now() - t0).count();

        if (failed) {
            std::fprintf(stderr, "mode %s failed: %s\n", mode.c_str(), error.c_str());
            rc = 1;
            continue;
        }
        // Every row must be there: a ceiling that silently lost rows would flatter itself.
        long long stored = 0;
        {
            pqxx::connection conn{o.db};
            pqxx::work tx{conn};
            stored = tx.exec1("SELECT count(*) FROM events")[0].as<long long>();
        }
        if (stored != static_cast<long long>(rows)) {
            std::fprintf(stderr, "mode %s: %lld rows in events, expected %llu\n", mode.c_str(), stored,
                         static_cast<unsigned long long>(rows));
            rc = 1;
        }
        // The sessions' own backends only: enough to compare with rebound's
        // sessions, which is what the figure is for.
        double pg_cpu = 0;
        for (double c : backend_cpu) pg_cpu = c < 0 || pg_cpu < 0 ? -1 : pg_cpu + c;
        double const source_eps = static_cast<double>(source) / secs;
        double const rows_ps = static_cast<double>(rows) / secs;
        std::size_t const txn_rows = mode == "multirow" ? o.request_batch : mode == "insert" ? 1 : o.batch;
        std::printf("  %-9s %9zu %8u %10llu %10llu %9.2f %12.0f %12.0f %10.1f\n", mode.c_str(), txn_rows, o.sessions,
                    static_cast<unsigned long long>(source), static_cast<unsigned long long>(rows), secs, source_eps,
                    rows_ps, pg_cpu >= 0 ? 1e6 * pg_cpu / static_cast<double>(source) : -1.0);
        std::fflush(stdout);
        std::printf("RESULT mode=%s source_events=%llu rows=%llu seconds=%.3f eps=%.1f rows_ps=%.1f sessions=%u batch=%zu "
                    "pg_cpu_s=%.2f prepare_s=%.1f\n",
                    mode.c_str(), static_cast<unsigned long long>(source), static_cast<unsigned long long>(rows), secs,
                    source_eps, rows_ps, o.sessions, txn_rows, pg_cpu, prep_s);
    }
    return rc;
}
