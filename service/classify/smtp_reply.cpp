// SMTP reply parsing. Everything works on string_views with explicit bounds
// checks: the input is whatever an ESP (or an attacker) put in a JSON string.
#include "classify/smtp_reply.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rebound::classify {

namespace {

constexpr std::size_t npos = std::string_view::npos;

// The small readers below (trim, code_at, enhanced_at, token_starts_at) run
// for every reply, several times: they are forced inline, as a call each
// cost more than their bodies.

constexpr bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

constexpr bool
is_alpha(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool
is_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

char
lower(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool
starts_with_ci(std::string_view s, std::string_view prefix) noexcept
{
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lower(s[i]) != prefix[i]) return false;
    return true;
}

[[gnu::always_inline]] inline std::string_view
trim(std::string_view s) noexcept
{
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

/// A reply code at `pos`: exactly three digits, 2xx-5xx, not part of a longer
/// number or of a dotted token such as an IP address.
[[gnu::always_inline]] inline std::optional<int>
code_at(std::string_view s, std::size_t pos) noexcept
{
    if (pos > s.size() || s.size() - pos < 3) return std::nullopt;
    char const a = s[pos], b = s[pos + 1], c = s[pos + 2];
    if (a < '2' || a > '5' || !is_digit(b) || !is_digit(c)) return std::nullopt;
    if (pos + 3 < s.size() && (is_digit(s[pos + 3]) || s[pos + 3] == '.')) return std::nullopt;
    return (a - '0') * 100 + (b - '0') * 10 + (c - '0');
}

/// The length of an RFC 3463 status at `pos` ("5.1.1", "4.7.650"), or 0. The
/// token must end there: "4.16.55.1" (a Yahoo log id) is not a status.
[[gnu::always_inline]] inline std::size_t
enhanced_at(std::string_view s, std::size_t pos) noexcept
{
    if (pos >= s.size()) return 0;
    if (s[pos] != '2' && s[pos] != '4' && s[pos] != '5') return 0;
    std::size_t i = pos + 1;
    for (int part = 0; part < 2; ++part) {
        if (i >= s.size() || s[i] != '.') return 0;
        ++i;
        std::size_t digits = 0;
        while (i < s.size() && is_digit(s[i]) && digits < 4) {
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3) return 0;
    }
    if (i < s.size() && s[i] == '.' && i + 1 < s.size() && is_digit(s[i + 1])) return 0;
    return i - pos;
}

/// The bytes that glue what follows them to a word, number or dotted
/// token: digits, letters, '.', '_' and '-'. A table, as every candidate
/// digit of every reply asks.
constexpr auto glue_bytes = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
        auto const ch = static_cast<char>(c);
        t[static_cast<std::size_t>(c)] = is_digit(ch) || is_alpha(ch) || ch == '.' || ch == '_' || ch == '-';
    }
    return t;
}();

/// Not glued to a preceding word, number or dotted token.
[[gnu::always_inline]] inline bool
token_starts_at(std::string_view s, std::size_t pos) noexcept
{
    return pos == 0 || !glue_bytes[static_cast<unsigned char>(s[pos - 1])];
}

/// The positions of the bytes '2'..'5' in a text, in order: where a reply
/// code or an enhanced status can start. Replies are mostly letters and
/// these scans look for rare digits in every reply, so the bytes are tested
/// sixteen at a time where SSE2 is there (every x86-64; byte by byte
/// elsewhere) and the positions kept as a bit mask per 64 bytes: the next
/// candidate is a count of trailing zeros, not a new search.
class class_digits {
public:
    /// Reads nothing yet: the first next() loads the first block, so a
    /// parse that never asks costs nothing.
    explicit class_digits(std::string_view s) noexcept : s_(s) {}

    /// The next position, or npos when there is none.
    std::size_t next() noexcept
    {
        while (mask_ == 0) {
            if (base_ + block >= s_.size()) return npos;
            load(base_ + block);
        }
        auto const at = base_ + static_cast<std::size_t>(std::countr_zero(mask_));
        mask_ &= mask_ - 1;
        return at;
    }

private:
    static constexpr std::size_t block = 64;

