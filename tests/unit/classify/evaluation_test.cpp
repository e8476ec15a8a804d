// Accuracy of the classifier against Sisimai's labels on real bounces:
// ../shared/datasets/bounce-diagnostics.dev.jsonl, read in place (never
// copied into the repo). Prints the figures docs/classification.md quotes;
// set REBOUND_EVAL_VERBOSE=1 to list every disagreement.
#include "classify/classifier.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <charconv>
#include <cstdlib>
#include <iomanip>
#include <map>

using namespace rebound;
using classify::bounce_reason;
using model::event_type;

namespace {

// Set just below what the classifier reaches, so a regression fails loudly
// while label noise between Sisimai versions (3-4 %) does not.
constexpr double min_reason_accuracy = 0.92;
constexpr double min_severity_accuracy = 0.95;

std::optional<event_type>
event_for_action(std::string_view action)
{
    if (action == "delayed") return event_type::deferred;
    if (action == "delivered") return event_type::delivered;
    return event_type::bounce;  // failed, expanded
}

std::string_view
field(simdjson::dom::element record, char const* key)
{
    std::string_view out;
    if (record[key].get(out)) return {};
    return out;
}

std::optional<int>
code_field(simdjson::dom::element record)
{
    auto const text = field(record, "smtp_code");
    int code = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return code;
}

}  // namespace

TEST_CASE("classifier accuracy on the Sisimai-labelled dev set", "[classify][evaluation]")
{
    auto const base = test::shared_dir();
    if (base.empty()) {
        std::cerr << "SKIP: ../shared is not beside the repo; classifier accuracy not measured\n";
        return;
    }
    auto const path = base / "datasets" / "bounce-diagnostics.dev.jsonl";
    if (!std::filesystem::exists(path)) {
        std::cerr << "SKIP: " << path << " not found; classifier accuracy not measured\n";
        return;
    }
    bool const verbose = std::getenv("REBOUND_EVAL_VERBOSE") != nullptr;

    std::istringstream lines(test::read_file(path));
    simdjson::dom::parser parser;
    int total = 0, reason_ok = 0, severity_ok = 0;
    std::map<std::string, std::pair<int, int>> per_reason;  // label -> (right, seen)

    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        simdjson::dom::element record;
        REQUIRE_FALSE(parser.parse(line).get(record));

        // Only what a webhook could carry goes in; the labels stay out.
        classify::classify_input in;
        in.type = event_for_action(field(record, "action"));
        in.smtp_code = code_field(record);
        in.enhanced_status = field(record, "status");
        in.diagnostic = field(record, "diagnostic");
        in.remote_host = field(record, "rhost");
        in.smtp_command = field(record, "command");
        auto const got = classify::classify(in);

        std::string const expected(field(record, "reason_consolidated"));
        bool expected_hard = false;
        REQUIRE_FALSE(record["hardbounce"].get(expected_hard));

        // Delivered events carry no reason by design (classifier.hpp).
        bool const reason_right = classify::to_string(got.reason) == expected ||
                                  (expected == "delivered" && got.reason == bounce_reason::none);
        bool const severity_right = (got.sev == model::severity::hard) == expected_hard;
        ++total;
        reason_ok += reason_right;
        severity_ok += severity_right;
        auto& [right, seen] = per_reason[expected];
        right += reason_right;
        ++seen;
        if (verbose && (!reason_right || !severity_right))
            std::cerr << field(record, "id") << ": expected " << expected << (expected_hard ? "/hard" : "/soft")
                      << ", got " << classify::to_string(got.reason) << "/" << model::to_string(got.sev) << " ["
                      << got.matched << "] " << field(record, "diagnostic").substr(0, 160) << "\n";
    }

    REQUIRE(total > 0);
    double const reason_accuracy = double(reason_ok) / total;
    double const severity_accuracy = double(severity_ok) / total;
    std::cout << std::fixed << std::setprecision(1) << "classifier v" << classify::classifier_version << " on "
              << total << " labelled diagnostics: reason " << 100 * reason_accuracy << "% (" << reason_ok << "/"
              << total << "), hard/soft " << 100 * severity_accuracy << "% (" << severity_ok << "/" << total
              << ")\n";
    if (verbose)
        for (auto const& [label, counts] : per_reason)
            std::cout << "  " << label << ": " << counts.first << "/" << counts.second << "\n";

    CHECK(reason_accuracy >= min_reason_accuracy);
    CHECK(severity_accuracy >= min_severity_accuracy);
}
