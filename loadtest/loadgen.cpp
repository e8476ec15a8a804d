// rebound_loadgen: posts synthetic ESP webhooks to a local rebound over
// keep-alive connections, reports throughput and acknowledgement latency,
// then checks in PostgreSQL that every acknowledged event is stored once.
//
// Why it is shaped like this:
//  - Only loopback targets: this is a tool for measuring our own process on
//    our own machine, never for pointing load at someone else's.
//  - Bounded: it stops issuing at --duration or --events, whichever comes
//    first, waits at most --drain for answers in flight, and exits.
//  - Requests are a pure function of (--run-id, request index) (event_gen.hpp):
//    the same run id re-sends identical bodies (100 % replays), and the
//    verifier regenerates the event ids of acknowledged requests instead of
//    keeping them all in memory during the run.
//  - One I/O thread runs every connection as a coroutine, which is plenty for
//    the request rates at stake and leaves the CPU to rebound and PostgreSQL.
//  - With --rate, request k is due at a fixed time and its latency counts from
//    then, not from when a connection got round to sending it; otherwise a
//    stalled server would hide its own queueing (coordinated omission).
#include "event_gen.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <pqxx/pqxx>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using rebound::loadtest::generator;
using rebound::loadtest::gen_options;
using rebound::loadtest::provider_kind;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct options {
    std::string target = "http://127.0.0.1:8080";
    unsigned connections = 16;
    double duration = 60;          // seconds of issuing, at most
    std::uint64_t max_events = 0;  // 0: only --duration bounds the run
    double rate = 0;               // events/s; 0 = as fast as answers come
    double timeout = 30;           // per request
    double drain = 30;             // waiting for answers after issuing stops
    double wait_ready = 0;         // poll /readyz this long before starting
    std::string db;                // conninfo for the check; empty = no check
    bool verify = true;
    bool ready_only = false;  // only wait for /readyz, send nothing
    int watch_pid = 0;
    std::string label;
    gen_options gen;
};

[[noreturn]] void
usage(int code)
{
    std::fprintf(code ? stderr : stdout, "%s",
        "rebound_loadgen: bounded load against a local rebound, then a database check.\n\n"
        "Usage: rebound_loadgen [flags]\n"
        "  --target URL          http://127.0.0.1:PORT (loopback only)      default http://127.0.0.1:8080\n"
        "  --connections C       concurrent keep-alive connections           default 16\n"
        "  --duration S          stop issuing after S seconds (max 3600)    default 60\n"
        "  --events N            stop issuing after N events                 default: no limit\n"
        "  --rate R              issue R events/s on a fixed schedule        default: as fast as possible\n"
        "  --provider P          sendgrid | ses | mailgun | mix | sendgrid=W,ses=W,mailgun=W   default sendgrid\n"
        "  --batch B             events per SendGrid request                 default 100\n"
        "  --recipients N        distinct recipient addresses                default 100000\n"
        "  --dup-fraction F      SendGrid events repeating a recent event    default 0\n"
        "  --replay-fraction F   requests repeating a recent request whole   default 0\n"
        "  --run-id ID           event id tag; the same id re-sends the same requests   default lg\n"
        "  --timeout S           per-request timeout                         default 30\n"
        "  --drain S             wait for answers in flight after the end    default 30\n"
        "  --wait-ready S        poll GET /readyz up to S seconds first      default 0\n"
        "  --ready-only          with --wait-ready: exit once ready, sending nothing\n"
        "  --db CONNINFO         check acknowledged events in PostgreSQL (libpq conninfo)\n"
        "  --no-verify           skip that check even with --db\n"
        "  --watch-pid PID       sample this process's RSS and CPU time (rebound's)\n"
        "  --label TEXT          name printed in the RESULT line\n\n"
        "Exit status: 0 ok; 1 an acknowledged event is missing or stored twice;\n"
        "2 bad usage or non-loopback target; 3 no request was acknowledged.\n");
    std::exit(code);
}

