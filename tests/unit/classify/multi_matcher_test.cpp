// The Aho-Corasick matcher against a naive search: every occurrence of every
// pattern, overlapping or nested, case- and whitespace-insensitively.
#include "classify/multi_matcher.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using rebound::classify::multi_matcher;

namespace {

using hit_set = std::multiset<std::pair<std::uint32_t, std::uint32_t>>;  // (pattern, end)

hit_set
scan(multi_matcher const& m, std::string_view text)
{
    hit_set out;
    m.scan(text, [&](std::uint32_t id, std::uint32_t end) { out.emplace(id, end); });
    return out;
}

/// What the matcher promises, done the slow way: lower-case, collapse
/// whitespace, then test every pattern at every position.
hit_set
naive(std::vector<std::string_view> const& patterns, std::string_view text)
{
    auto normalise = [](std::string_view s) {
        std::string out;
        for (char c : s) {
            bool const space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
            if (space) {
                if (out.empty() || out.back() != ' ') out.push_back(' ');
            } else {
                out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
            }
        }
        return out;
    };
    // The text's whitespace collapses across the whole text, so a leading
    // space run counts once too.
    std::string const t = normalise(text);
    hit_set out;
    for (std::uint32_t id = 0; id < patterns.size(); ++id) {
        auto const p = normalise(patterns[id]);
        if (p.empty()) continue;
        for (std::size_t at = t.find(p); at != std::string::npos; at = t.find(p, at + 1))
            out.emplace(id, static_cast<std::uint32_t>(at + p.size()));
    }
    return out;
}

}  // namespace

TEST_CASE("matcher finds overlapping and nested patterns", "[classify][matcher]")
{
    std::vector<std::string_view> const patterns{"he", "she", "his", "hers", "user unknown", "unknown", "", "he"};
    multi_matcher const m(patterns);
    CHECK(m.size() == patterns.size());

    auto const hits = scan(m, "uShErS  User\tUnknown");
    CHECK(hits == naive(patterns, "uShErS  User\tUnknown"));
    CHECK(hits.count({1, 4}) == 1);  // "she" ends after "ushe"
    CHECK(hits.count({0, 4}) == 1);  // "he", nested in "she"
    CHECK(hits.count({7, 4}) == 1);  // the duplicate "he" is reported as well
    CHECK(hits.count({3, 6}) == 1);  // "hers"
    CHECK(hits.count({4, 19}) == 1); // "user unknown" across a tab and a double space
    CHECK(m.pattern_length(4) == 12);
}

TEST_CASE("matcher handles bytes outside the patterns' alphabet", "[classify][matcher]")
{
    std::vector<std::string_view> const patterns{"ユーザー", "abc"};
    multi_matcher const m(patterns);
    std::string const text = std::string("\xff\x00", 2) + "ユーザー不明 ABC";
    CHECK(scan(m, text) == naive(patterns, text));
    CHECK(scan(m, text).size() == 2);
    CHECK(scan(m, "").empty());
}

TEST_CASE("matcher agrees with a naive search on random text", "[classify][matcher]")
{
    std::vector<std::string_view> const patterns{"a",  "ab", "bab", "abab", "b a", "aa b", "ba  a", "bbb",
                                                 "ca", "c",  "abcab", " ",   "a a"};
    multi_matcher const m(patterns);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> length(0, 40);
    constexpr std::string_view alphabet = "abcAB \t\n";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (int round = 0; round < 3000; ++round) {
        std::string text(static_cast<std::size_t>(length(rng)), ' ');
        for (auto& c : text) c = alphabet[pick(rng)];
        INFO(text);
        REQUIRE(scan(m, text) == naive(patterns, text));
    }
}
