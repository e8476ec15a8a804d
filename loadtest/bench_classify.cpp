// rebound_bench_classify: SMTP reply parsing plus classification per second,
// on one core, over realistic diagnostics (issue 4's target: 1 million a
// second). A benchmark, not a test: it prints figures and never fails.
//
//   rebound_bench_classify [diagnostics.jsonl] [seconds]
//
// The input is JSON lines with a "diagnostic" (or "message"/"text") field:
// ../shared/datasets/bounce-diagnostics.dev.jsonl when it is present, else
// our own tests/fixtures/classify/cases.jsonl.
//
// Two paths are timed, each over every diagnostic as a bounce with nothing
// but the text known (so the reply is always parsed from the text):
//   classify_event  what ingest runs per event: fills reason, severity,
//                   reply code and status on a normalized_event;
//   classify        the full result the explain API shows, with the
//                   collapsed reply text and the `matched` description.
// Rates are per second of this thread's CPU time, so other work on the
// machine does not count against the code; the wall-clock rate is printed
// beside them. Instruction counts do not depend on the machine's load:
//   valgrind --tool=callgrind --toggle-collect='*pass_classify_event*'
//            build/loadtest/rebound_bench_classify <file> 0.2
// and divide the Ir total by the number of diagnostics times the number of
// passes printed plus one, the warm-up pass (toggle on
// '*pass_classify_full*' for the other path).
#include "classify/classifier.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace {

using rebound::classify::classify_input;
using rebound::model::normalized_event;

std::vector<std::string>
load(char const* path)
{
    std::vector<std::string> out;
    std::ifstream in(path);
    std::string line;
    simdjson::dom::parser parser;
    while (std::getline(in, line)) {
        simdjson::dom::element e;
        if (parser.parse(line).get(e)) continue;
        for (char const* key : {"diagnostic", "diagnostic_code", "message", "text"}) {
            std::string_view v;
            if (!e[key].get_string().get(v) && !v.empty()) {
                out.emplace_back(v);
                break;
            }
        }
    }
    return out;
}

double
thread_cpu_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One pass over every diagnostic; out of line so callgrind can count exactly
// these instructions (--toggle-collect).
[[gnu::noinline]] std::size_t
pass_classify_full(std::vector<std::string> const& diagnostics)
{
    std::size_t checksum = 0;
    for (auto const& d : diagnostics) {
        classify_input in;
        in.type = rebound::model::event_type::bounce;
        in.diagnostic = d;
        auto const c = rebound::classify::classify(in);  // parses the reply, then classifies
        checksum += static_cast<std::size_t>(c.reason) + c.matched.size() + c.reply.text.size();
    }
    return checksum;
}

[[gnu::noinline]] std::size_t
pass_classify_event(std::vector<normalized_event>& events)
{
    std::size_t checksum = 0;
    for (auto& e : events) {
        // classify_event fills these from the text when the provider did
        // not: empty them so every pass parses the reply again.
        e.smtp_code.reset();
        e.enhanced_status.clear();
        rebound::classify::classify_event(e);
        checksum += e.reason.size() + static_cast<std::size_t>(e.sev);
    }
    return checksum;
}

struct rate {
    double cpu_per_s = 0;
    double wall_per_s = 0;
    std::size_t passes = 0;
};

template <class F>
rate
timed(std::size_t per_pass, double seconds, F&& pass)
{
    using clock = std::chrono::steady_clock;
    std::size_t checksum = 0;
    rate r;
    auto const start = clock::now();
    double const cpu0 = thread_cpu_seconds();
    auto const until = start + std::chrono::duration<double>(seconds);
    do {
        checksum += pass();
        ++r.passes;
    } while (clock::now() < until);
    double const cpu = thread_cpu_seconds() - cpu0;
    double const wall = std::chrono::duration<double>(clock::now() - start).count();
    auto const done = static_cast<double>(r.passes * per_pass);
    r.cpu_per_s = done / cpu;
    r.wall_per_s = done / wall;
    if (checksum == 42) std::printf(" ");  // keeps the work observable
    return r;
}

}  // namespace

int
main(int argc, char** argv)
{
    char const* path = argc > 1 ? argv[1] : "../shared/datasets/bounce-diagnostics.dev.jsonl";
    double const seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
    auto diagnostics = load(path);
    if (diagnostics.empty()) diagnostics = load("tests/fixtures/classify/cases.jsonl");
    if (diagnostics.empty()) {
        std::fprintf(stderr, "no diagnostics found (give a JSON-lines file)\n");
        return 2;
    }
    std::size_t bytes = 0;
    for (auto const& d : diagnostics) bytes += d.size();

    std::vector<normalized_event> events(diagnostics.size());
    for (std::size_t i = 0; i < diagnostics.size(); ++i) {
        events[i].type = rebound::model::event_type::bounce;
        events[i].diagnostic = diagnostics[i];
    }

    // The first call builds the rule automaton: keep that out of the figures
    // (and out of the warm-up passes, which callgrind counts).
    {
        classify_input in;
        in.diagnostic = "550 5.1.1 user unknown";
        (void)rebound::classify::classify(in);
    }
    pass_classify_full(diagnostics);
    pass_classify_event(events);

    auto const ingest = timed(diagnostics.size(), seconds, [&] { return pass_classify_event(events); });
    auto const full = timed(diagnostics.size(), seconds, [&] { return pass_classify_full(diagnostics); });

    std::printf("diagnostics: %zu distinct, %.0f bytes on average\n", diagnostics.size(),
                static_cast<double>(bytes) / static_cast<double>(diagnostics.size()));
    std::printf("parse + classify_event: %9.0f diagnostics/s per CPU second on one thread (%.3f us each; %.0f/s by "
                "the wall clock; %zu passes)\n",
                ingest.cpu_per_s, 1e6 / ingest.cpu_per_s, ingest.wall_per_s, ingest.passes);
    std::printf("parse + classify:       %9.0f diagnostics/s per CPU second on one thread (%.3f us each; %.0f/s by "
                "the wall clock; %zu passes)\n",
                full.cpu_per_s, 1e6 / full.cpu_per_s, full.wall_per_s, full.passes);
    std::printf("RESULT classify_event_dps=%.0f classify_full_dps=%.0f\n", ingest.cpu_per_s, full.cpu_per_s);
    return 0;
}
