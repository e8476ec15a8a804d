// The classifier's decision procedure. The knowledge lives in rules.cpp; this
// file compiles it into one automaton and applies the precedence described in
// classifier.hpp, one small step function per kind of evidence.
#include "classify/classifier.hpp"

#include "classify/multi_matcher.hpp"
#include "classify/rules.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace rebound::classify {

namespace {

using model::event_type;
using model::severity;
using rules::smtp_command;

constexpr std::size_t reason_slots = static_cast<std::size_t>(bounce_reason::virusdetected) + 1;

// Real replies are a few hundred bytes; anything far longer is junk (or an
// attack) and reading all of it would only cost time.
constexpr std::size_t max_scanned_bytes = 32 * 1024;

std::size_t
slot(bounce_reason r) noexcept
{
    return static_cast<std::size_t>(r);
}

//------------------------------------------------------------------------------
// The tables, compiled once

struct compiled_rule {
    rules::text_rule const* rule;
    std::uint32_t first;
    std::uint32_t then;  // multi_matcher::no_pattern for single-fragment rules and for then_byte
    // A `then` of one character ("too many con" ... "s") is looked for in
    // the text when the first fragment occurred, not by the automaton: it
    // would report at nearly every word and cost more than the rest of the
    // matching. 0 when not used.
    char then_byte = 0;
};

struct compiled_marker {
    std::uint32_t pattern;
    smtp_command command;
};

/// The wording tables, in the order the text_verdicts are kept.
enum class wording_table : std::uint8_t { provider, generic, drop };
constexpr std::size_t wording_tables = 3;

/// A rule whose first fragment is a given pattern: where it sits, so that
/// only the rules of patterns that occurred need to be looked at, and its
/// `then`, so that testing it needs nothing else.
struct rule_ref {
    std::uint32_t index;  // position in its table: earlier rules win
    std::uint32_t then;   // as in compiled_rule
    wording_table table;
    std::uint8_t rank;  // its reason's rank (pattern_index::rank_of)
    char then_byte;     // as in compiled_rule
};

/// What a pattern that occurred can mean besides starting rules.
enum pattern_flag : std::uint8_t { temporary_marker = 1, command_marker = 2 };

char
lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// One character that the automaton would match by itself: not whitespace
/// (which stands for a run) and not 0 (which marks "none").
bool
is_single_byte(std::string_view fragment) noexcept
{
    if (fragment.size() != 1) return false;
    auto const c = static_cast<unsigned char>(fragment.front());
    return c != 0 && c != ' ' && !(c >= '\t' && c <= '\r');
}

/// Every fragment of every table, deduplicated into one pattern list, and
/// the rules rewritten to refer to pattern ids.
struct pattern_index {
    std::vector<std::string_view> patterns;
    std::map<std::string_view, std::uint32_t> ids;
    std::array<std::vector<compiled_rule>, wording_tables> words;  // by wording_table
    std::vector<compiled_marker> commands;
    std::vector<std::uint32_t> temporary;
    // Per pattern id: the rules starting with it are
    // by_first[by_first_begin[id] .. by_first_begin[id + 1]), in table
    // order; those of the drop table, which only drops read, come last,
    // from by_first_drop[id] on.
    std::vector<std::uint32_t> by_first_begin;
    std::vector<std::uint32_t> by_first_drop;
    std::vector<rule_ref> by_first;
    std::vector<std::uint8_t> flags;  // per pattern id: pattern_flag bits

    // Reasons as bit positions, so that a wording table's verdict is a few
    // operations on one mask rather than a walk over the priority list:
    // ranks 0 .. ranked - 1 follow rules::text_priority(), the reasons it
    // does not list come after (they can still win a precedence exception).
    std::array<std::uint8_t, reason_slots> rank_of{};
    std::array<bounce_reason, reason_slots> by_rank{};
    std::uint64_t ranked = 0;  // mask of the ranks text_priority() lists
    std::vector<std::pair<std::uint8_t, std::uint8_t>> exceptions;  // winner, loser ranks, in table order
    std::uint64_t exception_winners = 0;  // mask of the winners' ranks
    // Per pattern id: the first command marker (in table order) with that
    // pattern, or UINT32_MAX.
    std::vector<std::uint32_t> command_of;

    std::span<compiled_rule const> table(wording_table t) const noexcept
    {
        return words[static_cast<std::size_t>(t)];
    }

