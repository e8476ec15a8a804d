// `rebound explain`: the classifier from the command line, without a
// database or a server. One text per argument, or JSON lines on standard
// input (--jsonl), the way a labelled set is evaluated in bulk:
//
//   rebound explain --jsonl < ../shared/datasets/bounce-diagnostics.dev.jsonl
//
// Every output line is the explain API's JSON for one input, so the answers
// are the ones GET /v1/explain gives and the dashboards show.
#include "app/app.hpp"
#include "classify/explain.hpp"

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace rebound::app {

int
explain(config::config const& cfg, std::vector<std::string> const& texts, bool jsonl)
{
    auto const actions = classify::action_table::load_file(cfg.actions_file);
    if (!actions) {
        std::fprintf(stderr, "rebound: REBOUND_ACTIONS_FILE (actions_file): %s\n", actions.error().c_str());
        return 2;
    }

    if (!jsonl) {
        for (auto const& text : texts) {
            classify::classify_input in;
            in.diagnostic = text;
            std::cout << boost::json::serialize(classify::explain(in, *actions)) << '\n';
        }
        return 0;
    }

    int status = 0;
    std::string line;
    for (std::size_t number = 1; std::getline(std::cin, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines carry nothing
        auto result = classify::explain_json_line(line, *actions);
        if (result) {
            std::cout << boost::json::serialize(*result) << '\n';
            continue;
        }
        boost::json::object error{{"error", result.error()}, {"line", number}};
        std::cout << boost::json::serialize(error) << '\n';
        status = 1;
    }
    std::cout.flush();
    return status;
}

}  // namespace rebound::app
