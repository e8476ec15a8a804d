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

    /// Length of a pattern after whitespace normalisation.
    std::uint32_t pattern_length(std::uint32_t id) const noexcept { return pattern_length_[id]; }

    /// Calls on_match(pattern_id, end) for every occurrence, in the order the
    /// occurrences end. `end` is one past the last byte of the match in
    /// `text` (a whitespace run ends where its first byte is, since the rest
    /// of the run is collapsed into it).
    template <class F>
    void scan(std::string_view text, F&& on_match) const;

    /// Where the occurrence of pattern `id` that ends at `end` (as reported by
    /// scan over the same text) starts in `text`. Only rules that need the
    /// order of two fragments ask, so it is worked out backwards on demand
    /// rather than tracked for every byte.
    std::size_t match_start(std::string_view text, std::uint32_t id, std::uint32_t end) const noexcept;

private:
    static constexpr std::uint32_t root = 0;
    static constexpr std::uint32_t no_state = UINT32_MAX;

    std::uint32_t step(std::uint32_t state, std::uint8_t symbol) const noexcept;

    // Bytes are mapped to a small alphabet first: upper- and lower-case
    // letters share a symbol, all whitespace is one symbol, and bytes that
    // occur in no pattern are symbol 0 (which always leads back to the root).
    std::array<std::uint8_t, 256> symbol_of_{};
    std::uint8_t space_symbol_ = 0;

    // The trie's edges, flattened: state s owns edges [edge_begin_[s],
    // edge_begin_[s + 1]). Only used while building.
    std::vector<std::uint32_t> edge_begin_;
    std::vector<std::uint8_t> edge_symbol_;
    std::vector<std::uint32_t> edge_target_;
    std::vector<std::uint32_t> root_next_;

    // The automaton as a full transition table with failure links already
    // followed: row r holds table_[r * stride_ ...], and each entry is the
    // next row's offset (premultiplied), so a byte costs two dependent loads
    // and one add. Rows are renumbered so that every row whose state reports
    // a match comes last, from a power-of-two offset on: "offset >=
    // first_reporting_" is the only test, and it can be made on several
    // states at once. Whitespace runs collapse in the table itself: a state entered by
    // whitespace stays put on more whitespace (a non-reporting copy of it,
    // when it reports, so a run reports once).
    std::size_t symbols_ = 0;
    std::size_t stride_ = 0;  // symbols_ + 1: the last entry of a row is where its matches are listed
    std::vector<std::uint32_t> table_;
    std::uint32_t first_reporting_ = 0;

    // Every pattern a reporting row matches, flattened: from
    // reports_[table_[row + symbols_]] up to a no_pattern, in the order the
    // dictionary links would give them.
    std::vector<std::uint32_t> reports_;

    // Building only.
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
    // In the header so the caller's callback is inlined: the loop below is
    // most of a classification's cost, and a call per match showed.
    auto const* const symbol_of = symbol_of_.data();
    auto const* const table = table_.data();
    std::size_t const threshold = first_reporting_;
    std::size_t const report_entry = symbols_;
    auto const* const begin = reinterpret_cast<unsigned char const*>(text.data());
    auto const* const end = begin + text.size();
    auto const* const reports = reports_.data();
    auto const report = [&](std::size_t row, std::size_t after) {
        auto const at = static_cast<std::uint32_t>(after);
        for (auto const* id = reports + table[row + report_entry]; *id != no_pattern; ++id) on_match(*id, at);
    };

    // Bytes go in blocks of eight, with one test each: reporting rows lie at
    // or above a power of two, so the OR of a block's states says whether
    // any of them reports. Most do not, so a block that reports is walked
    // again from its first state to find which bytes did, rather than every
    // state being kept. The states are ORed as 32-bit values: as
    // 64-bit ones GCC added a register copy per byte.
    constexpr std::size_t block = 8;  // bytes stepped between two tests
    auto const walk_again = [&](std::size_t from_state, unsigned char const* q) {
        auto const at = static_cast<std::size_t>(q - begin) + 1;
#pragma GCC unroll 8
        for (std::size_t k = 0; k < block; ++k) {
            from_state = table[from_state + symbol_of[q[k]]];
            if (from_state >= threshold) report(from_state, at + k);
        }
    };
    auto const step_block = [&](std::size_t& state, unsigned char const* q) {
        std::uint32_t any = 0;
#pragma GCC unroll 8
        for (std::size_t k = 0; k < block; ++k) {
            std::uint32_t const next = table[state + symbol_of[q[k]]];
            any |= next;
            state = next;
        }
        return any;
    };
    // One stream from `state` at p to `stop`, reporting as it goes. Two
    // blocks a round share the loop's bookkeeping (at four or eight bytes a
    // round it was a sixth to a third of the scan).
    auto const run = [&](std::size_t state, unsigned char const* p, unsigned char const* stop) {
        while (stop - p >= static_cast<std::ptrdiff_t>(2 * block)) {
            std::size_t const first_start = state;
            std::uint32_t const any_first = step_block(state, p);
            std::size_t const second_start = state;
            std::uint32_t const any_second = step_block(state, p + block);
            if (any_first >= threshold) [[unlikely]]
                walk_again(first_start, p);
            if (any_second >= threshold) [[unlikely]]
                walk_again(second_start, p + block);
            p += 2 * block;
        }
        if (stop - p >= static_cast<std::ptrdiff_t>(block)) {
            std::size_t const start = state;
            if (step_block(state, p) >= threshold) walk_again(start, p);
            p += block;
        }
        while (p != stop) {
            state = table[state + symbol_of[*p++]];
            if (state >= threshold) report(state, static_cast<std::size_t>(p - begin));
        }
        return state;
    };

    // A byte costs a load whose address depends on the previous byte's
    // load, and with several thousand rows the table does not stay in the
    // first-level cache: one stream waits on memory, not on the core. Longer
    // texts are cut into `streams` pieces scanned at once. Each stream but
    // the first starts at the root a little (`overlap`) before its piece,
    // which is only right once it has seen as much text as the match in
    // progress there: so its state where the previous piece ends is compared
    // with the state the previous stream (proved right itself) ended in. If
    // they differ (a match longer than the overlap was under way there), the
    // stream's work is dropped and its piece scanned again from the right
    // state. Until a stream is proved right its reports wait, as places to
    // walk again, so that every match is still reported in the order it ends.
    constexpr std::size_t overlap = 2 * block;
    constexpr std::size_t min_piece = 32;
    auto const in_streams = [&]<std::size_t streams>() {
        // Every stream steps `joint` bytes in the joint loop: stream i from
        // from[i], its piece starting `overlap` later (stream 0's at once),
        // and the last stream goes on alone to the end. The per-stream
        // values are separate arrays, indexed by constants once the loops
        // are unrolled, so that the compiler keeps them in registers.
        std::size_t const piece = ((text.size() - overlap) / streams) & ~(block - 1);
        std::size_t const joint = piece + overlap;
        std::array<unsigned char const*, streams> from;
        for (std::size_t i = 0; i < streams; ++i) from[i] = begin + i * piece;
        std::array<std::size_t, streams> state{};
        std::array<std::size_t, streams> state_at_piece{};
        struct pending {
            std::size_t state;
            unsigned char const* at;
        };
        constexpr std::size_t pending_room = 8;
        std::array<std::array<pending, pending_room>, streams> waiting;
        std::array<std::size_t, streams> waiting_count{};
        std::array<bool, streams> overflowed{};
        for (std::size_t off = 0; off != joint; off += block) {
            std::array<std::size_t, streams> start;
            std::array<std::uint32_t, streams> any;
#pragma GCC unroll 8
            for (std::size_t i = 0; i < streams; ++i) {
                start[i] = state[i];
                any[i] = step_block(state[i], from[i] + off);
            }
            if (any[0] >= threshold) [[unlikely]]
                walk_again(start[0], from[0] + off);
            if (off >= overlap) {
#pragma GCC unroll 8
                for (std::size_t i = 1; i < streams; ++i) {
                    if (any[i] >= threshold) [[unlikely]] {
                        if (waiting_count[i] == pending_room) overflowed[i] = true;
                        else waiting[i][waiting_count[i]++] = {start[i], from[i] + off};
                    }
                }
            } else if (off + block == overlap) {
                // Reports before here are the previous stream's.
                for (std::size_t i = 1; i < streams; ++i) state_at_piece[i] = state[i];
            }
        }
        // Stream 0 is right by construction; each next one is right if it
        // met its predecessor's (right) end state.
        std::size_t right = state[0];
        for (std::size_t i = 1; i < streams; ++i) {
            bool const last = i + 1 == streams;
            auto const* const piece_begin = from[i] + overlap;
            auto const* const stop = last ? end : from[i] + joint;
            if (overflowed[i] || state_at_piece[i] != right) {
                right = run(right, piece_begin, stop);
                continue;
            }
            for (std::size_t k = 0; k < waiting_count[i]; ++k) walk_again(waiting[i][k].state, waiting[i][k].at);
            if (last) run(state[i], from[i] + joint, end);
            else right = state[i];
        }
    };
    if (text.size() >= 4 * min_piece + overlap) in_streams.template operator()<4>();
    else if (text.size() >= 2 * min_piece + overlap) in_streams.template operator()<2>();
    else run(0, begin, end);
}

}  // namespace rebound::classify
