// COPY text formatting of the ingest rows (see copy_rows.hpp).
#include "store/copy_rows.hpp"

#include <bit>
#include <charconv>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rebound::store {

namespace {

template <class Int>
void
append_int(std::string& out, Int v)
{
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

bool
needs_escape(char c) noexcept
{
    return static_cast<unsigned char>(c) < 0x20 || c == '\\';
}

/// How many bytes at the start of `s` need no escaping, sixteen at a time:
/// every event's raw JSON (about 500 bytes) passes through here, and byte
/// by byte it was the writer's largest cost after malloc. Escapes are rare
/// (a quoted word in a diagnostic, "\/" in a URL), so the runs between
/// them are long.
std::size_t
plain_prefix(std::string_view s) noexcept
{
    std::size_t i = 0;
#if defined(__SSE2__)
    __m128i const control_max = _mm_set1_epi8(0x1f);
    __m128i const backslash = _mm_set1_epi8('\\');
    for (; i + 16 <= s.size(); i += 16) {
        __m128i const bytes = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s.data() + i));
        // max(b, 0x1f) == 0x1f exactly when b <= 0x1f, unsigned.
        __m128i const control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_max), control_max);
        auto const found =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(bytes, backslash))));
        if (found != 0) return i + static_cast<std::size_t>(std::countr_zero(found));
    }
#endif
    while (i < s.size() && !needs_escape(s[i])) ++i;
    return i;
}

}  // namespace

std::vector<std::string> const&
staging_columns()
{
    static std::vector<std::string> const columns{
        "seq", "provider", "source", "provider_event_id", "event_type", "recipient", "recipient_domain",
        "occurred_us", "smtp_code", "enhanced_status", "diagnostic", "esp_message_id", "esp_class", "esp_type",
        "remote_mta", "user_ref", "reason", "severity", "classifier_version", "raw"};
    return columns;
}

std::vector<std::string> const&
rejected_columns()
{
    static std::vector<std::string> const columns{"provider", "source", "why", "raw"};
    return columns;
}

void
append_copy_text(std::string& out, std::string_view s)
{
    while (!s.empty()) {
        auto const run = plain_prefix(s);
        out.append(s.data(), run);
        if (run == s.size()) return;
        switch (s[run]) {
        case '\0': break;
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\v': out += "\\v"; break;
        default: out.push_back(s[run]);  // other control characters pass as they are
        }
        s.remove_prefix(run + 1);
    }
}

void
append_staging_row(std::string& out, model::normalized_event const& e, int seq)
{
    auto col = [&](std::string_view s) {
        append_copy_text(out, s);
        out.push_back('\t');
    };
    append_int(out, seq);
    out.push_back('\t');
    col(e.provider);
    col(e.source);
    col(e.provider_event_id);
    col(model::to_string(e.type));
    col(e.recipient);
    col(e.recipient_domain);
    append_int(out, e.occurred_at);
    out.push_back('\t');
    if (e.smtp_code) append_int(out, *e.smtp_code);
    out.push_back('\t');
    col(e.enhanced_status);
    col(e.diagnostic);
    col(e.esp_message_id);
    col(e.esp_class);
    col(e.esp_type);
    col(e.remote_mta);
    col(e.user_ref);
    col(e.reason);
    col(e.sev == model::severity::none ? std::string_view{} : model::to_string(e.sev));
    append_int(out, e.classifier_version);
    out.push_back('\t');
    append_copy_text(out, e.raw_json);
}

void
append_rejected_row(std::string& out, model::rejected_event const& r)
{
    append_copy_text(out, r.provider);
    out.push_back('\t');
    append_copy_text(out, r.source);
    out.push_back('\t');
    append_copy_text(out, r.why);
    out.push_back('\t');
    append_copy_text(out, r.raw_json);
}

}  // namespace rebound::store
