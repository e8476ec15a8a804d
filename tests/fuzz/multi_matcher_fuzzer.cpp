// libFuzzer target for the classifier's Aho-Corasick automaton
// (classify/multi_matcher.hpp), checked against a naive search.
//
// Every wording rule depends on the matcher's promises: ASCII case folding,
// any whitespace run in the text matching one space in a pattern, duplicate
// patterns each reported, positions counted in normalised text, and matches
// reported in the order they end. A wrong failure or dictionary link would not
// crash anything. It would quietly misclassify bounces, so the only way to
// catch it is to compare every reported match with a brute-force search.
// The input is a few short patterns (FuzzedDataProvider strings), then the
// text.
#include "fuzz_support.hpp"

#include "classify/multi_matcher.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

using namespace rebound;

namespace {

bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/// The documented normalisation: A-Z folded to a-z, whitespace runs as one space.
std::string
normalise(std::string_view s)
{
    std::string out;
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (is_space(c)) {
            if (out.empty() || out.back() != ' ') out.push_back(' ');
        } else {
            out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
        }
    }
    return out;
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider fdp(data, size);
    auto const count = fdp.ConsumeIntegralInRange<std::size_t>(1, 12);
    std::vector<std::string> pattern_text;
    for (std::size_t i = 0; i < count; ++i) pattern_text.push_back(fdp.ConsumeRandomLengthString(16));
    auto const text = fdp.ConsumeRemainingBytesAsString();

    std::vector<std::string_view> patterns(pattern_text.begin(), pattern_text.end());
    classify::multi_matcher const m(patterns);
    FUZZ_CHECK(m.size() == patterns.size(), "matcher size differs from the pattern count");

    std::vector<std::pair<std::uint32_t, std::uint32_t>> got;  // (end, id)
    std::uint32_t last_end = 0;
    m.scan(text, [&](std::uint32_t id, std::uint32_t end) {
        FUZZ_CHECK(id < patterns.size(), "reported pattern id out of range");
        FUZZ_CHECK(end >= last_end, "matches not reported in the order they end");
        last_end = end;
        got.emplace_back(end, id);
    });

    std::vector<std::pair<std::uint32_t, std::uint32_t>> want;
    auto const hay = normalise(text);
    for (std::uint32_t id = 0; id < patterns.size(); ++id) {
        auto const needle = normalise(patterns[id]);
        FUZZ_CHECK(m.pattern_length(id) == needle.size(), "pattern_length is not the normalised length");
        if (needle.empty()) continue;
        for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
            want.emplace_back(static_cast<std::uint32_t>(at + needle.size()), id);
    }

    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    FUZZ_CHECK(got == want, "matcher and naive search disagree");
    return 0;
}