double
to_double(std::string const& flag, std::string const& v)
{
    char* end = nullptr;
    double const d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !std::isfinite(d) || d < 0) {
        std::fprintf(stderr, "%s: not a non-negative number: %s\n", flag.c_str(), v.c_str());
        std::exit(2);
    }
    return d;
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

void
parse_provider(std::string const& v, gen_options& g)
{
    g.weight_sendgrid = g.weight_ses = g.weight_mailgun = 0;
    if (v == "sendgrid") g.weight_sendgrid = 1;
    else if (v == "ses") g.weight_ses = 1;
    else if (v == "mailgun") g.weight_mailgun = 1;
    else if (v == "mix") {
        g.weight_sendgrid = 8;
        g.weight_ses = 1;
        g.weight_mailgun = 1;
    } else {
        std::stringstream ss{v};
        std::string item;
        while (std::getline(ss, item, ',')) {
            auto const eq = item.find('=');
            if (eq == std::string::npos) usage(2);
            auto const name = item.substr(0, eq);
            auto const w = static_cast<unsigned>(to_u64("--provider", item.substr(eq + 1)));
            if (name == "sendgrid") g.weight_sendgrid = w;
            else if (name == "ses") g.weight_ses = w;
            else if (name == "mailgun") g.weight_mailgun = w;
            else usage(2);
        }
    }
    if (g.weight_sendgrid + g.weight_ses + g.weight_mailgun == 0) usage(2);
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
        else if (a == "--target") o.target = value();
        else if (a == "--connections") o.connections = static_cast<unsigned>(to_u64(a, value()));
        else if (a == "--duration") o.duration = to_double(a, value());
        else if (a == "--events") o.max_events = to_u64(a, value());
        else if (a == "--rate") o.rate = to_double(a, value());
        else if (a == "--provider") parse_provider(value(), o.gen);
        else if (a == "--batch") o.gen.batch = to_u64(a, value());
        else if (a == "--recipients") o.gen.recipients = to_u64(a, value());
        else if (a == "--dup-fraction") o.gen.dup_fraction = to_double(a, value());
        else if (a == "--replay-fraction") o.gen.replay_fraction = to_double(a, value());
        else if (a == "--run-id") o.gen.run_id = value();
        else if (a == "--timeout") o.timeout = to_double(a, value());
        else if (a == "--drain") o.drain = to_double(a, value());
        else if (a == "--wait-ready") o.wait_ready = to_double(a, value());
        else if (a == "--db") o.db = value();
        else if (a == "--no-verify") o.verify = false;
        else if (a == "--ready-only") o.ready_only = true;
        else if (a == "--watch-pid") o.watch_pid = static_cast<int>(to_u64(a, value()));
        else if (a == "--label") o.label = value();
        else {
            std::fprintf(stderr, "unknown flag %s (see --help)\n", a.c_str());
            std::exit(2);
        }
    }
    if (o.connections == 0 || o.connections > 4096) {
        std::fprintf(stderr, "--connections must be 1-4096\n");
        std::exit(2);
    }
    if (o.duration <= 0 || o.duration > 3600) {
        std::fprintf(stderr, "--duration must be in (0, 3600] seconds: every run is bounded in time\n");
        std::exit(2);
    }
    if (o.gen.batch == 0 || o.gen.batch > 100000) {
        std::fprintf(stderr, "--batch must be 1-100000\n");
        std::exit(2);
    }
    if (o.gen.dup_fraction > 1 || o.gen.replay_fraction > 1) {
        std::fprintf(stderr, "fractions are between 0 and 1\n");
        std::exit(2);
    }
    if (o.gen.run_id.empty() || o.gen.run_id.size() > 24 ||
        o.gen.run_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos) {
        std::fprintf(stderr, "--run-id is 1-24 letters, digits or '_'\n");
        std::exit(2);
    }
    o.timeout = std::clamp(o.timeout, 0.1, 600.0);
    o.drain = std::clamp(o.drain, 0.0, 600.0);
    o.wait_ready = std::min(o.wait_ready, 120.0);
    return o;
}

//------------------------------------------------------------------------------
// The target: http only, and only loopback addresses.