    std::uint32_t add(std::string_view fragment)
    {
        auto const [it, inserted] = ids.try_emplace(fragment, static_cast<std::uint32_t>(patterns.size()));
        if (inserted) patterns.push_back(fragment);
        return it->second;
    }

    std::vector<compiled_rule> add_rules(std::span<rules::text_rule const> table)
    {
        std::vector<compiled_rule> out;
        out.reserve(table.size());
        for (auto const& r : table) {
            compiled_rule c{&r, add(r.fragment), multi_matcher::no_pattern};
            if (is_single_byte(r.then))
                c.then_byte = lower(r.then.front());
            else if (!r.then.empty())
                c.then = add(r.then);
            out.push_back(c);
        }
        return out;
    }
};

void
rank_reasons(pattern_index& index)
{
    static_assert(reason_slots <= 64, "ranks are bits of a 64-bit mask");
    std::array<bool, reason_slots> listed{};
    std::size_t next = 0;
    for (auto const r : rules::text_priority()) {
        if (listed[slot(r)]) throw std::logic_error("rules::text_priority() lists a reason twice");
        listed[slot(r)] = true;
        index.by_rank[next] = r;
        index.rank_of[slot(r)] = static_cast<std::uint8_t>(next++);
    }
    index.ranked = next == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << next) - 1;
    for (std::size_t r = 0; r < reason_slots; ++r) {
        if (listed[r]) continue;
        index.by_rank[next] = static_cast<bounce_reason>(r);
        index.rank_of[r] = static_cast<std::uint8_t>(next++);
    }
    for (auto const& [winner, loser] : rules::precedence_exceptions()) {
        index.exceptions.emplace_back(index.rank_of[slot(winner)], index.rank_of[slot(loser)]);
        index.exception_winners |= std::uint64_t{1} << index.rank_of[slot(winner)];
    }
}

pattern_index
index_tables()
{
    pattern_index index;
    rank_reasons(index);
    index.words[static_cast<std::size_t>(wording_table::provider)] = index.add_rules(rules::provider_wording());
    index.words[static_cast<std::size_t>(wording_table::generic)] = index.add_rules(rules::generic_wording());
    index.words[static_cast<std::size_t>(wording_table::drop)] = index.add_rules(rules::drop_wording());
    for (auto const& m : rules::command_markers()) index.commands.push_back({index.add(m.fragment), m.command});
    for (auto const fragment : rules::temporary_markers()) index.temporary.push_back(index.add(fragment));

    auto const patterns = index.patterns.size();
    index.flags.assign(patterns, 0);
    for (auto const id : index.temporary) index.flags[id] |= temporary_marker;
    for (auto const& m : index.commands) index.flags[m.pattern] |= command_marker;
    index.command_of.assign(patterns, UINT32_MAX);
    for (std::uint32_t i = 0; i < index.commands.size(); ++i)
        index.command_of[index.commands[i].pattern] = std::min(index.command_of[index.commands[i].pattern], i);

    // Group the rules by first pattern (counting sort), keeping table order
    // within each group: the drop table, last in that order, ends up last
    // in each group.
    static_assert(static_cast<std::size_t>(wording_table::drop) == wording_tables - 1);
    std::vector<std::uint32_t> count(patterns + 1, 0);
    for (std::size_t t = 0; t < wording_tables; ++t)
        for (auto const& r : index.table(static_cast<wording_table>(t))) ++count[r.first + 1];
    for (std::size_t id = 0; id < patterns; ++id) count[id + 1] += count[id];
    index.by_first_begin = count;
    index.by_first.resize(count[patterns]);
    index.by_first_drop.resize(patterns);
    for (std::size_t t = 0; t < wording_tables; ++t) {
        auto const w = static_cast<wording_table>(t);
        if (w == wording_table::drop)
            for (std::size_t id = 0; id < patterns; ++id) index.by_first_drop[id] = count[id];
        auto const table = index.table(w);
        for (std::uint32_t i = 0; i < table.size(); ++i) {
            auto const& r = table[i];
            index.by_first[count[r.first]++] = {i, r.then, w, index.rank_of[slot(r.rule->reason)], r.then_byte};
        }
    }
    return index;
}

struct compiled_tables {
    pattern_index index;
    multi_matcher matcher;