    /// The mask of the 64 bytes from `from` (< s_.size()) on.
    void load(std::size_t from) noexcept
    {
        base_ = from;
        mask_ = 0;
        std::size_t const left = s_.size() - from;
        std::size_t k = 0;
#if defined(__SSE2__)
        // c in ['2', '5'] exactly when c + (0x80 - '2') wraps to -128..-125
        // as a signed byte: one add and one signed compare.
        auto const in_range = [&](std::size_t at) {
            auto const w = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s_.data() + at));
            auto const shifted = _mm_add_epi8(w, _mm_set1_epi8(static_cast<char>(0x80 - '2')));
            auto const inside = _mm_cmplt_epi8(shifted, _mm_set1_epi8(-128 + 4));
            return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(inside)));
        };
        if (left >= block) {
            // The usual case, written out: GCC compiled the loop below poorly.
            mask_ = in_range(from) | in_range(from + 16) << 16 | in_range(from + 32) << 32 |
                    in_range(from + 48) << 48;
            return;
        }
        for (; k + 16 <= left; k += 16) mask_ |= in_range(from + k) << k;
        if (k < left && s_.size() >= 16) {
            // A short last piece is read as the sixteen bytes that end the
            // text, and the bytes already seen are shifted out of its mask.
            std::size_t const at = s_.size() - 16;
            mask_ |= in_range(at) >> (from + k - at) << k;
            return;
        }
#endif
        for (; k < std::min(left, block); ++k)
            if (s_[from + k] >= '2' && s_[from + k] <= '5') mask_ |= std::uint64_t{1} << k;
    }

    std::string_view s_;
    // One block before the first (unsigned, so base_ + block wraps to 0):
    // next() then loads block 0 like any other.
    std::size_t base_ = 0 - block;
    std::uint64_t mask_ = 0;
};

struct found_at {
    std::size_t pos = npos;
    std::size_t len = 0;
};

/// The first status anywhere in `s`, preferring one of the reply code's class
/// when the text has several.
found_at
find_enhanced(std::string_view s, std::optional<int> code) noexcept
{
    found_at first;
    // A status starts with its class digit (2, 4 or 5). The digits inside a
    // status that is passed over fail token_starts_at: each follows a dot or
    // a digit.
    class_digits digits(s);
    for (std::size_t i = digits.next(); i != npos; i = digits.next()) {
        if (s[i] == '3' || !token_starts_at(s, i)) continue;
        auto const len = enhanced_at(s, i);
        if (len == 0) continue;
        if (!code || s[i] - '0' == *code / 100) return {i, len};
        if (first.pos == npos) first = {i, len};
    }
    return first;
}

/// Where a reply that follows an ESP's or MTA's own words starts: "...(state
/// 12): 550 5.1.1 ...", "... said: 550 ...", "returned '550 ...". A code
/// counts when a status of the same class follows it, or when it is
/// introduced by punctuation; a bare number inside prose ("error 255") does
/// not.
///
/// A status starts where a code can: the first one passed on the way is
/// left in `first_status`, which is find_enhanced(s, std::nullopt) when no
/// code is found (the whole text was read), so the text need not be read
/// again for it.
///
/// `digits` are the candidates of `s`; on a code, those after its first
/// digit are left for status_after_code.
found_at
find_embedded_code(std::string_view s, class_digits& digits, found_at& first_status) noexcept
{
    // A code starts with 2..5: jump from one such digit to the next.
    for (std::size_t i = digits.next(); i != npos; i = digits.next()) {
        if (!token_starts_at(s, i)) continue;
        // The byte after the first digit tells which of the two this can
        // be: a status has a dot there, a code a digit.
        if (i + 1 >= s.size()) break;
        if (s[i + 1] == '.') {
            if (first_status.pos == npos && s[i] != '3') {
                if (auto const len = enhanced_at(s, i); len > 0) first_status = {i, len};
            }
            continue;
        }
        auto const code = code_at(s, i);
        if (!code) continue;
        std::size_t const after = i + 3;
        if (after < s.size() && s[after] != ' ' && s[after] != '-') continue;

        bool strong = false;
        if (after + 1 < s.size()) {
            std::size_t j = after + 1;
            if (j < s.size() && s[j] == '#') ++j;
            strong = enhanced_at(s, j) > 0 && s[j] - '0' == *code / 100;
        }
        std::size_t k = i;
        while (k > 0 && s[k - 1] == ' ') --k;
        bool const introduced = k == 0 || std::string_view(":'\"([<>=").find(s[k - 1]) != npos;
        if (strong || introduced) return {i, 3};
    }
    return {};
}