struct endpoint_info {
    std::string host;
    std::string port;
    tcp::endpoint endpoint;
};

endpoint_info
resolve_loopback(std::string const& url)
{
    constexpr std::string_view scheme = "http://";
    std::string_view rest = url;
    if (!rest.starts_with(scheme)) {
        std::fprintf(stderr, "--target must be http://HOST:PORT (plain HTTP on loopback)\n");
        std::exit(2);
    }
    rest.remove_prefix(scheme.size());
    rest = rest.substr(0, rest.find('/'));
    endpoint_info info;
    if (rest.starts_with("[")) {  // [::1]:port
        auto const close = rest.find(']');
        if (close == std::string_view::npos) usage(2);
        info.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        info.port = rest.starts_with(":") ? std::string(rest.substr(1)) : "80";
    } else {
        auto const colon = rest.rfind(':');
        info.host = std::string(rest.substr(0, colon));
        info.port = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
    }
    net::io_context ioc;
    tcp::resolver resolver{ioc};
    beast::error_code ec;
    auto const results = resolver.resolve(info.host, info.port, ec);
    if (ec || results.empty()) {
        std::fprintf(stderr, "cannot resolve %s: %s\n", url.c_str(), ec.message().c_str());
        std::exit(2);
    }
    // Every address the name resolves to must be loopback, so that no
    // resolver trick can send the load elsewhere.
    for (auto const& r : results) {
        auto a = r.endpoint().address();
        if (a.is_v6() && a.to_v6().is_v4_mapped()) a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
        if (!a.is_loopback()) {
            std::fprintf(stderr, "refusing %s: %s is not a loopback address; rebound_loadgen only loads this machine\n",
                         url.c_str(), a.to_string().c_str());
            std::exit(2);
        }
    }
    info.endpoint = results.begin()->endpoint();
    return info;
}

//------------------------------------------------------------------------------
// /proc sampling of the server process.

struct proc_sample {
    long rss_kb = -1;
    long hwm_kb = -1;
    double cpu_s = -1;
};

proc_sample
sample_process(int pid)
{
    proc_sample s;
    if (pid <= 0) return s;
    std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:")) s.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
        else if (line.starts_with("VmHWM:")) s.hwm_kb = std::strtol(line.c_str() + 6, nullptr, 10);
    }
    std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    auto const close = all.rfind(')');
    if (close != std::string::npos) {
        std::istringstream rest{all.substr(close + 2)};
        std::string field;
        double ticks = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i)
            if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);
        s.cpu_s = ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    return s;
}

double
own_cpu_seconds()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

//------------------------------------------------------------------------------
// Small synchronous HTTP helper for /readyz and /metrics.

std::optional<std::pair<int, std::string>>
http_get(endpoint_info const& ep, std::string const& path)
{
    try {
        net::io_context ioc;
        beast::tcp_stream stream{ioc};
        stream.expires_after(std::chrono::seconds(5));
        stream.connect(ep.endpoint);
        bhttp::request<bhttp::empty_body> req{bhttp::verb::get, path, 11};
        req.set(bhttp::field::host, ep.host);
        bhttp::write(stream, req);
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        bhttp::read(stream, buffer, parser);
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        return std::pair{static_cast<int>(parser.get().result_int()), parser.get().body()};
    } catch (std::exception const&) {
        return std::nullopt;
    }
}

/// Sum and count of a histogram in Prometheus text, e.g. rebound_db_batch_events.
std::pair<double, double>
histogram_totals(std::string const& text, std::string const& name)
{
    double sum = 0, count = 0;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        auto take = [&](std::string const& series, double& into) {
            if (line.starts_with(series + " ") || line.starts_with(series + "{"))
                into += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
        };
        take(name + "_sum", sum);
        take(name + "_count", count);
    }
    return {sum, count};
}

//------------------------------------------------------------------------------
// The run.

struct run_state {
    options const& opts;
    generator const& gen;
    endpoint_info const& ep;

    clock_type::time_point start;
    clock_type::time_point issue_deadline;
    std::uint64_t next_k = 0;
    std::uint64_t issued_events = 0;
    std::uint64_t issued_requests = 0;
    bool stop_issuing = false;
    unsigned live_connections = 0;
    clock_type::time_point last_answer;