    compiled_tables() : index(index_tables()), matcher(index.patterns) {}
};

compiled_tables const&
tables()
{
    // A function-local static: built on first use, and C++ guarantees the
    // initialisation happens once even when threads race to it.
    static compiled_tables const instance;
    return instance;
}

//------------------------------------------------------------------------------
// What the text contains

/// The first and the last end position of a pattern's occurrences, 0
/// meaning nowhere; side by side, as they are set and cleared together.
struct pattern_ends {
    std::uint32_t first = 0;
    std::uint32_t last = 0;
};

/// Per-thread scratch space for occurrences: one slot per pattern, zero
/// between calls. Allocating and zeroing it per diagnostic cost more than the
/// whole scan, so each thread keeps one and puts back only what it touched.
struct occurrence_scratch {
    std::vector<pattern_ends> ends;
    // Room for every pattern, so that noting one found needs no capacity
    // check; an occurrences uses the first found_count_.
    std::vector<std::uint32_t> found_ids;
    bool in_use = false;
};

/// Where each pattern occurred in one diagnostic: the first and last end
/// position, 0 meaning nowhere. Enough to test "a, then later b" rules.
class occurrences {
public:
    occurrences(compiled_tables const& t, std::string_view text) : matcher_(t.matcher), text_(text)
    {
        thread_local occurrence_scratch scratch;
        // Only one occurrences per thread at a time can borrow the scratch;
        // a nested one (not done today) gets its own.
        if (scratch.in_use) {
            own_ = std::make_unique<occurrence_scratch>();
            s_ = own_.get();
        } else {
            s_ = &scratch;
        }
        s_->in_use = true;
        if (s_->ends.size() != t.matcher.size()) {
            s_->ends.assign(t.matcher.size(), {});
            s_->found_ids.assign(t.matcher.size(), 0);
        }
        ends_ = s_->ends.data();
        found_ids_ = s_->found_ids.data();
        t.matcher.scan(text, [this](std::uint32_t id, std::uint32_t end) {
            auto& e = ends_[id];
            if (e.first == 0) {
                e.first = end;
                found_ids_[found_count_++] = id;  // each pattern once: never more than there are
            }
            e.last = end;
        });
    }

    ~occurrences()
    {
        for (auto const id : found_ids()) ends_[id] = {};
        s_->in_use = false;
    }

    occurrences(occurrences const&) = delete;
    occurrences& operator=(occurrences const&) = delete;

    /// The patterns that occurred, each once.
    std::span<std::uint32_t const> found_ids() const noexcept { return {found_ids_, found_count_}; }

    bool found(std::uint32_t id) const noexcept { return ends_[id].first != 0; }
    std::uint32_t first_end(std::uint32_t id) const noexcept { return ends_[id].first; }

    /// Whether a rule whose first fragment is `first`, which occurred,
    /// matches: its `then` (a pattern or a byte, as in compiled_rule), if
    /// any, occurs after it.
    bool then_follows(std::uint32_t first, std::uint32_t then, char then_byte) const noexcept
    {
        if (then_byte != 0) return byte_occurs_from(then_byte, ends_[first].first);
        if (then == multi_matcher::no_pattern) return true;
        // Some occurrence of `then` starts after the first `fragment` ends:
        // the last one is the one to ask about.
        return found(then) && matcher_.match_start(text_, then, ends_[then].last) >= ends_[first].first;
    }

private:
    /// Whether `lowered` occurs, in either case, at or after `from`: what the
    /// automaton would say of a one-character pattern.
    bool byte_occurs_from(char lowered, std::size_t from) const noexcept
    {
        char const upper = lowered >= 'a' && lowered <= 'z' ? static_cast<char>(lowered - 'a' + 'A') : lowered;
        for (auto i = from; i < text_.size(); ++i)
            if (text_[i] == lowered || text_[i] == upper) return true;
        return false;
    }

    multi_matcher const& matcher_;
    std::string_view text_;
    std::unique_ptr<occurrence_scratch> own_;
    occurrence_scratch* s_ = nullptr;
    pattern_ends* ends_ = nullptr;
    std::uint32_t* found_ids_ = nullptr;
    std::size_t found_count_ = 0;
};

struct text_verdict {
    bounce_reason reason = bounce_reason::none;
    rules::text_rule const* rule = nullptr;
    bool contested = false;  // wording of other reasons occurred too
};

