// libFuzzer target for the classifier's Aho-Corasick automaton
// (classify/multi_matcher.hpp), checked against a naive search.
//
// Every wording rule depends on the matcher's promises: ASCII case folding,
// any whitespace run in the text matching one space in a pattern, duplicate
// patterns each reported, positions counted in the original text (a
// whitespace run counts as its first byte), and matches reported in the
// order they end. A wrong failure or dictionary link would not
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

/// The documented normalisation: A-Z folded to a-z, whitespace runs as one
/// space. `origin[i]` is where normalised byte i comes from in `s` (the first
/// byte of a whitespace run).
std::string
normalise(std::string_view s, std::vector<std::uint32_t>* origin = nullptr)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (is_space(c)) {
            if (!out.empty() && out.back() == ' ') continue;
            out.push_back(' ');
        } else {
            out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : s[i]);
        }
        if (origin) origin->push_back(static_cast<std::uint32_t>(i));
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

    // (end, id) as the matcher reports it, and where each match starts.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> want;
    std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t>> starts;
    std::vector<std::uint32_t> origin;
    auto const hay = normalise(text, &origin);
    for (std::uint32_t id = 0; id < patterns.size(); ++id) {
        auto const needle = normalise(patterns[id]);
        FUZZ_CHECK(m.pattern_length(id) == needle.size(), "pattern_length is not the normalised length");
        if (needle.empty()) continue;
        for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) {
            auto const end = origin[at + needle.size() - 1] + 1;
            want.emplace_back(end, id);
            starts.push_back({{end, id}, origin[at]});
        }
    }

    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    FUZZ_CHECK(got == want, "matcher and naive search disagree");
    for (auto const& [match, start] : starts)
        FUZZ_CHECK(m.match_start(text, match.second, match.first) == start, "match_start disagrees with the naive search");
    return 0;
}