    std::vector<std::uint64_t> acked;      // request indexes answered 2xx
    std::vector<std::uint32_t> latency_us; // 2xx, from the request's due time
    std::vector<std::uint32_t> service_us; // 2xx, from when it was written
    std::uint32_t late_send_max_us = 0;     // --rate: the latest a request was written after its due time
    std::uint64_t late_sends = 0;          // --rate: requests written over 10 ms after their due time
    std::uint32_t stall_max_us = 0;        // the longest this process's event loop was held up (see stall_monitor)
    std::map<int, std::uint64_t> non_2xx;
    std::map<std::string, std::uint64_t> transport_errors;
    std::uint64_t acked_events = 0, acked_stored = 0, replays_acked = 0;
    std::uint64_t resp_accepted = 0, resp_duplicates = 0, resp_ignored = 0, resp_rejected = 0;
    long rss_peak_kb = -1;

    run_state(options const& o, generator const& g, endpoint_info const& e) : opts(o), gen(g), ep(e) {}
};

/// A duration in whole microseconds, saturated to fit the figures' 32 bits.
std::uint32_t
us(clock_type::duration d)
{
    auto const n = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(n, 0, 0xffffffffLL));
}

std::uint64_t
json_count(std::string_view body, std::string_view key)
{
    auto const at = body.find(key);
    if (at == std::string_view::npos) return 0;
    auto p = body.data() + at + key.size();
    while (p < body.data() + body.size() && (*p == '"' || *p == ':' || *p == ' ')) ++p;
    std::uint64_t v = 0;
    std::from_chars(p, body.data() + body.size(), v);
    return v;
}

net::awaitable<void>
connection(run_state& st)
{
    auto const ex = co_await net::this_coro::executor;
    beast::tcp_stream stream{ex};
    bool connected = false;
    net::steady_timer timer{ex};
    beast::flat_buffer buffer;
    auto const timeout = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(st.opts.timeout));

    for (;;) {
        // Take the next request, if the run is still issuing.
        if (st.stop_issuing) break;
        if (clock_type::now() >= st.issue_deadline || (st.opts.max_events && st.issued_events >= st.opts.max_events)) {
            st.stop_issuing = true;
            break;
        }
        auto const k = st.next_k++;
        auto spec = st.gen.make(k);
        auto due = clock_type::now();
        if (st.opts.rate > 0) {
            due = st.start + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(static_cast<double>(st.issued_events) / st.opts.rate));
        }
        st.issued_events += spec.events;
        ++st.issued_requests;
        if (st.opts.rate > 0 && due > clock_type::now()) {
            timer.expires_at(due);
            co_await timer.async_wait(use_tuple);
        }

        if (!connected) {
            stream.expires_after(timeout);
            auto [ec] = co_await stream.async_connect(st.ep.endpoint, use_tuple);
            if (ec) {
                ++st.transport_errors["connect: " + ec.message()];
                stream.close();
                // Do not spin on a dead server; the deadline still bounds us.
                timer.expires_after(std::chrono::milliseconds(50));
                co_await timer.async_wait(use_tuple);
                continue;
            }
            stream.socket().set_option(tcp::no_delay(true));
            connected = true;
        }

        bhttp::request<bhttp::string_body> req{bhttp::verb::post, spec.target, 11};
        req.set(bhttp::field::host, st.ep.host);
        req.set(bhttp::field::content_type, spec.content_type);
        req.set(bhttp::field::user_agent, "rebound_loadgen");
        req.keep_alive(true);
        req.body() = std::move(spec.body);
        req.prepare_payload();

        auto const sent = clock_type::now();
        if (st.opts.rate > 0 && sent > due) {
            auto const late = us(sent - due);
            st.late_send_max_us = std::max(st.late_send_max_us, late);
            if (late > 10000) ++st.late_sends;
        }
        stream.expires_after(timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
        bhttp::response<bhttp::string_body> res;
        beast::error_code rec = wec;
        if (!wec) {
            auto [ec2, rn] = co_await bhttp::async_read(stream, buffer, res, use_tuple);
            rec = ec2;
        }
        auto const now = clock_type::now();
        if (rec) {
            ++st.transport_errors[rec.message()];
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream.close();
            buffer.clear();
            connected = false;
            continue;
        }
        st.last_answer = now;
        auto const status = res.result_int();
        if (status >= 200 && status < 300) {
            st.acked.push_back(k);
            st.acked_events += spec.events;
            st.acked_stored += spec.stored;
            if (spec.replay) ++st.replays_acked;
            st.latency_us.push_back(us(now - due));
            st.service_us.push_back(us(now - sent));
            std::string_view const body = res.body();
            st.resp_accepted += json_count(body, "\"accepted\"");
            st.resp_duplicates += json_count(body, "\"duplicates\"");
            st.resp_ignored += json_count(body, "\"ignored\"");
            st.resp_rejected += json_count(body, "\"rejected\"");
        } else {
            ++st.non_2xx[static_cast<int>(status)];
            // An overloaded server asks for a pause; honour a short one so the
            // run measures throughput rather than a 503 loop.
            if (status == 503) {
                timer.expires_after(std::chrono::milliseconds(100));
                co_await timer.async_wait(use_tuple);
            }
        }
        if (!res.keep_alive()) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream.close();
            buffer.clear();
            connected = false;
        }
    }
    if (connected) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
    }
    --st.live_connections;
}