/// Per wording table: the reasons whose wording occurred, as a mask of
/// ranks, and for each the first rule (in table order) that matched.
struct wording_hits {
    std::uint64_t ranks = 0;
    std::array<std::uint32_t, 64> first;  // meaningful where `ranks` has the bit
};

/// What the patterns that occurred say, before any precedence: the wording
/// tables' hits and the flags of the markers among them.
struct pattern_hits {
    std::array<wording_hits, wording_tables> tables;
    std::uint8_t flags = 0;  // pattern_flag bits of all patterns that occurred
};

/// Only the rules starting with a pattern that occurred can match, so only
/// those are looked at, not every rule of every table. The drop table's are
/// only looked at for a drop, the one event that uses them.
pattern_hits
collect_hits(compiled_tables const& t, occurrences const& seen, bool drop)
{
    pattern_hits out;
    auto const& index = t.index;
    for (auto const id : seen.found_ids()) {
        out.flags |= index.flags[id];
        auto const end = drop ? index.by_first_begin[id + 1] : index.by_first_drop[id];
        for (auto i = index.by_first_begin[id]; i < end; ++i) {
            auto const& ref = index.by_first[i];
            auto& hits = out.tables[static_cast<std::size_t>(ref.table)];
            auto const bit = std::uint64_t{1} << ref.rank;
            if ((hits.ranks & bit) && hits.first[ref.rank] <= ref.index) continue;  // an earlier rule already won
            if (!seen.then_follows(id, ref.then, ref.then_byte)) continue;
            hits.ranks |= bit;
            hits.first[ref.rank] = ref.index;
        }
    }
    return out;
}

/// The reason whose wording occurs and ranks first in rules::text_priority(),
/// after the precedence exceptions; contested when another listed reason's
/// wording occurred too. Inline: it runs for two tables per event and
/// usually returns at once, which cost less than the call.
[[gnu::always_inline]] inline text_verdict
strongest(compiled_tables const& t, wording_table table, wording_hits const& hits)
{
    auto const& index = t.index;
    auto ranks = hits.ranks;
    if (ranks == 0) return {};  // the usual case for all but one table
    if (ranks & index.exception_winners)
        for (auto const& [winner, loser] : index.exceptions)
            if (ranks & (std::uint64_t{1} << winner)) ranks &= ~(std::uint64_t{1} << loser);
    ranks &= index.ranked;
    if (ranks == 0) return {};
    auto const rank = static_cast<std::size_t>(std::countr_zero(ranks));
    bool const contested = (ranks & (ranks - 1)) != 0;  // more than one bit
    return {index.by_rank[rank], index.table(table)[hits.first[rank]].rule, contested};
}

/// The command of the marker that ends first in the text; of two ending
/// at the same place, the one first in the table.
smtp_command
first_command_marker(compiled_tables const& t, occurrences const& seen) noexcept
{
    auto const& index = t.index;
    std::uint32_t best = UINT32_MAX;  // index into index.commands
    std::uint32_t earliest = UINT32_MAX;
    for (auto const id : seen.found_ids()) {
        auto const marker = index.command_of[id];
        if (marker == UINT32_MAX) continue;
        auto const end = seen.first_end(id);
        if (end < earliest || (end == earliest && marker < best)) {
            earliest = end;
            best = marker;
        }
    }
    return best == UINT32_MAX ? smtp_command::unknown : index.commands[best].command;
}

/// Sisimai invents statuses such as 5.0.911 when a bounce has none; they are
/// labels in disguise (taxonomy section 4) and must not count as evidence.
bool
is_pseudo_status(std::string_view s) noexcept
{
    return s.size() == 7 && s.substr(1, 3) == ".0." && s[4] == '9';
}

//------------------------------------------------------------------------------
// Everything known about one event, gathered before deciding

/// What the reply parser said, however it was run (with or without the text).
struct reply_facts {
    std::optional<int> code;
    std::string_view enhanced;
    bool anything = false;  // a code, a status or some text
};

struct evidence {
    classify_input const& in;
    reply_facts const& reply;
    occurrences seen;
    text_verdict provider_words;
    text_verdict generic_words;
    text_verdict drop_words;
    smtp_command command = smtp_command::unknown;
    bool temporary = false;
    std::string_view status;  // the enhanced status, minus pseudo statuses
    rules::esp_hint const* class_hint = nullptr;
    rules::esp_hint const* type_hint = nullptr;

