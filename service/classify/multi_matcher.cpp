// Building the Aho-Corasick automaton: a trie of the patterns, then failure
// links computed breadth-first, then everything flattened into arrays.
#include "classify/multi_matcher.hpp"

#include <algorithm>
#include <deque>
#include <string>
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
    if (states <= UINT16_MAX) {
        dense_.assign(static_cast<std::size_t>(states) * symbols_, static_cast<std::uint16_t>(root));
        for (auto const s : breadth_first) {
            auto* const row = &dense_[s * symbols_];
            if (s != root) {
                auto const* const fallback = &dense_[fail_[s] * symbols_];
                std::copy(fallback, fallback + symbols_, row);
            }
            for (auto const& [symbol, target] : children[s]) row[symbol] = static_cast<std::uint16_t>(target);
            row[0] = static_cast<std::uint16_t>(root);  // bytes no pattern uses
        }
    }
}

bool
multi_matcher::run_to_match(std::string_view text, cursor& at) const noexcept
{
    // Everything in locals: the loop is most of a classification's cost.
    auto const* const symbol_of = symbol_of_.data();
    auto const space_symbol = space_symbol_;
    auto const* const report = report_.data();
    auto const* p = text.data() + at.next;
    auto const* const end = text.data() + text.size();
    std::uint32_t state = at.state;
    std::uint32_t pos = at.pos;
    bool hit = false;
    // A whitespace byte is read as one symbol and the rest of its run is
    // skipped at once, so the common non-space byte needs no run tracking.
    auto const skip_space_run = [&] {
        while (p != end && symbol_of[static_cast<unsigned char>(*p)] == space_symbol) ++p;
    };

    if (!dense_.empty()) {
        auto const* const dense = dense_.data();
        auto const symbols = symbols_;
        while (p != end) {
            auto const symbol = symbol_of[static_cast<unsigned char>(*p++)];
            ++pos;
            state = dense[state * symbols + symbol];
            if (symbol == space_symbol) skip_space_run();
            if (report[state] != no_state) {
                hit = true;
                break;
            }
        }
    } else {
        while (p != end) {
            auto const symbol = symbol_of[static_cast<unsigned char>(*p++)];
            ++pos;
            state = symbol == 0 ? root : step(state, symbol);
            if (symbol == space_symbol) skip_space_run();
            if (report[state] != no_state) {
                hit = true;
                break;
            }
        }
    }

    at.next = static_cast<std::size_t>(p - text.data());
    at.state = state;
    at.pos = pos;
    return hit;
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