/// What starts a line: "[#]550[-| |:] [#]5.1.1 rest" or "[#]5.1.1 rest".
struct leading_reply {
    std::optional<int> code;
    std::string_view enhanced;
    std::string_view rest;
};

[[gnu::always_inline]] inline leading_reply
read_leading(std::string_view line) noexcept
{
    leading_reply out;
    std::size_t pos = 0;
    if (pos < line.size() && line[pos] == '#') ++pos;
    // Most lines start with a word: neither a code nor a status (nor
    // qmail's '#' before a status) can start there.
    if (pos >= line.size() || ((line[pos] < '2' || line[pos] > '5') && line[pos] != '#'))
        return {.code = {}, .enhanced = {}, .rest = line};
    out.code = code_at(line, pos);
    if (out.code) {
        pos += 3;
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '-' || line[pos] == ':')) ++pos;
    }
    std::size_t status_at = pos;
    if (status_at < line.size() && line[status_at] == '#') ++status_at;
    if (auto const len = enhanced_at(line, status_at); len > 0) {
        out.enhanced = line.substr(status_at, len);
        pos = status_at + len;
    } else if (!out.code) {
        return {.code = {}, .enhanced = {}, .rest = line};
    }
    out.rest = line.substr(pos);
    return out;
}

/// Removes "Diagnostic-Code:" and the RFC 3464 diagnostic type ("smtp;",
/// "X-Postfix;") in front of the reply.
std::string_view
strip_wrappers(std::string_view s) noexcept
{
    s = trim(s);
    // Most replies start with neither wrapper: one look at the first letter.
    if (s.empty()) return s;
    if (char const first = lower(s.front()); first != 'd' && first != 's' && first != 'x') return s;
    if (starts_with_ci(s, "diagnostic-code:")) s = trim(s.substr(16));
    if (starts_with_ci(s, "smtp;") || starts_with_ci(s, "x-")) {
        auto const semi = s.find(';');
        if (semi != npos && semi <= 32) {
            bool atom = true;
            for (std::size_t i = 0; i < semi; ++i)
                atom = atom && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '_');
            if (atom) s = trim(s.substr(semi + 1));
        }
    }
    return s;
}

/// Appends `piece` to `out` with control characters turned into spaces and
/// runs of whitespace collapsed.
void
append_collapsed(std::string& out, std::string_view piece)
{
    // Written through a pointer into room made up front: the output is never
    // longer than the input, and push_back per byte cost more than the parse.
    std::size_t n = out.size();
    out.resize(n + piece.size());
    char* const data = out.data();
    char const* const src = piece.data();
    std::size_t i = 0;
    while (i < piece.size()) {
#if defined(__SSE2__)
        // Sixteen bytes at a time while none needs changing: no control
        // character and no blank after a blank (or at the start). Single
        // spaces between words, the usual text, are copied as they are; all
        // sixteen bytes are written (the output is never ahead of the input,
        // so there is room) and only the part before the first change kept.
        if (i + 16 <= piece.size()) {
            auto const w = _mm_loadu_si128(reinterpret_cast<__m128i const*>(src + i));
            auto const space = _mm_set1_epi8(' ');
            auto const at_most_space = _mm_cmpeq_epi8(_mm_min_epu8(w, space), w);  // unsigned u <= 0x20
            auto const del = _mm_cmpeq_epi8(w, _mm_set1_epi8(0x7f));
            auto const blanks = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(at_most_space, del)));
            auto const spaces = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, space)));
            unsigned const after_blank = n == 0 || data[n - 1] == ' ' ? 1u : 0u;
            auto const change = ((blanks & ~spaces) | (blanks & (blanks << 1 | after_blank))) & 0xffffu;
            _mm_storeu_si128(reinterpret_cast<__m128i*>(data + n), w);
            if (change == 0) {
                n += 16;
                i += 16;
                continue;
            }
            auto const clean = static_cast<std::size_t>(std::countr_zero(change));
            n += clean;
            i += clean;
        }
