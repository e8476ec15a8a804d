// One-pass matching of many fixed fragments in a text (Aho-Corasick).
//
// The classifier looks for several hundred wording fragments in every
// diagnostic. Trying them one by one (or as hundreds of std::regex) costs
// O(patterns x text); the automaton reads each byte once whatever the number
// of patterns. It is built once from the rule tables and then only read, so
// one instance can be shared by all threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rebound::classify {

class multi_matcher {
public:
    static constexpr std::uint32_t no_pattern = UINT32_MAX;

    /// Patterns match ASCII-case-insensitively, and any run of whitespace in
    /// the text matches one space in a pattern, so wrapped or re-indented
    /// replies still match. Pattern ids are indexes into `patterns`; empty
    /// patterns never match.
    explicit multi_matcher(std::span<std::string_view const> patterns);

    std::size_t size() const noexcept { return pattern_length_.size(); }

    /// Length of a pattern after whitespace normalisation, in the same units
    /// as the positions passed to scan's callback.
    std::uint32_t pattern_length(std::uint32_t id) const noexcept { return pattern_length_[id]; }

    /// Calls on_match(pattern_id, end) for every occurrence, in the order the
    /// occurrences end. `end` is one past the last byte of the match in the
    /// normalised text (whitespace runs count once); positions are only
    /// meant to be compared with each other.
    template <class F>
    void scan(std::string_view text, F&& on_match) const;

private:
    static constexpr std::uint32_t root = 0;
    static constexpr std::uint32_t no_state = UINT32_MAX;

    std::uint32_t step(std::uint32_t state, std::uint8_t symbol) const noexcept;

    /// Where a scan is: the next byte to read and the automaton's state.
    struct cursor {
        std::size_t next = 0;
        std::uint32_t state = root;
        std::uint32_t pos = 0;
    };

    /// Reads bytes from `at` until a state that reports a match or the end
    /// of the text (false). Kept apart from the reporting so the per-byte
    /// loop stays in registers.
    bool run_to_match(std::string_view text, cursor& at) const noexcept;

    // Bytes are mapped to a small alphabet first: upper- and lower-case
    // letters share a symbol, all whitespace is one symbol, and bytes that
    // occur in no pattern are symbol 0 (which always leads back to the root).
    std::array<std::uint8_t, 256> symbol_of_{};
    std::uint8_t space_symbol_ = 0;

    // The trie's edges, flattened: state s owns edges [edge_begin_[s],
    // edge_begin_[s + 1]). The root's row is kept dense because most bytes
    // of a text are read from the root.
    std::vector<std::uint32_t> edge_begin_;
    std::vector<std::uint8_t> edge_symbol_;
    std::vector<std::uint32_t> edge_target_;
    std::vector<std::uint32_t> root_next_;

    // The same automaton as a full transition table (state * symbols_ +
    // symbol), failure links already followed: one load per byte instead of
    // a binary search per state on the fail chain. 16-bit states keep it
    // about 1 MB; with more states than that it stays empty and scan falls
    // back to step().
    std::size_t symbols_ = 0;
    std::vector<std::uint16_t> dense_;

    std::vector<std::uint32_t> fail_;       // longest proper suffix that is also a trie state
    std::vector<std::uint32_t> output_;     // first pattern ending exactly at this state
    std::vector<std::uint32_t> dict_link_;  // nearest state on the fail chain with an output
    std::vector<std::uint32_t> report_;     // the state itself if it has an output, else dict_link_
    std::vector<std::uint32_t> same_text_;  // next pattern with the same text, per pattern
    std::vector<std::uint32_t> pattern_length_;
};

template <class F>
void
multi_matcher::scan(std::string_view text, F&& on_match) const
{
    cursor at;
    while (run_to_match(text, at))
        for (auto s = report_[at.state]; s != no_state; s = dict_link_[s])
            for (auto p = output_[s]; p != no_pattern; p = same_text_[p]) on_match(p, at.pos);
}

}  // namespace rebound::classify