    evidence(classify_input const& input, reply_facts const& parsed, compiled_tables const& t)
        : in(input),
          reply(parsed),
          seen(t, input.diagnostic.substr(0, std::min(input.diagnostic.size(), max_scanned_bytes)))
    {
        // Only the verdicts the precedence can reach are worked out: drop
        // wording counts for drops only, generic wording only when no
        // provider wording occurred.
        bool const drop = in.type == event_type::drop;
        auto const hits = collect_hits(t, seen, drop);
        auto const verdict = [&](wording_table w) {
            return strongest(t, w, hits.tables[static_cast<std::size_t>(w)]);
        };
        provider_words = verdict(wording_table::provider);
        if (!provider_words.rule) generic_words = verdict(wording_table::generic);
        if (drop) drop_words = verdict(wording_table::drop);

        command = rules::parse_command(in.smtp_command);
        // Most replies name no command: the marker table is only read when
        // one of the patterns that occurred is a marker.
        if (command == smtp_command::unknown && (hits.flags & command_marker)) command = first_command_marker(t, seen);

        if (!is_pseudo_status(reply.enhanced)) status = reply.enhanced;

        temporary = (reply.code && *reply.code / 100 == 4) || status.starts_with('4') ||
                    (hits.flags & temporary_marker) != 0;

        // Most events carry no ESP class or type.
        if (!in.esp_class.empty())
            class_hint = rules::find_esp_hint(in.provider, rules::esp_field::esp_class, in.esp_class);
        if (!in.esp_type.empty()) type_hint = rules::find_esp_hint(in.provider, rules::esp_field::esp_type, in.esp_type);
    }

    rules::esp_hint const* hint_saying(rules::failure_duration duration) const noexcept
    {
        if (class_hint && class_hint->duration == duration) return class_hint;
        if (type_hint && type_hint->duration == duration) return type_hint;
        return nullptr;
    }

    // What the codes say, looked up when asked: wording decides most
    // events, and then only a description needs them.
    bounce_reason status_reason() const noexcept { return rules::reason_for_status(status); }
    bounce_reason host_status_reason() const noexcept { return rules::reason_for_host_status(in.remote_host, status); }
    bounce_reason reply_code_reason() const noexcept
    {
        return reply.code ? rules::reason_for_reply_code(*reply.code) : bounce_reason::none;
    }

    bool never_hard() const noexcept { return hint_saying(rules::failure_duration::temporary) != nullptr; }

    rules::esp_hint const* hint_of(rules::hint_strength strength) const noexcept
    {
        if (class_hint && class_hint->strength == strength && class_hint->reason != bounce_reason::none)
            return class_hint;
        if (type_hint && type_hint->strength == strength && type_hint->reason != bounce_reason::none)
            return type_hint;
        return nullptr;
    }
};

//------------------------------------------------------------------------------
// Deciding

/// Kinds of evidence, with the confidence each gives when it decides alone.
enum class source : std::uint8_t {
    event,
    esp_decides,
    drop_wording,
    provider_wording,
    wording,
    esp_suggests,
    host_status,
    status,
    reply_code,
    event_fallback,
    status_class,
    session_stage,
    syntax_code,
    onhold,
    undefined,
};

struct source_info {
    source kind;
    std::string_view label;  // first word of `matched`
    double confidence;
};

constexpr source_info sources[] = {
    {source::event, "event", 1.0},
    {source::esp_decides, "esp", 0.95},
    {source::drop_wording, "drop-text", 0.9},
    {source::provider_wording, "provider-text", 0.95},
    {source::wording, "text", 0.9},
    {source::esp_suggests, "esp-suggests", 0.75},
    {source::host_status, "host-status", 0.8},
    {source::status, "status", 0.75},
    {source::reply_code, "reply", 0.7},
    {source::event_fallback, "event", 0.5},
    {source::status_class, "status-class", 0.45},
    {source::session_stage, "command", 0.45},
    {source::syntax_code, "reply", 0.5},
    {source::onhold, "undecided", 0.2},
    {source::undefined, "undecided", 0.1},
};

static_assert([] {
    for (std::size_t i = 0; i < std::size(sources); ++i)
        if (static_cast<std::size_t>(sources[i].kind) != i) return false;
    return true;
}());