#else
        if constexpr (std::endian::native == std::endian::little) {
            // Eight bytes at a time up to the next blank: all eight are
            // copied (the output is never ahead of the input, so there is
            // room) and only the part before the blank is kept. In each
            // "has a byte below" test the lowest flagged byte is exact,
            // which is the only one used.
            if (i + 8 <= piece.size()) {
                constexpr std::uint64_t ones = 0x0101010101010101ULL;
                constexpr std::uint64_t high = ones * 0x80;
                std::uint64_t w;
                std::memcpy(&w, src + i, sizeof w);
                auto const del = w ^ (ones * 0x7f);
                auto const blanks = (((w - ones * 0x21) & ~w) | ((del - ones) & ~del)) & high;
                std::memcpy(data + n, &w, sizeof w);
                if (blanks == 0) {
                    n += 8;
                    i += 8;
                    continue;
                }
                auto const clean = static_cast<std::size_t>(std::countr_zero(blanks) / 8);
                n += clean;
                i += clean;
            }
        }
#endif
        // is_space(c), any other control character, or DEL: all whitespace
        // bytes are below 0x21, so two comparisons say it.
        char const c = src[i++];
        auto const u = static_cast<unsigned char>(c);
        bool const blank = u <= 0x20 || u == 0x7f;
        if (blank) {
            if (n != 0 && data[n - 1] != ' ') data[n++] = ' ';
        } else {
            data[n++] = c;
        }
    }
    out.resize(n);
}

/// Drops "550-5.1.1 " continuation markers that survived inside a reply that
/// was flattened onto one line ("... Please try 550-5.1.1 double-checking").
bool
is_continuation_marker(std::string_view text, std::size_t i, int code) noexcept
{
    // code_at only returns 200..599, so the first digit must be code's.
    if (text[i] != static_cast<char>('0' + code / 100)) return false;
    bool const at_word = i == 0 || text[i - 1] == ' ';
    return at_word && code_at(text, i) == code && i + 3 < text.size() && text[i + 3] == '-';
}

/// Whether drop_continuation_markers would change anything: most replies
/// have no marker, and then the copy is not needed.
bool
has_continuation_marker(std::string_view text, int code) noexcept
{
    // Only where code's first digit is can a marker start; find() jumps there.
    char const digit = static_cast<char>('0' + code / 100);
    for (auto i = text.find(digit); i != npos; i = text.find(digit, i + 1))
        if (is_continuation_marker(text, i, code)) return true;
    return false;
}

/// The status of a reply whose code (`code`) has no status of its own:
/// find_enhanced(s.substr(from), code), from the candidates at or after
/// `from` that `digits` has not given yet. False when that text may hold a
/// continuation marker (may_hold_continuation_marker), which only the
/// built text can settle. A marker starts with the code's first digit, so
/// the one walk over the candidates answers both; it goes to the end for
/// the markers even once the status is known.
///
/// The text from `from` on follows the code and its separators, and
/// read_leading found no status at `from`: the one candidate whose token
/// start differs in `s` and in the piece (at `from`, after a '-') is no
/// status either way.
bool
status_after_code(std::string_view s, std::size_t from, int code, class_digits& digits, found_at& status) noexcept
{
    char const code_class = static_cast<char>('0' + code / 100);
    found_at first;
    for (auto i = digits.next(); i != npos; i = digits.next()) {
        if (i < from) continue;
        if (s[i] == code_class && i + 3 < s.size() && s[i + 3] == '-' && code_at(s, i) == code) return false;
        if (status.pos != npos || s[i] == '3' || !token_starts_at(s, i)) continue;
        auto const len = enhanced_at(s, i);
        if (len == 0) continue;
        if (s[i] == code_class)
            status = {i, len};
        else if (first.pos == npos)
            first = {i, len};
    }
    if (status.pos == npos) status = first;
    return true;
}

std::string
drop_continuation_markers(std::string_view text, int code, std::string_view enhanced)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (is_continuation_marker(text, i, code)) {
            std::size_t j = i + 4;
            if (!enhanced.empty() && text.substr(j, enhanced.size()) == enhanced) j += enhanced.size();
            while (j < text.size() && text[j] == ' ') ++j;
            i = j;
            continue;
        }
        out.push_back(text[i]);
        ++i;
    }
    return out;
}