net::awaitable<void>
watcher(run_state& st)
{
    net::steady_timer timer{co_await net::this_coro::executor};
    while (st.live_connections > 0) {
        auto const s = sample_process(st.opts.watch_pid);
        st.rss_peak_kb = std::max(st.rss_peak_kb, s.rss_kb);
        timer.expires_after(std::chrono::milliseconds(100));
        co_await timer.async_wait(use_tuple);
    }
}

/// Sleeps 5 ms at a time and keeps the longest oversleep: how long this
/// process went without running its event loop. A late send with no stall
/// here means every connection was waiting on the server; a stall as long
/// as the late sends means the load generator itself (on a machine it
/// shares with the server) is what was late.
net::awaitable<void>
stall_monitor(run_state& st)
{
    net::steady_timer timer{co_await net::this_coro::executor};
    constexpr auto period = std::chrono::milliseconds(5);
    while (st.live_connections > 0) {
        auto const asked = clock_type::now() + period;
        timer.expires_at(asked);
        co_await timer.async_wait(use_tuple);
        auto const now = clock_type::now();
        if (now > asked) st.stall_max_us = std::max(st.stall_max_us, us(now - asked));
    }
}

double
percentile(std::vector<std::uint32_t>& v, double p)
{
    if (v.empty()) return 0;
    auto const idx = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
    auto const i = std::min(idx, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i] / 1000.0;  // ms
}

//------------------------------------------------------------------------------
// The database check: every acknowledged event stored exactly once, and its
// recipient present in recipient_state.

struct verify_result {
    std::uint64_t acked_ids = 0, missing = 0, twice = 0, no_state = 0;
    std::vector<std::string> examples;
    bool ok() const { return missing == 0 && twice == 0 && no_state == 0; }
};