/// The detail after a label in `matched`, as up to three pieces of static or
/// caller-owned text, so describing a rule costs no temporary string.
struct detail {
    std::string_view a, b, c;

    detail() = default;
    detail(std::string_view only) : a(only) {}
    detail(char const* only) : a(only) {}
    detail(std::string_view first, std::string_view second, std::string_view third)
        : a(first), b(second), c(third)
    {}

    bool empty() const noexcept { return a.empty() && b.empty() && c.empty(); }
    std::size_t size() const noexcept { return a.size() + b.size() + c.size(); }
};

/// A reply code as text, without going through std::string.
struct code_text {
    char digits[12];
    std::size_t length;

    explicit code_text(int code) noexcept
    {
        auto const [end, ec] = std::to_chars(digits, digits + sizeof digits, code);
        length = ec == std::errc{} ? static_cast<std::size_t>(end - digits) : 0;
    }

    std::string_view view() const noexcept { return {digits, length}; }
};

struct decision {
    bounce_reason reason = bounce_reason::none;
    double confidence = 0.0;
    std::string matched;
    // Whether `matched` is written and the confidence adjusted to the end:
    // classify_event stores neither, and building the description was a
    // fair share of the cost per event. The reason never depends on it.
    bool describe = true;

    // Inline, with the description out of line: without one, a decision
    // is two stores, less than the call was.
    [[gnu::always_inline]] bool decide(source kind, bounce_reason r, detail const& what)
    {
        auto const& info = sources[static_cast<std::size_t>(kind)];
        reason = r;
        confidence = info.confidence;
        if (describe) start_description(info.label, what);
        return true;
    }

    void note(std::string_view what, detail const& more, double adjust)
    {
        confidence = std::clamp(confidence + adjust, 0.05, 0.99);
        if (!describe) return;
        matched.append("; ").append(what);
        append_detail(more);
    }

private:
    [[gnu::noinline]] void start_description(std::string_view label, detail const& what)
    {
        // Room for the label, the detail and a few notes: one allocation.
        matched.reserve(label.size() + what.size() + 96);
        matched.assign(label);
        append_detail(what);
    }

    void append_detail(detail const& d)
    {
        if (d.empty()) return;
        matched.push_back(':');
        matched.append(d.a).append(d.b).append(d.c);
    }
};

detail
detail_of(rules::text_rule const& r)
{
    if (r.then.empty()) return {r.fragment};
    return {r.fragment, "...", r.then};
}

detail
detail_of(rules::esp_hint const& h)
{
    return {h.provider, "/", h.value};
}

bool
by_event(evidence const& ev, decision& d)
{
    if (ev.in.type == event_type::delivered) return d.decide(source::event, bounce_reason::none, "delivered");
    if (ev.in.type == event_type::complaint) return d.decide(source::event, bounce_reason::feedback, "complaint");
    return false;
}

bool
by_decisive_hint(evidence const& ev, decision& d)
{
    auto const* hint = ev.hint_of(rules::hint_strength::decides);
    return hint && d.decide(source::esp_decides, hint->reason, detail_of(*hint));
}

bool
by_drop_wording(evidence const& ev, decision& d)
{
    if (ev.in.type != event_type::drop || !ev.drop_words.rule) return false;
    return d.decide(source::drop_wording, ev.drop_words.reason, detail_of(*ev.drop_words.rule));
}

/// "User unknown" after DATA, or with a status that says the message rather
/// than the address was refused (5.2.x, 5.7.x), is usually a filter posing as
/// an unknown user (Sisimai's "filtered"): the address probably exists, so it
/// must not become a hard bounce. An addressing status (X.1.x), the RCPT
/// stage or an ESP that calls the failure permanent keep it a dead address;
/// so does provider-specific wording, which is exact.
void
refine_unknown_user(evidence const& ev, source kind, decision& d)
{
    if (d.reason != bounce_reason::userunknown || kind == source::provider_wording) return;
    bool const addressing_status = ev.status.size() > 2 && ev.status.substr(1, 3) == ".1.";
    bool const before_data = ev.command != smtp_command::unknown && ev.command != smtp_command::data;
    bool const esp_says_permanent = ev.hint_saying(rules::failure_duration::permanent) != nullptr;
    if (addressing_status || before_data || esp_says_permanent) return;

    if (ev.command == smtp_command::data) {
        d.reason = bounce_reason::filtered;
        d.note("context", "after-data", -0.1);
    } else if (auto const coded = ev.status_reason();
               coded == bounce_reason::filtered || coded == bounce_reason::securityerror) {
        d.reason = bounce_reason::filtered;
        d.note("context", {"status-", ev.status, {}}, -0.15);
    }
}

