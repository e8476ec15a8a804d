// rebound_bench_ingest_cpu: the CPU cost of turning SendGrid webhooks into
// classified events, on one thread, with no I/O.
//
// This is the work every I/O thread does per request before the database
// sees anything: providers::sendgrid().parse (simdjson, one normalized_event
// per event, raw JSON kept per event) and classify::classify_event. The
// target is at least 1M events/s on one core, so that on a 2-core machine
// parsing is never what limits ingest. The bodies are the load generator's
// (event_gen.hpp), built before timing; each phase runs for a bounded time.
#include "event_gen.hpp"

#include "classify/classifier.hpp"
#include "providers/registry.hpp"

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct phase_result {
    double events_per_s = 0;  // per second of this thread's CPU time
    double stored_per_s = 0;
    double wall_events_per_s = 0;
    std::uint64_t events = 0;
};

/// This thread's CPU time. Rates are per CPU second, so that other work on
/// the machine (which takes the core away now and then) does not count
/// against the code under test; wall-clock rates are reported beside them.
double
thread_cpu_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Runs `f(body)` over the bodies, round after round, for at least
/// `seconds` (and at most 100 rounds), and reports the rate.
template <class F>
phase_result
timed(std::vector<std::string> const& bodies, std::size_t events_per_body, double seconds, F&& f)
{
    phase_result r;
    std::uint64_t stored = 0;
    auto const t0 = clock_type::now();
    double const cpu0 = thread_cpu_seconds();
    double elapsed = 0;
    for (int round = 0; round < 100 && elapsed < seconds; ++round) {
        for (auto const& b : bodies) stored += f(b);
        r.events += bodies.size() * events_per_body;
        elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
    }
    double const cpu = thread_cpu_seconds() - cpu0;
    r.events_per_s = static_cast<double>(r.events) / cpu;
    r.stored_per_s = static_cast<double>(stored) / cpu;
    r.wall_events_per_s = static_cast<double>(r.events) / elapsed;
    return r;
}

}  // namespace

int
main(int argc, char** argv)
{
    std::size_t batch = 100;
    std::size_t requests = 2000;
    double seconds = 3;
    bool combined_only = false;  // for profilers: only the phase the target is about
    for (int i = 1; i < argc; ++i) {
        std::string const a = argv[i];
        if (a == "--help" || a == "-h") {
            std::printf("rebound_bench_ingest_cpu [--batch 100] [--requests 2000] [--seconds 3] [--combined-only]\n"
                        "Parse + classify throughput of SendGrid batches on one thread.\n"
                        "--combined-only runs just the parse + classify phase (to profile it with perf).\n");
            return 0;
        }
        if (a == "--combined-only") {
            combined_only = true;
            continue;
        }
        if (i + 1 >= argc) return 2;
        if (a == "--batch") batch = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--requests") requests = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--seconds") seconds = std::strtod(argv[++i], nullptr);
        else return 2;
    }
    if (batch == 0 || batch > 10000 || requests == 0 || requests > 1000000 || !(seconds > 0 && seconds <= 600)) return 2;

    rebound::loadtest::gen_options g;
    g.run_id = "bench";
    g.batch = batch;
    rebound::loadtest::generator const gen{g};
    std::vector<std::string> bodies;
    std::size_t bytes = 0;
    for (std::size_t k = 0; k < requests; ++k) {
        bodies.push_back(gen.make(k).body);
        bytes += bodies.back().size();
    }

    rebound::providers::provider_settings settings;
    settings.max_events = 10000;
    rebound::providers::header_list const headers;
    auto const& sendgrid = rebound::providers::sendgrid();

    // Pre-parsed events for the classify-only phase.
    std::vector<rebound::model::normalized_event> parsed_events;
    for (auto const& b : bodies) {
        auto r = sendgrid.parse({b, headers, ""}, settings);
        if (!r) {
            std::fprintf(stderr, "a generated body does not parse: %s\n", r.error().message().c_str());
            return 1;
        }
        for (auto& e : r->events) parsed_events.push_back(std::move(e));
    }

    phase_result parse_only, classify_only;
    double classify_delivered = 0, classify_failures = 0;
    std::vector<rebound::model::normalized_event> delivered, failures;
    if (!combined_only) {
        parse_only = timed(bodies, batch, seconds, [&](std::string const& b) {
            auto r = sendgrid.parse({b, headers, ""}, settings);
            return r ? r->events.size() : 0;
        });

        std::size_t next = 0;
        auto const per_body = parsed_events.size() / bodies.size();
        classify_only = timed(bodies, batch, seconds, [&](std::string const&) {
            // classify_event overwrites its outputs, so re-classifying is the same work.
            for (std::size_t i = 0; i < per_body; ++i) {
                rebound::classify::classify_event(parsed_events[next]);
                next = next + 1 == parsed_events.size() ? 0 : next + 1;
            }
            return per_body;
        });

        // Deliveries need no diagnosis (their reason is "delivered" whatever the
        // text says), failures do: timing them apart shows where classify's time goes.
        for (auto const& e : parsed_events)
            (e.type == rebound::model::event_type::delivered ? delivered : failures).push_back(e);
        auto classify_rate = [&](std::vector<rebound::model::normalized_event>& events) {
            if (events.empty()) return 0.0;
            std::size_t i = 0;
            auto const r = timed(bodies, batch, seconds / 2, [&](std::string const&) {
                for (std::size_t n = 0; n < per_body; ++n) {
                    rebound::classify::classify_event(events[i]);
                    i = i + 1 == events.size() ? 0 : i + 1;
                }
                return per_body;
            });
            return r.stored_per_s;
        };
        classify_delivered = classify_rate(delivered);
        classify_failures = classify_rate(failures);
    }

    auto const both = timed(bodies, batch, seconds, [&](std::string const& b) {
        auto r = sendgrid.parse({b, headers, ""}, settings);
        if (!r) return std::size_t{0};
        for (auto& e : r->events) rebound::classify::classify_event(e);
        return r->events.size();
    });

    std::printf("rebound_bench_ingest_cpu: %zu SendGrid requests of %zu events (%.0f bytes per event), one thread,\n"
                "  rates per second of CPU time\n",
                requests, batch, static_cast<double>(bytes) / static_cast<double>(requests * batch));
    std::printf("  parse             %10.0f events/s\n", parse_only.events_per_s);
    std::printf("  classify          %10.0f stored events/s (classify_event alone)\n", classify_only.stored_per_s);
    std::printf("    of which        %10.0f delivered events/s, %.0f failure events/s (%.0f %% are deliveries)\n",
                classify_delivered, classify_failures,
                100.0 * static_cast<double>(delivered.size()) / static_cast<double>(parsed_events.size()));
    std::printf("  parse + classify  %10.0f events/s (%.0f stored events/s; opens and clicks are parsed, not stored)\n",
                both.events_per_s, both.stored_per_s);
    std::printf("                    %10.0f events/s by the wall clock\n", both.wall_events_per_s);
    std::printf("RESULT parse_eps=%.0f classify_eps=%.0f classify_delivered_eps=%.0f classify_failure_eps=%.0f "
                "parse_classify_eps=%.0f parse_classify_stored_eps=%.0f parse_classify_wall_eps=%.0f\n",
                parse_only.events_per_s, classify_only.stored_per_s, classify_delivered, classify_failures,
                both.events_per_s, both.stored_per_s, both.wall_events_per_s);
    return 0;
}
