// Building the Aho-Corasick automaton: a trie of the patterns, then failure
// links computed breadth-first, then everything flattened into arrays.
#include "classify/multi_matcher.hpp"

#include <algorithm>
#include <deque>
#include <string>
#include <bit>
#include <utility>

namespace rebound::classify {

namespace {

bool
is_space(unsigned char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

unsigned char
lower(unsigned char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

/// The pattern as the scanner will see text: lower-case, whitespace runs as
/// one space.
std::string
normalise(std::string_view pattern)
{
    std::string out;
    out.reserve(pattern.size());
    for (char const ch : pattern) {
        auto const c = static_cast<unsigned char>(ch);
        if (is_space(c)) {
            if (out.empty() || out.back() != ' ') out.push_back(' ');
        } else {
            out.push_back(static_cast<char>(lower(c)));
        }
    }
    return out;
}

}  // namespace

multi_matcher::multi_matcher(std::span<std::string_view const> patterns)
{
    std::vector<std::string> normalised;
    normalised.reserve(patterns.size());
    for (auto const p : patterns) normalised.push_back(normalise(p));

    // Alphabet: symbol 1 is whitespace, then one symbol per distinct byte
    // used by a pattern. At most 256 - 26 distinct lower-cased bytes exist,
    // so the symbols fit in a byte.
    space_symbol_ = 1;
    std::uint8_t next_symbol = 2;
    for (unsigned c = 0; c < 256; ++c)
        if (is_space(static_cast<unsigned char>(c))) symbol_of_[c] = space_symbol_;
    for (auto const& p : normalised)
        for (char const ch : p) {
            auto const c = static_cast<unsigned char>(ch);
            if (symbol_of_[c] == 0) symbol_of_[c] = next_symbol++;
        }
    for (unsigned c = 'A'; c <= 'Z'; ++c) symbol_of_[c] = symbol_of_[lower(static_cast<unsigned char>(c))];

    // The trie, with edges in per-state vectors while it grows.
    std::vector<std::vector<std::pair<std::uint8_t, std::uint32_t>>> children(1);
    std::vector<bool> entered_by_space(1, false);
    output_.assign(1, no_pattern);
    same_text_.assign(normalised.size(), no_pattern);
    pattern_length_.assign(normalised.size(), 0);
    for (std::uint32_t id = 0; id < normalised.size(); ++id) {
        auto const& p = normalised[id];
        pattern_length_[id] = static_cast<std::uint32_t>(p.size());
        if (p.empty()) continue;
        std::uint32_t state = root;
        for (char const ch : p) {
            auto const symbol = symbol_of_[static_cast<unsigned char>(ch)];
            auto& edges = children[state];
            auto const it = std::find_if(edges.begin(), edges.end(), [&](auto const& e) { return e.first == symbol; });
            if (it != edges.end()) {
                state = it->second;
                continue;
            }
            auto const created = static_cast<std::uint32_t>(children.size());
            edges.emplace_back(symbol, created);
            children.emplace_back();
            output_.push_back(no_pattern);
            entered_by_space.push_back(symbol == space_symbol_);
            state = created;
        }
        // Identical patterns share the state; chain them so each is reported.
        std::uint32_t* slot = &output_[state];
        while (*slot != no_pattern) slot = &same_text_[*slot];
        *slot = id;
    }

    auto const states = static_cast<std::uint32_t>(children.size());
    edge_begin_.assign(states + 1, 0);
    for (std::uint32_t s = 0; s < states; ++s) {
        auto& edges = children[s];
        std::sort(edges.begin(), edges.end());
        edge_begin_[s + 1] = edge_begin_[s] + static_cast<std::uint32_t>(edges.size());
        for (auto const& [symbol, target] : edges) {
            edge_symbol_.push_back(symbol);
            edge_target_.push_back(target);
        }
    }
    root_next_.assign(256, root);
    for (auto const& [symbol, target] : children[root]) root_next_[symbol] = target;

    // Failure links, breadth-first so a state's link is known before its
    // children need it.
    fail_.assign(states, root);
    dict_link_.assign(states, no_state);
    std::deque<std::uint32_t> queue;
    std::vector<std::uint32_t> breadth_first{root};
    for (auto const& [symbol, target] : children[root]) queue.push_back(target);
    while (!queue.empty()) {
        auto const s = queue.front();
        queue.pop_front();
        breadth_first.push_back(s);
        for (auto const& [symbol, target] : children[s]) {
            fail_[target] = step(fail_[s], symbol);
            auto const f = fail_[target];
            dict_link_[target] = output_[f] != no_pattern ? f : dict_link_[f];
            queue.push_back(target);
        }
    }

    report_.resize(states);
    for (std::uint32_t s = 0; s < states; ++s) report_[s] = output_[s] != no_pattern ? s : dict_link_[s];

    // The full table, row by row in breadth-first order so that a state's
    // failure row (always shallower) is complete before it is copied.
    symbols_ = next_symbol;
    std::vector<std::uint32_t> next(static_cast<std::size_t>(states) * symbols_, root);
    for (auto const s : breadth_first) {
        auto* const row = &next[s * symbols_];
        if (s != root) {
            auto const* const fallback = &next[fail_[s] * symbols_];
            std::copy(fallback, fallback + symbols_, row);
        }
        for (auto const& [symbol, target] : children[s]) row[symbol] = target;
        row[0] = root;  // bytes no pattern uses
    }

    // Whitespace runs: a state entered by whitespace ignores more of it.
    // Patterns never hold two spaces in a row, so no trie edge is lost. A
    // state that reports gets a non-reporting copy to sit in instead, or the
    // run would report once per byte. Done after the whole table is built:
    // the rows copied above must see the real transitions.
    std::vector<std::uint32_t> stands_for(states);  // per row: its trie state
    for (std::uint32_t s = 0; s < states; ++s) stands_for[s] = s;
    auto const rows_before_copies = states;
    for (std::uint32_t s = 0; s < rows_before_copies; ++s) {
        if (s == root || !entered_by_space[s]) continue;
        if (report_[s] == no_state) {
            next[s * symbols_ + space_symbol_] = s;
            continue;
        }
        auto const copy = static_cast<std::uint32_t>(stands_for.size());
        stands_for.push_back(no_state);  // reports nothing
        next.resize(next.size() + symbols_);
        std::copy_n(&next[s * symbols_], symbols_, &next[copy * symbols_]);
        next[s * symbols_ + space_symbol_] = copy;
        next[copy * symbols_ + space_symbol_] = copy;
    }
    // The root on whitespace: either a state entered by whitespace (handled
    // above) or the root itself, which already stays put.

    // Renumber: the root first, rows that report last, starting at an
    // offset that is a power of two, so that "did any of these states
    // report" is one test on the OR of them. Each row has one more entry
    // after its transitions: for a reporting row, the first state of its
    // report chain, so a match needs no division by the row width.
    auto const rows = static_cast<std::uint32_t>(stands_for.size());
    auto const reports = [&](std::uint32_t row) { return stands_for[row] != no_state && report_[stands_for[row]] != no_state; };
    stride_ = symbols_ + 1;
    std::vector<std::uint32_t> new_row(rows);
    std::uint32_t quiet = 0;
    for (std::uint32_t r = 0; r < rows; ++r)
        if (!reports(r)) new_row[r] = quiet++;
    first_reporting_ = std::bit_ceil(static_cast<std::uint32_t>(quiet * stride_));
    auto const first_reporting_row = static_cast<std::uint32_t>((first_reporting_ + stride_ - 1) / stride_);
    std::uint32_t loud = first_reporting_row;
    for (std::uint32_t r = 0; r < rows; ++r)
        if (reports(r)) new_row[r] = loud++;

    table_.assign(static_cast<std::size_t>(loud) * stride_, 0);
    for (std::uint32_t r = 0; r < rows; ++r) {
        auto* const row = &table_[new_row[r] * stride_];
        for (std::size_t c = 0; c < symbols_; ++c)
            row[c] = static_cast<std::uint32_t>(new_row[next[r * symbols_ + c]] * stride_);
        if (!reports(r)) {
            row[symbols_] = no_state;
            continue;
        }
        row[symbols_] = static_cast<std::uint32_t>(reports_.size());
        for (auto s = report_[stands_for[r]]; s != no_state; s = dict_link_[s])
            for (auto id = output_[s]; id != no_pattern; id = same_text_[id]) reports_.push_back(id);
        reports_.push_back(no_pattern);
    }

    // The trie's own edges were only needed for the failure links.
    edge_begin_ = {};
    edge_symbol_ = {};
    edge_target_ = {};
    root_next_ = {};
    fail_ = {};
    output_ = {};
    dict_link_ = {};
    report_ = {};
    same_text_ = {};
}

std::size_t
multi_matcher::match_start(std::string_view text, std::uint32_t id, std::uint32_t end) const noexcept
{
    // Walk back one pattern symbol at a time; a whitespace symbol stands for
    // a whole run and sits on the run's first byte.
    std::size_t q = std::min<std::size_t>(end, text.size());
    auto const is_blank = [&](std::size_t i) {
        return symbol_of_[static_cast<unsigned char>(text[i])] == space_symbol_;
    };
    for (std::uint32_t n = pattern_length_[id]; n > 0 && q > 0; --n) {
        --q;
        if (is_blank(q))
            while (q > 0 && is_blank(q - 1)) --q;
    }
    return q;
}

std::uint32_t
multi_matcher::step(std::uint32_t state, std::uint8_t symbol) const noexcept
{
    for (;;) {
        if (state == root) return root_next_[symbol];
        auto const begin = edge_symbol_.begin() + edge_begin_[state];
        auto const end = edge_symbol_.begin() + edge_begin_[state + 1];
        auto const it = std::lower_bound(begin, end, symbol);
        if (it != end && *it == symbol) return edge_target_[static_cast<std::size_t>(it - edge_symbol_.begin())];
        state = fail_[state];
    }
}

}  // namespace rebound::classify