/// Wording decides; the codes then confirm or weaken it.
bool
by_wording(evidence const& ev, decision& d)
{
    auto const& verdict = ev.provider_words.rule ? ev.provider_words : ev.generic_words;
    if (!verdict.rule) return false;
    auto const kind = &verdict == &ev.provider_words ? source::provider_wording : source::wording;
    d.decide(kind, verdict.reason, detail_of(*verdict.rule));
    if (verdict.contested) d.note("contested", "", -0.1);
    refine_unknown_user(ev, kind, d);

    // The rest only moves the confidence and adds to the description,
    // neither of which classify_event keeps.
    if (!d.describe) return true;
    auto coded = ev.host_status_reason();
    if (coded == bounce_reason::none) coded = ev.status_reason();
    if (coded == d.reason)
        d.note("status-agrees", ev.status, +0.04);
    else if (coded != bounce_reason::none)
        d.note("status-differs", ev.status, -0.05);
    if (auto const* hint = ev.hint_of(rules::hint_strength::suggests); hint && hint->reason != d.reason)
        d.note("esp-differs", detail_of(*hint), -0.1);
    return true;
}

bool
by_suggested_hint(evidence const& ev, decision& d)
{
    auto const* hint = ev.hint_of(rules::hint_strength::suggests);
    return hint && d.decide(source::esp_suggests, hint->reason, detail_of(*hint));
}

bool
by_codes(evidence const& ev, decision& d)
{
    if (auto const host = ev.host_status_reason(); host != bounce_reason::none)
        return d.decide(source::host_status, host, ev.status);
    // 2.x.x statuses only mean "delivered" when nobody told us the event type.
    auto const status = ev.status_reason();
    bool const usable = status != bounce_reason::none && (status != bounce_reason::delivered || !ev.in.type);
    if (usable) return d.decide(source::status, status, ev.status);
    if (auto const coded = ev.reply_code_reason(); coded != bounce_reason::none)
        return d.decide(source::reply_code, coded, code_text(*ev.reply.code).view());
    return false;
}

bool
by_event_type(evidence const& ev, decision& d)
{
    if (!ev.in.type) return false;
    switch (*ev.in.type) {
    case event_type::deferred:
        return d.decide(source::event_fallback, bounce_reason::expired, "deferred");
    case event_type::block:
        return d.decide(source::event_fallback, bounce_reason::blocked, "block");
    case event_type::drop:
        return d.decide(source::event_fallback, bounce_reason::suppressed, "drop");
    default:
        return false;
    }
}

bool
by_status_class(evidence const& ev, decision& d)
{
    // Sisimai's last resort for statuses its table does not list: subject 6
    // is about the content, subject 7 about security or policy.
    if (ev.status.empty()) return false;
    auto const second_dot = ev.status.find('.', 2);
    auto const subject = ev.status.substr(2, second_dot - 2);
    auto const class_and_subject = ev.status.substr(0, second_dot);
    if (subject == "6") return d.decide(source::status_class, bounce_reason::contenterror, class_and_subject);
    if (subject == "7") return d.decide(source::status_class, bounce_reason::securityerror, class_and_subject);
    return false;
}

bool
by_session_stage(evidence const& ev, decision& d)
{
    // Refused before any recipient was named: the sending host itself.
    if (ev.command == smtp_command::helo) return d.decide(source::session_stage, bounce_reason::blocked, "helo");
    if (ev.command == smtp_command::connect)
        return d.decide(source::session_stage, bounce_reason::blocked, "connect");
    return false;
}

bool
by_syntax_code(evidence const& ev, decision& d)
{
    if (!ev.reply.code) return false;
    int const c = *ev.reply.code;
    bool const syntax = (c > 400 && c < 408) || (c > 500 && c < 508);
    return syntax && d.decide(source::syntax_code, bounce_reason::syntaxerror, code_text(c).view());
}

