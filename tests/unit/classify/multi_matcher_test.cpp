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
/// whitespace, then test every pattern at every position. Ends are reported
/// in the original text: one past the byte that gave the match's last
/// character (for a whitespace run, its first byte).
hit_set
naive(std::vector<std::string_view> const& patterns, std::string_view text)
{
    auto const is_space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    auto normalise = [&](std::string_view s, std::vector<std::uint32_t>* raw_end) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            char const c = s[i];
            if (is_space(c)) {
                if (out.empty() || out.back() != ' ') {
                    out.push_back(' ');
                    if (raw_end) raw_end->push_back(static_cast<std::uint32_t>(i + 1));
                }
            } else {
                out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
                if (raw_end) raw_end->push_back(static_cast<std::uint32_t>(i + 1));
            }
        }
        return out;
    };
    // The text's whitespace collapses across the whole text, so a leading
    // space run counts once too.
    std::vector<std::uint32_t> raw_end;
    std::string const t = normalise(text, &raw_end);
    hit_set out;
    for (std::uint32_t id = 0; id < patterns.size(); ++id) {
        auto const p = normalise(patterns[id], nullptr);
        if (p.empty()) continue;
        for (std::size_t at = t.find(p); at != std::string::npos; at = t.find(p, at + 1))
            out.emplace(id, raw_end[at + p.size() - 1]);
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
    CHECK(hits.count({4, 20}) == 1); // "user unknown" across a tab and a double space
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
        auto const hits = scan(m, text);
        REQUIRE(hits == naive(patterns, text));
        // match_start walks back to the byte the match begins on: the
        // normalised text from there to the end is the pattern.
        for (auto const& [id, end] : hits) {
            auto const start = m.match_start(text, id, end);
            std::string piece;
            for (std::size_t i = start; i < end; ++i) {
                char const c = text[i];
                bool const space = c == ' ' || c == '\t' || c == '\n';
                if (space) {
                    if (piece.empty() || piece.back() != ' ') piece.push_back(' ');
                } else {
                    piece.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
                }
            }
            std::string want;
            for (char const c : patterns[id])
                if (c != ' ' || want.empty() || want.back() != ' ') want.push_back(c);
            REQUIRE(piece == want);
            auto const blank = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
            REQUIRE((start == 0 || !blank(text[start]) || !blank(text[start - 1])));
        }
    }
}

TEST_CASE("matcher's two streams agree with a naive search on long text", "[classify][matcher]")
{
    // Texts of 96 bytes and more are scanned as two streams that meet in the
    // middle; matches longer than their overlap, whitespace runs and many
    // reports near the meeting point are where that could go wrong. The
    // texts are built from pieces of the patterns so that long matches are
    // common, and reports must come in the order they end.
    std::vector<std::string_view> const patterns{
        "mailbox unavailable", "user unknown",  "no such user here", "a",   "unavailable user",
        "x y z x y z x y z x", "the recipient's mailbox is full and cannot accept messages", "ab ab",
        "zz",                  "mailbox",       "e"};
    multi_matcher const m(patterns);
    std::vector<std::string_view> const pieces{"mailbox ", "unavailable ", "user ", "unknown", "no such ", "x y z ",
                                               "   ",      "\t\n  ",       "MAILBOX\t", "zzz",     "the recipient's ",
                                               "mailbox is full and cannot accept messages", "q", "ab ab ab", "-"};
    std::mt19937 rng(11);
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> count(10, 60);
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        for (int n = count(rng); n > 0; --n) text += pieces[pick(rng)];
        INFO(text);
        std::vector<std::pair<std::uint32_t, std::uint32_t>> in_order;  // (end, pattern)
        m.scan(text, [&](std::uint32_t id, std::uint32_t end) { in_order.emplace_back(end, id); });
        REQUIRE(std::is_sorted(in_order.begin(), in_order.end(),
                               [](auto const& x, auto const& y) { return x.first < y.first; }));
        hit_set got;
        for (auto const& [end, id] : in_order) got.emplace(id, end);
        REQUIRE(got == naive(patterns, text));
    }
}
