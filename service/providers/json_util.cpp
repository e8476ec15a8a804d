// Shared JSON reading helpers for providers (see json_util.hpp for why).
#include "providers/json_util.hpp"

#include "providers/provider.hpp"
#include "verify/verify.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>

namespace rebound::providers::json {

namespace dom = simdjson::dom;

namespace {

/// The exact bytes of one array element. simdjson 3.0 offers raw_json() on
/// objects and arrays and raw_json_token() on scalars.
simdjson::simdjson_result<std::string_view>
raw_of(simdjson::ondemand::value& value)
{
    simdjson::ondemand::json_type type;
    if (auto err = value.type().get(type)) return err;
    if (type == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object obj;
        if (auto err = value.get_object().get(obj)) return err;
        return obj.raw_json();
    }
    if (type == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array arr;
        if (auto err = value.get_array().get(arr)) return err;
        return arr.raw_json();
    }
    std::string_view token = value.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' || token.back() == '\t'))
        token.remove_suffix(1);
    return token;
}

}  // namespace

struct document::parsers {
    simdjson::dom::parser dom;
    simdjson::ondemand::parser ondemand;
    std::shared_ptr<char[]> storage;  // the last body, then its padding
    std::size_t capacity = 0;         // bytes in storage, padding included
    bool shared = false;              // events view storage: never write it again
    bool in_use = false;
};

namespace {

document::parsers*
this_threads_parsers()
{
    thread_local document::parsers mine;
    return &mine;
}

}  // namespace

document::document()
    : document([] {
          auto* const mine = this_threads_parsers();
          if (mine->in_use) return handle{new parsers, true};  // nested: a set of its own
          mine->in_use = true;
          return handle{mine, false};
      }())
{}

document::document(handle h) : parser(h.p->dom), splitter(h.p->ondemand), borrowed_(h.p), owned_(h.owned) {}

std::string_view
document::load(std::string_view body)
{
    auto& p = *borrowed_;
    std::size_t const needed = body.size() + simdjson::SIMDJSON_PADDING;
    if (p.shared) {
        // Kept events own the old buffer now; it goes when the last of them does.
        p.storage = std::make_shared_for_overwrite<char[]>(needed);
        p.capacity = needed;
        p.shared = false;
    } else if (p.capacity < needed) {
        // Grows by half again so a run of slightly larger bodies does not
        // reallocate each time; never shrinks (max_body bounds it).
        p.capacity = std::max(needed, p.capacity + p.capacity / 2);
        p.storage = std::make_shared_for_overwrite<char[]>(p.capacity);
    }
    std::memcpy(p.storage.get(), body.data(), body.size());
    // simdjson reads, but never uses, the padding: zeroing it keeps
    // sanitizers and valgrind quiet about uninitialised bytes.
    std::memset(p.storage.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    buffer = {p.storage.get(), body.size()};
    return buffer;
}

model::shared_text
document::share(std::string_view part)
{
    auto& p = *borrowed_;
    // Unsigned, so a part before the buffer wraps around and fails too.
    auto const at = reinterpret_cast<std::uintptr_t>(part.data()) - reinterpret_cast<std::uintptr_t>(buffer.data());
    if (at > buffer.size() || part.size() > buffer.size() - at) return model::shared_text{part};  // not ours: a copy
    p.shared = true;
    return {p.storage, part};
}

document::~document()
{
    if (owned_)
        delete borrowed_;
    else
        borrowed_->in_use = false;
}

namespace {

bool
blank(char c) noexcept
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/// +1 for an opening bracket, -1 for a closing one, 0 for any other byte.
constexpr std::array<std::int8_t, 256> nesting = [] {
    std::array<std::int8_t, 256> t{};
    t['{'] = t['['] = 1;
    t['}'] = t[']'] = -1;
    return t;
}();

/// The exact bytes of each element of the top-level array, from the
/// positions simdjson's first stage found while the DOM was parsed: every
/// bracket, brace, comma and colon, and the first byte of every string,
/// number and literal. Walking those (about fifty for a SendGrid event)
/// replaced a byte scan of the validated text that skipped strings sixteen
/// bytes at a time and cost three times as much. `structural_indexes` is a
/// public member of simdjson 3.0's parser that the library's own document
/// streams read; the property test in batch_test compares the slices with
/// on-demand's raw_json() on generated bodies.
std::vector<std::string_view>
array_elements(std::string_view text, simdjson::dom::parser const& parser)
{
    std::vector<std::string_view> out;
    auto const& stage1 = *parser.implementation;
    std::uint32_t const* const at = stage1.structural_indexes.get();
    std::uint32_t const count = stage1.n_structural_indexes;
    // at[0] is the array's '['.
    std::uint32_t j = 1;
    while (j < count && text[at[j]] != ']') {
        std::size_t const start = at[j];
        // depth counts the brackets open inside the element; the element
        // ends at a ',' outside them or at the array's own ']' (depth -1).
        // A table instead of a chain of comparisons: this loop visits
        // every structural of the body.
        int depth = 0;
        for (; j < count; ++j) {
            auto const c = static_cast<unsigned char>(text[at[j]]);
            if (c == ',' && depth == 0) break;
            depth += nesting[c];
            if (depth < 0) break;
        }
        // Objects and arrays keep the blanks after them and scalars do not,
        // as the on-demand splitter this replaced gave them: ids derived
        // from an event's bytes must not change under a retry.
        if (j == count) break;  // cannot happen in a body the DOM validated
        std::size_t end = at[j];
        if (text[start] != '{' && text[start] != '[')
            while (end > start && blank(text[end - 1])) --end;
        out.push_back(text.substr(start, end - start));
        if (text[at[j]] == ',') ++j;
    }
    return out;
}

/// The slices of split_parsed_events, and the validated DOM root they lie in.
boost::system::result<std::vector<std::string_view>>
split(document& doc, std::string_view body, shape allowed, dom::element& dom_root)
{
    auto const text = doc.load(body);
    // One validating DOM pass over the whole body refuses truncated or
    // trailing-garbage bodies up front; the slices come from a scan of the
    // validated text.
    if (doc.parser.parse(text.data(), text.size(), false).get(dom_root)) return errc::malformed_body;

    std::size_t first = 0;
    while (first < text.size() && blank(text[first])) ++first;
    if (dom_root.is_array()) {
        if (allowed == shape::object_only) return errc::malformed_body;
        return array_elements(text, doc.parser);
    }
    if (dom_root.is_object()) {
        if (allowed == shape::array_only) return errc::malformed_body;
        // To the end of the body, blanks included, as on-demand gave it.
        return std::vector<std::string_view>{text.substr(first)};
    }
    return errc::malformed_body;
}

}  // namespace

boost::system::result<std::vector<event_slice>>
split_parsed_events(document& doc, std::string_view body, shape allowed, std::size_t max_events)
{
    dom::element root;
    auto slices = split(doc, body, allowed, root);
    if (!slices) return slices.error();
    if (slices->size() > max_events) return errc::too_many_events;

    // split ended with a validating DOM pass over the whole body: its
    // elements are the events, in the same order as the slices.
    std::vector<event_slice> out;
    out.reserve(slices->size());
    if (dom::array events; !root.get_array().get(events)) {
        std::size_t i = 0;
        for (dom::element e : events) {
            if (i >= slices->size()) return errc::malformed_body;
            out.push_back({(*slices)[i++], e});
        }
        if (i != slices->size()) return errc::malformed_body;
    } else {
        out.push_back({slices->front(), root});
    }
    return out;
}

boost::system::result<event_slice>
parse_object(document& doc, std::string_view body)
{
    dom::element root;
    auto slices = split(doc, body, shape::object_only, root);
    if (!slices) return slices.error();
    return event_slice{slices->front(), root};
}

simdjson::simdjson_result<dom::element>
parse_text(dom::parser& parser, simdjson::padded_string& holder, std::string_view text)
{
    holder = simdjson::padded_string(text);
    return parser.parse(holder);
}

std::string_view
str(dom::element obj, std::string_view key) noexcept
{
    std::string_view out;
    if (obj[key].get_string().get(out)) return {};
    return out;
}

std::string_view
str(dom::element v) noexcept
{
    std::string_view out;
    if (v.get_string().get(out)) return {};
    return out;
}

std::optional<std::string>
scalar_text(dom::element v)
{
    switch (v.type()) {
    case dom::element_type::STRING: return std::string(v.get_string().value_unsafe());
    case dom::element_type::INT64: return std::to_string(v.get_int64().value_unsafe());
    case dom::element_type::UINT64: return std::to_string(v.get_uint64().value_unsafe());
    case dom::element_type::BOOL: return v.get_bool().value_unsafe() ? "true" : "false";
    default: return std::nullopt;
    }
}

std::optional<std::string>
scalar_text(dom::element obj, std::string_view key)
{
    dom::element v;
    if (obj[key].get(v)) return std::nullopt;
    return scalar_text(v);
}

namespace {

std::optional<std::int64_t>
int_from_text(std::string_view s) noexcept
{
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::int64_t v = 0;
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::int64_t>
int_value(dom::element v) noexcept
{
    switch (v.type()) {
    case dom::element_type::INT64: return v.get_int64().value_unsafe();
    case dom::element_type::UINT64: {
        auto const u = v.get_uint64().value_unsafe();
        if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(u);
    }
    case dom::element_type::STRING: return int_from_text(v.get_string().value_unsafe());
    default: return std::nullopt;
    }
}

std::optional<std::int64_t>
int_field(dom::element obj, std::string_view key) noexcept
{
    dom::element v;
    if (obj[key].get(v)) return std::nullopt;
    return int_value(v);
}

std::optional<bool>
bool_field(dom::element obj, std::string_view key) noexcept
{
    dom::element v;
    if (obj[key].get(v)) return std::nullopt;
    switch (v.type()) {
    case dom::element_type::BOOL: return v.get_bool().value_unsafe();
    case dom::element_type::INT64: return v.get_int64().value_unsafe() != 0;
    case dom::element_type::UINT64: return v.get_uint64().value_unsafe() != 0;
    case dom::element_type::STRING: {
        auto const s = v.get_string().value_unsafe();
        if (s == "true" || s == "1" || s == "True") return true;
        if (s == "false" || s == "0" || s == "False") return false;
        return std::nullopt;
    }
    default: return std::nullopt;
    }
}

std::optional<model::unix_micros>
parse_epoch_text(std::string_view s) noexcept
{
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (s.empty() || s.size() > 32) return std::nullopt;

    auto const dot = s.find('.');
    auto const whole = int_from_text(s.substr(0, dot));
    if (!whole || *whole < 0) return std::nullopt;

    std::int64_t micros = 0;
    if (dot != std::string_view::npos) {
        auto frac = s.substr(dot + 1);
        if (frac.empty()) return std::nullopt;
        std::int64_t scale = 100000;
        for (char c : frac) {
            if (c < '0' || c > '9') return std::nullopt;
            micros += (c - '0') * scale;  // digits past the sixth are dropped, not rounded
            scale /= 10;
        }
    }

    auto const at = epoch_from_integer(*whole);
    if (!at) return std::nullopt;
    return *whole > 100'000'000'000LL ? *at + micros / 1000 : *at + micros;
}

std::optional<model::unix_micros>
epoch_from_integer(std::int64_t whole) noexcept
{
    if (whole < 0) return std::nullopt;
    // Above 1e11 seconds is year 5138: such values are milliseconds (Brevo
    // ts_epoch, one SendGrid doc example).
    if (whole > 100'000'000'000LL) {
        if (whole > 100'000'000'000'000LL) return std::nullopt;  // not a plausible ms value either
        return whole * 1000;
    }
    return whole * 1'000'000;
}

std::optional<model::unix_micros>
epoch_from_double(double d) noexcept
{
    // The DOM keeps only the double, not the sender's digits. The shortest
    // decimal that reads back as the same double is those digits (a double
    // near 1.7e9 has about 16 of them, more than a microsecond needs), and
    // it is then read like a numeric string: exact to the microsecond,
    // digits past the sixth dropped. Printing with simdjson::to_string, as
    // before, was not always the shortest form ("...123455999" for
    // "...123456") and lost a microsecond about once in 2400 values.
    char text[64];
    auto const [end, ec] = std::to_chars(text, text + sizeof text, d, std::chars_format::fixed);
    if (ec != std::errc{}) return std::nullopt;
    return parse_epoch_text(std::string_view(text, static_cast<std::size_t>(end - text)));
}

std::optional<model::unix_micros>
epoch_field(dom::element obj, std::string_view key)
{
    dom::element v;
    if (obj[key].get(v)) return std::nullopt;
    return epoch_value(v);
}

std::optional<model::unix_micros>
epoch_value(dom::element v)
{
    switch (v.type()) {
    case dom::element_type::INT64:
    case dom::element_type::UINT64: {
        auto const n = int_value(v);
        if (!n) return std::nullopt;
        return epoch_from_integer(*n);
    }
    case dom::element_type::DOUBLE: return epoch_from_double(v.get_double().value_unsafe());
    case dom::element_type::STRING: {
        auto const s = v.get_string().value_unsafe();
        if (auto const t = parse_epoch_text(s)) return t;
        return parse_iso8601(s);
    }
    default: return std::nullopt;
    }
}

namespace {

bool
digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept
{
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::optional<model::unix_micros>
parse_iso8601(std::string_view s, int default_offset_minutes) noexcept
{
    // YYYY-MM-DD[T ]HH:MM:SS[.f+][Z|±HH:MM|±HHMM]
    int y, mo, d, h, mi, sec;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || !digits(s, 11, 2, h) ||
        s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;

    std::size_t pos = 19;
    std::int64_t micros = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        std::int64_t scale = 100000;
        std::size_t const start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            micros += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }

    int offset_minutes = default_offset_minutes;
    if (pos < s.size()) {
        char const c = s[pos];
        if (c == 'Z' || c == 'z') {
            offset_minutes = 0;
            ++pos;
        } else if (c == '+' || c == '-') {
            int oh, om = 0;
            if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
            std::size_t next = pos + 3;
            if (next < s.size() && s[next] == ':') ++next;
            if (next < s.size()) {
                if (!digits(s, next, 2, om)) return std::nullopt;
                next += 2;
            }
            offset_minutes = (oh * 60 + om) * (c == '-' ? -1 : 1);
            pos = next;
        }
    }
    if (pos != s.size()) return std::nullopt;

    using namespace std::chrono;
    year_month_day const ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    auto const days = sys_days{ymd}.time_since_epoch().count();
    std::int64_t const secs = days * 86400LL + h * 3600LL + mi * 60LL + sec - offset_minutes * 60LL;
    return secs * 1'000'000 + micros;
}

std::string
minified(dom::element v)
{
    return simdjson::minify(v);
}

namespace {

/// The slices of split_parsed_events_at, and the validated DOM root.
boost::system::result<std::vector<std::string_view>>
split_at(document& doc, std::string_view body, std::string_view pointer, dom::element& dom_root)
{
    doc.load(body);

    auto& od = doc.splitter;
    simdjson::ondemand::document root;
    simdjson::ondemand::array arr;
    if (od.iterate(doc.buffer.data(), doc.buffer.size(), doc.buffer.size() + simdjson::SIMDJSON_PADDING).get(root) || root.at_pointer(pointer).get_array().get(arr)) return errc::malformed_body;

    std::vector<std::string_view> out;
    for (auto element : arr) {
        simdjson::ondemand::value value;
        std::string_view raw;
        if (element.get(value) || raw_of(value).get(raw)) return errc::malformed_body;
        out.push_back(raw);
    }

    // As in split: on-demand only read up to the array, so the whole
    // body still needs one validating pass.
    if (doc.parser.parse(doc.buffer.data(), doc.buffer.size(), false).get(dom_root)) return errc::malformed_body;
    return out;
}

/// Whether the DOM finds the same array at `pointer` as on-demand did.
/// On-demand compares keys by their raw bytes, the DOM by their unescaped
/// text, and the two read ~-escapes and index tokens by rules of their own;
/// with no backslash in the body and only plain names in the pointer they
/// cannot disagree.
bool
dom_agrees(std::string_view body, std::string_view pointer) noexcept
{
    if (body.find('\\') != std::string_view::npos || pointer.size() < 2 || pointer.front() != '/') return false;
    char prev = '\0';
    for (char const c : pointer) {
        bool const name_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!name_char && c != '/') return false;
        if (c == '/' && prev == '/') return false;  // an empty token
        prev = c;
    }
    return pointer.back() != '/';
}

/// The array that holds `slices`, parsed on its own: its bytes run from the
/// '[' before the first slice to the ']' after the last, with only
/// whitespace in between, as the body was validated.
simdjson::simdjson_result<dom::element>
parse_enclosing_array(document& doc, std::vector<std::string_view> const& slices)
{
    auto const* const begin = doc.buffer.data();
    auto const* const end = begin + doc.buffer.size();
    auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    auto const* first = slices.front().data();
    auto const* last = slices.back().data() + slices.back().size();
    do --first;
    while (first > begin && blank(*first));
    while (last < end && blank(*last)) ++last;
    if (first < begin || *first != '[' || last == end || *last != ']') return simdjson::TAPE_ERROR;
    // Inside doc.buffer, whose padding follows its end: safe without a copy.
    return doc.parser.parse(first, static_cast<std::size_t>(last + 1 - first), false);
}

}  // namespace

boost::system::result<std::vector<event_slice>>
split_parsed_events_at(document& doc, std::string_view body, std::string_view pointer, std::size_t max_events)
{
    dom::element root;
    auto slices = split_at(doc, body, pointer, root);
    if (!slices) return slices.error();
    if (slices->size() > max_events) return errc::too_many_events;

    std::vector<event_slice> out;
    if (slices->empty()) return out;
    out.reserve(slices->size());

    // The validating pass already holds the events when the DOM surely
    // finds the same array; otherwise the array on-demand found is parsed
    // alone (the whole body is still only read twice, as before).
    dom::array events;
    bool const reuse = dom_agrees(body, pointer) && !root.at_pointer(pointer).get_array().get(events) &&
                       events.size() == slices->size();
    if (!reuse) {
        dom::element array;
        if (parse_enclosing_array(doc, *slices).get(array) || array.get_array().get(events) ||
            events.size() != slices->size())
            return errc::malformed_body;
    }
    std::size_t i = 0;
    for (dom::element e : events) out.push_back({(*slices)[i++], e});
    return out;
}

std::string
custom_var(dom::element obj, std::string_view key, std::string_view field)
{
    dom::element holder;
    if (obj[key].get(holder)) return {};
    if (holder.is_object()) return scalar_text(holder, field).value_or("");

    // Only a string that opens like an object is parsed: plain strings (a
    // campaign name, "") are common custom data and not an error.
    std::string_view text;
    if (holder.get_string().get(text)) return {};
    auto const first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '{') return {};

    // A parser of its own: `obj` lives in the caller's parser.
    dom::parser parser;
    simdjson::padded_string padded;
    dom::element inner;
    if (parse_text(parser, padded, text).get(inner) || !inner.is_object()) return {};
    return scalar_text(inner, field).value_or("");
}

namespace {

bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

std::string_view
skip_blanks(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

/// A reply code (2xx-5xx) at the very start of `s`, standing alone.
bool
reply_code_at(std::string_view s) noexcept
{
    if (s.size() < 3 || s[0] < '2' || s[0] > '5' || !is_digit(s[1]) || !is_digit(s[2])) return false;
    return s.size() == 3 || (!is_digit(s[3]) && s[3] != '.');
}

/// Where reply_code_in finds its code, or npos.
std::size_t
reply_code_pos(std::string_view text) noexcept
{
    auto const lead = skip_blanks(text);
    if (reply_code_at(lead)) return text.size() - lead.size();
    auto const open = text.find('(');
    if (open == std::string_view::npos) return std::string_view::npos;
    auto const inner = skip_blanks(text.substr(open + 1));
    return reply_code_at(inner) ? text.size() - inner.size() : std::string_view::npos;
}

/// "5.1.1" (class 2, 4 or 5, then 1-3 and 1-3 digits) at the start of `s`.
std::string_view
status_at(std::string_view s) noexcept
{
    if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return {};
    std::size_t pos = 2;
    for (int part = 0; part < 2; ++part) {
        std::size_t const start = pos;
        while (pos < s.size() && is_digit(s[pos]) && pos - start < 3) ++pos;
        if (pos == start) return {};
        if (part == 0) {
            if (pos >= s.size() || s[pos] != '.') return {};
            ++pos;
        }
    }
    if (pos < s.size() && (is_digit(s[pos]) || s[pos] == '.')) return {};
    return s.substr(0, pos);
}

}  // namespace

std::optional<int>
reply_code_in(std::string_view text) noexcept
{
    auto const pos = reply_code_pos(text);
    if (pos == std::string_view::npos) return std::nullopt;
    return (text[pos] - '0') * 100 + (text[pos + 1] - '0') * 10 + (text[pos + 2] - '0');
}

std::string_view
enhanced_status_in(std::string_view text) noexcept
{
    auto const pos = reply_code_pos(text);
    if (pos == std::string_view::npos) return status_at(skip_blanks(text));
    auto rest = text.substr(pos + 3);
    if (!rest.empty() && rest.front() == '-') rest.remove_prefix(1);  // multi-line reply "550-5.1.1"
    return status_at(skip_blanks(rest));
}

std::string
derived_event_id(std::initializer_list<std::string_view> parts)
{
    std::string canonical;
    for (auto const part : parts) canonical.append(std::to_string(part.size())).append(1, ':').append(part);
    return "sha256:" + verify::sha256_hex(canonical);
}

}  // namespace rebound::providers::json