verify_result
verify_database(std::string const& conninfo, generator const& gen, std::vector<std::uint64_t> const& acked)
{
    verify_result r;
    pqxx::connection conn{conninfo};
    pqxx::work tx{conn};
    tx.exec0("CREATE TEMP TABLE loadgen_acked (provider text, id text, recipient text) ON COMMIT DROP");
    {
        // One COPY of every id rather than one query per id.
        pqxx::stream_to copy{tx, "loadgen_acked", std::vector<std::string>{"provider", "id", "recipient"}};
        std::vector<rebound::loadtest::stored_key> keys;
        for (auto const k : acked) {
            keys.clear();
            gen.stored_keys(k, keys);
            for (auto const& key : keys)
                copy << std::make_tuple(std::string(rebound::loadtest::to_string(key.provider)), key.id, key.recipient);
        }
        copy.complete();
    }
    tx.exec0("CREATE TEMP TABLE loadgen_ids ON COMMIT DROP AS "
             "SELECT DISTINCT provider, id, recipient FROM loadgen_acked");
    tx.exec0("ANALYZE loadgen_ids");
    r.acked_ids = tx.exec1("SELECT count(*) FROM loadgen_ids")[0].as<std::uint64_t>();
    r.missing = tx.exec1("SELECT count(*) FROM loadgen_ids a WHERE NOT EXISTS "
                         "(SELECT 1 FROM events e WHERE e.provider = a.provider AND e.provider_event_id = a.id)")[0]
                    .as<std::uint64_t>();
    // The unique constraint should make this impossible; the check is here so
    // that a schema change which loosens it cannot go unnoticed.
    r.twice = tx.exec1("SELECT count(*) FROM (SELECT 1 FROM loadgen_ids a JOIN events e "
                       "ON e.provider = a.provider AND e.provider_event_id = a.id "
                       "GROUP BY a.provider, a.id HAVING count(*) > 1) d")[0]
                  .as<std::uint64_t>();
    r.no_state = tx.exec1("SELECT count(DISTINCT recipient) FROM loadgen_ids a WHERE NOT EXISTS "
                          "(SELECT 1 FROM recipient_state s WHERE s.recipient = a.recipient)")[0]
                     .as<std::uint64_t>();
    if (r.missing) {
        for (auto const& row : tx.exec("SELECT provider || ' ' || id FROM loadgen_ids a WHERE NOT EXISTS "
                                       "(SELECT 1 FROM events e WHERE e.provider = a.provider AND e.provider_event_id = a.id) "
                                       "LIMIT 5"))
            r.examples.push_back(row[0].as<std::string>());
    }
    tx.commit();
    return r;
}

}  // namespace

