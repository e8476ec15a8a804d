// rebound_bench_classify: SMTP reply parsing plus classification per second,
// on one core, over realistic diagnostics (issue 4's target: 1 million a
// second). A benchmark, not a test: it prints figures and never fails.
//
//   rebound_bench_classify [diagnostics.jsonl] [seconds]
//
// The input is JSON lines with a "diagnostic" (or "message"/"text") field:
// ../shared/datasets/bounce-diagnostics.dev.jsonl when it is present, else
// our own tests/fixtures/classify/cases.jsonl.
#include "classify/classifier.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

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

    using clock = std::chrono::steady_clock;
    std::size_t done = 0, checksum = 0;
    auto const start = clock::now();
    auto const until = start + std::chrono::duration<double>(seconds);
    while (clock::now() < until) {
        for (auto const& d : diagnostics) {
            rebound::classify::classify_input in;
            in.type = rebound::model::event_type::bounce;
            in.diagnostic = d;
            auto const c = rebound::classify::classify(in);  // parses the reply, then classifies
            checksum += static_cast<std::size_t>(c.reason);
        }
        done += diagnostics.size();
    }
    double const elapsed = std::chrono::duration<double>(clock::now() - start).count();
    std::printf("diagnostics: %zu distinct, %.0f bytes on average\n", diagnostics.size(),
                static_cast<double>(bytes) / static_cast<double>(diagnostics.size()));
    std::printf("parse + classify: %.0f diagnostics/s on one thread (%.3f us each; checksum %zu)\n",
                static_cast<double>(done) / elapsed, elapsed * 1e6 / static_cast<double>(done), checksum);
    return 0;
}