std::string_view
strip_leading_separators(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '-' || s.front() == ':')) s.remove_prefix(1);
    return s;
}

void
note_disagreement(smtp_reply& r) noexcept
{
    r.classes_disagree = r.code && !r.enhanced.empty() && r.enhanced[0] - '0' != *r.code / 100;
}

}  // namespace

bool
is_reply_code(int code) noexcept
{
    return code >= 200 && code <= 599;
}

bool
is_enhanced_status(std::string_view s) noexcept
{
    return !s.empty() && enhanced_at(s, 0) == s.size();
}

namespace {

/// What parse_reply found; `enhanced` points into the input or into `joined`.
struct parsed_reply {
    std::optional<int> code;
    std::string_view enhanced;
    bool anything = false;  // a code, a status or some text
};

/// The parser behind both entry points. With `build_text` it leaves the
/// reply's text, trimmed, in `joined`. Without it, `joined` is only scratch
/// space, used when the status has to be looked for in the text: the code
/// and status are decided by the first line (or the embedded reply) alone,
/// and the text is only built when neither gave a status.
parsed_reply
parse_reply(std::string_view raw, std::string& joined, bool build_text)
{
    parsed_reply out;
    std::string_view const s = strip_wrappers(raw);
    joined.clear();

    // The first line decides the shape; later lines are continuations of the
    // same reply ("550-5.1.1 ...\n550 5.1.1 ...") or wrapped text.
    // Only the text needs the line itself: the code and status read from
    // the start of `s` (which has no leading blanks) are the same, as a
    // line's end stops a code or a status just as the text's end does. So
    // the line's end is only looked for when the text is built.
    std::size_t line_end = npos;
    auto const first_line = [&] {
        line_end = s.find('\n');
        return read_leading(trim(s.substr(0, line_end)));
    };
    auto lead = build_text ? first_line() : read_leading(s);
    bool const leading_shape = lead.code || !lead.enhanced.empty();
    found_at embedded;
    found_at first_status;  // valid when no embedded code was found
    leading_reply inner;
    class_digits digits(s);  // loads nothing until asked
    if (leading_shape) {
        out.code = lead.code;
        out.enhanced = lead.enhanced;
    } else if (embedded = find_embedded_code(s, digits, first_status); embedded.pos != npos) {
        inner = read_leading(s.substr(embedded.pos));
        out.code = inner.code;
        out.enhanced = inner.enhanced;
    }

    if (!build_text) {
        if (!out.enhanced.empty()) {
            out.anything = true;
            return out;
        }
        if (!out.code) {
            // No reply shape: the text is the whole input, collapsed, and a
            // status is searched in it. Collapsing never touches digits or
            // dots and turns blanks into spaces, which end a token just the
            // same, so the input itself can be searched; and
            // find_embedded_code, which found no code, has read all of it
            // and noted the first status on its way.
            if (first_status.pos != npos) out.enhanced = s.substr(first_status.pos, first_status.len);
            out.anything = !out.enhanced.empty() ||
                           std::any_of(s.begin(), s.end(), [](char c) {
                               auto const u = static_cast<unsigned char>(c);
                               return u > 0x20 && u != 0x7f;
                           });
            return out;
        }
    }

    if (!build_text) {
        // A code without a status: the status is the first one in the text
        // after the code (preferring the code's class). When that text is
        // one piece (one line, or the rest of an embedded reply) without
        // anything that could be a continuation marker, collapsing it would
        // change no status and no token start (see above), so the piece
        // itself is searched, in `s`, and no text is built. A leading reply
        // read from `s` is the one of the first line when that is all of
        // `s` (trimmed already).
        if (leading_shape) line_end = s.find('\n');
        if (!leading_shape || line_end == npos) {
            auto const piece = strip_leading_separators(leading_shape ? lead.rest : inner.rest);
            auto const from = static_cast<std::size_t>(piece.data() - s.data());
            found_at status;
            if (status_after_code(s, from, *out.code, digits, status)) {
                if (status.pos != npos) out.enhanced = s.substr(status.pos, status.len);
                out.anything = true;
                return out;
            }
        }
        if (leading_shape) lead = first_line();
    }

    // The text is built in `joined`.
    joined.reserve(s.size());
    if (leading_shape) {
        append_collapsed(joined, strip_leading_separators(lead.rest));
        while (line_end != npos) {
            std::size_t const start = line_end + 1;
            line_end = s.find('\n', start);
            auto const line = trim(s.substr(start, line_end == npos ? npos : line_end - start));
            auto const cont = read_leading(line);
            bool const same_reply = cont.code && cont.code == out.code;
            joined.push_back(' ');
            append_collapsed(joined, same_reply ? strip_leading_separators(cont.rest) : line);
        }
    } else if (embedded.pos != npos) {
        append_collapsed(joined, strip_leading_separators(inner.rest));
    } else {
        append_collapsed(joined, s);
    }

    if (out.code && has_continuation_marker(joined, *out.code))
        joined = drop_continuation_markers(joined, *out.code, out.enhanced);
    std::size_t status_at = npos;
    if (out.enhanced.empty()) {
        // "550 sorry, no mailbox here by that name (#5.1.1 - chkusr)"
        auto const found = find_enhanced(joined, out.code);
        if (found.pos != npos) {
            status_at = found.pos;
            out.enhanced = std::string_view(joined).substr(found.pos, found.len);
        }
    }
    auto const trimmed = trim(joined);
    out.anything = out.code || !out.enhanced.empty() || !trimmed.empty();
    if (trimmed.size() != joined.size()) {
        auto const from = static_cast<std::size_t>(trimmed.data() - joined.data());
        auto const length = trimmed.size();
        joined.erase(0, from);
        joined.resize(length);
        // A status found in the text moved with it.
        if (status_at != npos) out.enhanced = std::string_view(joined).substr(status_at - from, out.enhanced.size());
    }
    return out;
}

bool
disagree(std::optional<int> code, std::string_view enhanced) noexcept
{
    return code && !enhanced.empty() && enhanced[0] - '0' != *code / 100;
}

/// A valid structured status field: trimmed, without qmail's '#'.
std::string_view
status_field(std::string_view enhanced) noexcept
{
    if (enhanced.empty()) return {};  // the usual case: only the text was given
    enhanced = trim(enhanced);
    if (!enhanced.empty() && enhanced.front() == '#') enhanced.remove_prefix(1);
    return is_enhanced_status(enhanced) ? enhanced : std::string_view{};
}

}  // namespace