int
main(int argc, char** argv)
{
    auto const opts = parse_args(argc, argv);
    auto const ep = resolve_loopback(opts.target);
    generator const gen{opts.gen};

    if (opts.wait_ready > 0) {
        auto const until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                   std::chrono::duration<double>(opts.wait_ready));
        for (;;) {
            auto const r = http_get(ep, "/readyz");
            if (r && r->first == 200) break;
            if (clock_type::now() >= until) {
                std::fprintf(stderr, "%s did not become ready within %.0f s\n", opts.target.c_str(), opts.wait_ready);
                return 3;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    if (opts.ready_only) return 0;

    auto const metrics_before = http_get(ep, "/metrics");
    auto const proc_before = sample_process(opts.watch_pid);
    double const cpu_before = own_cpu_seconds();

    // The state outlives the io_context: coroutine frames abandoned at the
    // deadline are destroyed with the io_context and must not dangle.
    run_state st{opts, gen, ep};
    net::io_context ioc{1};
    st.start = clock_type::now();
    st.issue_deadline = st.start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opts.duration));
    st.last_answer = st.start;
    st.live_connections = opts.connections;
    for (unsigned i = 0; i < opts.connections; ++i) net::co_spawn(ioc, connection(st), net::detached);
    if (opts.watch_pid > 0) net::co_spawn(ioc, watcher(st), net::detached);
    net::co_spawn(ioc, stall_monitor(st), net::detached);

    // Connections stop by themselves at the deadline; answers in flight get
    // --drain more, then whatever is left is abandoned (and not acknowledged).
    auto const hard_deadline = st.issue_deadline + std::chrono::duration_cast<clock_type::duration>(
                                                       std::chrono::duration<double>(opts.drain + opts.timeout));
    ioc.run_until(hard_deadline);
    bool const abandoned = !ioc.stopped() && st.live_connections > 0;
    ioc.stop();

    double const cpu_used = own_cpu_seconds() - cpu_before;
    auto const proc_after = sample_process(opts.watch_pid);
    auto const metrics_after = http_get(ep, "/metrics");
    double const elapsed = std::chrono::duration<double>(st.last_answer - st.start).count();

    auto lat = st.latency_us;
    auto svc = st.service_us;
    double const p50 = percentile(lat, 50), p99 = percentile(lat, 99), p999 = percentile(lat, 99.9);
    double const max_ms = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()) / 1000.0;
    double const s50 = percentile(svc, 50), s99 = percentile(svc, 99), s999 = percentile(svc, 99.9);
    double const smax = svc.empty() ? 0 : *std::max_element(svc.begin(), svc.end()) / 1000.0;
    double const rps = elapsed > 0 ? static_cast<double>(st.acked.size()) / elapsed : 0;
    double const eps = elapsed > 0 ? static_cast<double>(st.acked_events) / elapsed : 0;
    double const stored_eps = elapsed > 0 ? static_cast<double>(st.acked_stored) / elapsed : 0;
    std::uint64_t non2xx_total = 0;
    for (auto const& [c, n] : st.non_2xx) non2xx_total += n;
    std::uint64_t transport_total = 0;
    for (auto const& [c, n] : st.transport_errors) transport_total += n;

    std::printf("rebound_loadgen %s -> %s\n", opts.label.empty() ? "" : opts.label.c_str(), opts.target.c_str());
    std::printf("  %u connections, batch %zu, run id %s%s\n", opts.connections, opts.gen.batch, opts.gen.run_id.c_str(),
                opts.rate > 0 ? (", fixed rate " + std::to_string(static_cast<long long>(opts.rate)) + " events/s").c_str() : "");
    std::printf("  issued    %llu requests, %llu events in %.2f s\n", static_cast<unsigned long long>(st.issued_requests),
                static_cast<unsigned long long>(st.issued_events), elapsed);
    std::printf("  2xx       %zu requests (%.0f/s), %llu events (%.0f/s; stored kinds %.0f/s)\n", st.acked.size(), rps,
                static_cast<unsigned long long>(st.acked_events), eps, stored_eps);
    std::printf("  answers   accepted %llu, duplicates %llu, ignored %llu, rejected %llu; replayed requests %llu\n",
                static_cast<unsigned long long>(st.resp_accepted), static_cast<unsigned long long>(st.resp_duplicates),
                static_cast<unsigned long long>(st.resp_ignored), static_cast<unsigned long long>(st.resp_rejected),
                static_cast<unsigned long long>(st.replays_acked));
    std::printf("  latency   p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%s\n", p50, p99, p999, max_ms,
                opts.rate > 0 ? " (from each request's due time)" : "");
    std::printf("  service   p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms (from write to answer)\n", s50, s99,
                s999, smax);
    if (opts.rate > 0)
        std::printf("  schedule  %llu requests written over 10 ms late, at most %.2f ms; load generator stalled at most %.2f ms\n",
                    static_cast<unsigned long long>(st.late_sends), st.late_send_max_us / 1000.0, st.stall_max_us / 1000.0);
    std::printf("  non-2xx   %llu", static_cast<unsigned long long>(non2xx_total));
    for (auto const& [c, n] : st.non_2xx) std::printf(" [%d: %llu]", c, static_cast<unsigned long long>(n));
    std::printf("\n  transport %llu errors", static_cast<unsigned long long>(transport_total));
    for (auto const& [c, n] : st.transport_errors) std::printf(" [%s: %llu]", c.c_str(), static_cast<unsigned long long>(n));
    if (abandoned) std::printf(" [abandoned requests in flight at the drain deadline]");
    std::printf("\n  loadgen   %.2f CPU s (%.0f %% of one core)\n", cpu_used, elapsed > 0 ? 100 * cpu_used / elapsed : 0);

    double batch_avg = 0, commit_ms = 0;
    if (metrics_before && metrics_after && metrics_before->first == 200 && metrics_after->first == 200) {
        auto const [es0, ec0] = histogram_totals(metrics_before->second, "rebound_db_batch_events");
        auto const [es1, ec1] = histogram_totals(metrics_after->second, "rebound_db_batch_events");
        auto const [ss0, sc0] = histogram_totals(metrics_before->second, "rebound_db_batch_seconds");
        auto const [ss1, sc1] = histogram_totals(metrics_after->second, "rebound_db_batch_seconds");
        if (ec1 > ec0) batch_avg = (es1 - es0) / (ec1 - ec0);
        if (sc1 > sc0) commit_ms = 1000 * (ss1 - ss0) / (sc1 - sc0);
        std::printf("  server    %.0f group commits, %.0f events per commit, %.2f ms per commit (from /metrics)\n",
                    ec1 - ec0, batch_avg, commit_ms);
    }
    double server_cpu = -1;
    if (opts.watch_pid > 0) {
        server_cpu = proc_after.cpu_s - proc_before.cpu_s;
        std::printf("  server    pid %d: RSS before %.1f MB, peak %.1f MB, after %.1f MB, VmHWM %.1f MB; %.2f CPU s "
                    "(%.1f us per event)\n",
                    opts.watch_pid, proc_before.rss_kb / 1024.0, std::max(st.rss_peak_kb, proc_after.rss_kb) / 1024.0,
                    proc_after.rss_kb / 1024.0, proc_after.hwm_kb / 1024.0, server_cpu,
                    st.acked_events ? 1e6 * server_cpu / static_cast<double>(st.acked_events) : 0);
    }

    int rc = st.acked.empty() ? 3 : 0;
    verify_result vr;
    bool verified = false;
    if (!opts.db.empty() && opts.verify && !st.acked.empty()) {
        try {
            auto const t0 = clock_type::now();
            std::sort(st.acked.begin(), st.acked.end());
            vr = verify_database(opts.db, gen, st.acked);
            verified = true;
            std::printf("  database  %llu acknowledged stored-kind event ids: %llu missing, %llu stored twice, "
                        "%llu recipients without state (%.1f s)\n",
                        static_cast<unsigned long long>(vr.acked_ids), static_cast<unsigned long long>(vr.missing),
                        static_cast<unsigned long long>(vr.twice), static_cast<unsigned long long>(vr.no_state),
                        std::chrono::duration<double>(clock_type::now() - t0).count());
            for (auto const& e : vr.examples) std::printf("            missing: %s\n", e.c_str());
            if (!vr.ok()) rc = 1;
        } catch (std::exception const& e) {
            std::fprintf(stderr, "database check failed: %s\n", e.what());
            rc = 1;
        }
    }

    // One line for scripts (loadtest/run.sh parses it).
    std::printf("RESULT label=%s requests=%zu events=%llu seconds=%.3f rps=%.1f eps=%.1f stored_eps=%.1f p50_ms=%.3f "
                "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f non2xx=%llu transport_errors=%llu accepted=%llu duplicates=%llu "
                "batch_avg=%.1f commit_ms=%.3f rss_before_kb=%ld rss_peak_kb=%ld rss_after_kb=%ld hwm_kb=%ld "
                "server_cpu_s=%.2f loadgen_cpu_s=%.2f verified=%d missing=%llu twice=%llu no_state=%llu "
                "service_p99_ms=%.3f service_p999_ms=%.3f late_sends=%llu late_send_max_ms=%.3f stall_max_ms=%.3f\n",
                opts.label.empty() ? "-" : opts.label.c_str(), st.acked.size(),
                static_cast<unsigned long long>(st.acked_events), elapsed, rps, eps, stored_eps, p50, p99, p999, max_ms,
                static_cast<unsigned long long>(non2xx_total), static_cast<unsigned long long>(transport_total),
                static_cast<unsigned long long>(st.resp_accepted), static_cast<unsigned long long>(st.resp_duplicates),
                batch_avg, commit_ms, proc_before.rss_kb, std::max(st.rss_peak_kb, proc_after.rss_kb), proc_after.rss_kb,
                proc_after.hwm_kb, server_cpu, cpu_used, verified ? 1 : 0, static_cast<unsigned long long>(vr.missing),
                static_cast<unsigned long long>(vr.twice), static_cast<unsigned long long>(vr.no_state), s99, s999,
                static_cast<unsigned long long>(st.late_sends), st.late_send_max_us / 1000.0, st.stall_max_us / 1000.0);
    return rc;
}