void
undecided(evidence const& ev, decision& d)
{
    if (ev.reply.anything)
        d.decide(source::onhold, bounce_reason::onhold, "");
    else
        d.decide(source::undefined, bounce_reason::undefined, "");
}

decision
decide(evidence const& ev, bool describe)
{
    decision d;
    d.describe = describe;
    if (by_event(ev, d) || by_decisive_hint(ev, d) || by_drop_wording(ev, d) || by_wording(ev, d) ||
        by_suggested_hint(ev, d) || by_codes(ev, d) || by_event_type(ev, d) || by_status_class(ev, d) ||
        by_session_stage(ev, d) || by_syntax_code(ev, d))
        return d;
    undecided(ev, d);
    return d;
}

severity
severity_of(evidence const& ev, bounce_reason r) noexcept
{
    using enum bounce_reason;
    if (r == none || r == delivered || r == feedback || r == vacation) return severity::none;
    if (ev.in.type) {
        switch (*ev.in.type) {
        case event_type::delivered:
        case event_type::complaint:
        case event_type::drop:
            return severity::none;
        case event_type::deferred:
        case event_type::block:
            return severity::soft;
        case event_type::bounce:
            break;
        }
    }
    return kills_address(r, ev.temporary) && !ev.never_hard() ? severity::hard : severity::soft;
}

/// Everything after parsing: the evidence, the decision and the severity.
decision
classify_parsed(classify_input const& in, reply_facts const& reply, bool describe, severity& sev)
{
    evidence const ev(in, reply, tables());
    auto d = decide(ev, describe);

    sev = severity_of(ev, d.reason);
    if (ev.never_hard() && kills_address(d.reason, ev.temporary) && sev != severity::none) {
        // The ESP says temporary, the words say the address is dead: one of
        // them is wrong, so say so and stay soft.
        d.note("kept-soft", detail_of(*ev.hint_saying(rules::failure_duration::temporary)), -0.15);
    }
    return d;
}

}  // namespace

classification
classify(classify_input const& in)
{
    classification out;
    out.reply = parse_smtp_reply(smtp_reply_fields{in.smtp_code, in.enhanced_status, in.diagnostic});
    reply_facts const facts{
        .code = out.reply.code,
        .enhanced = out.reply.enhanced,
        .anything = !out.reply.text.empty() || out.reply.code || !out.reply.enhanced.empty(),
    };
    auto d = classify_parsed(in, facts, true, out.sev);
    out.reason = d.reason;
    out.confidence = d.confidence;
    out.matched = std::move(d.matched);
    return out;
}

void
classify_event(model::normalized_event& e)
{
    e.classifier_version = classifier_version;
    smtp_reply_fields const fields{e.smtp_code, e.enhanced_status, e.diagnostic};
    auto const fill_reply = [&](smtp_reply_head const& head) {
        if (!e.smtp_code) e.smtp_code = head.code;
        if (e.enhanced_status.empty()) e.enhanced_status.append(head.enhanced());  // empty: append is assign
    };

    // Deliveries and complaints are decided by their type alone (no reason,
    // resp. feedback; no severity): the text is only read for the reply
    // code and status columns, and only when the provider left them empty.
    if (e.type == event_type::delivered || e.type == event_type::complaint) {
        e.reason.assign(to_string(e.type == event_type::delivered ? bounce_reason::none : bounce_reason::feedback));
        e.sev = severity::none;
        if (!e.smtp_code || e.enhanced_status.empty()) fill_reply(parse_smtp_reply_head(fields));
        return;
    }

    auto const head = parse_smtp_reply_head(fields);
    classify_input const in{
        .type = e.type,
        .provider = e.provider,
        .esp_class = e.esp_class,
        .esp_type = e.esp_type,
        .smtp_code = e.smtp_code,
        .enhanced_status = e.enhanced_status,
        .diagnostic = e.diagnostic,
        .remote_host = e.remote_mta,
        .smtp_command = {},
    };
    reply_facts const facts{.code = head.code, .enhanced = head.enhanced(), .anything = head.anything};
    severity sev = severity::none;
    auto const d = classify_parsed(in, facts, false, sev);
    // Emptied and appended to rather than assigned: libstdc++'s assign is
    // the general replace (overlap checks and all), a third of the cost of
    // filling the event.
    e.reason.clear();
    e.reason.append(to_string(d.reason));
    e.sev = sev;
    fill_reply(head);
}

}  // namespace rebound::classify