smtp_reply
parse_smtp_reply(std::string_view raw)
{
    smtp_reply out;
    auto const found = parse_reply(raw, out.text, true);
    out.code = found.code;
    out.enhanced = std::string(found.enhanced);
    note_disagreement(out);
    return out;
}

smtp_reply_head
parse_smtp_reply_head(smtp_reply_fields const& fields)
{
    smtp_reply_head out;
    std::optional<int> code;
    if (fields.code && is_reply_code(*fields.code)) code = fields.code;
    auto enhanced = status_field(fields.enhanced);
    if (code && !enhanced.empty()) {
        // Both structured fields are valid and win: the text cannot change
        // the result, so it is not read.
        out.anything = true;
    } else {
        // Scratch space kept per thread: the text is only built now and
        // then, and then without an allocation.
        thread_local std::string scratch;
        auto const found = parse_reply(fields.text, scratch, false);
        if (!code) code = found.code;
        if (enhanced.empty()) enhanced = found.enhanced;
        out.anything = found.anything || code || !enhanced.empty();
    }
    out.code = code;
    out.enhanced_length = static_cast<std::uint8_t>(std::min(enhanced.size(), sizeof out.enhanced_text));
    std::copy_n(enhanced.data(), out.enhanced_length, out.enhanced_text);
    out.classes_disagree = disagree(code, out.enhanced());
    return out;
}

smtp_reply
parse_smtp_reply(smtp_reply_fields const& fields)
{
    smtp_reply out = parse_smtp_reply(fields.text);
    // Structured fields win over what the text says: they are what the ESP
    // recorded from the session, the text is often a later rewording.
    if (fields.code && is_reply_code(*fields.code)) out.code = fields.code;
    if (auto const enhanced = status_field(fields.enhanced); !enhanced.empty()) out.enhanced = std::string(enhanced);
    note_disagreement(out);
    return out;
}

}  // namespace rebound::classify
