// Shared JSON reading helpers for providers, on top of simdjson.
//
// Why this exists: every ESP has the same traps. Batches are arrays or single
// objects, ids above 2^53 appear, timestamps arrive as seconds, milliseconds,
// fractional seconds, numeric strings or ISO-8601, and each stored event must
// keep its own raw JSON. Solving them once here keeps each provider short.
//
// Integers are never passed through double: they are read exactly with
// get_int64/get_uint64. Fractional timestamps only exist as doubles in the
// DOM and are read from the shortest decimal that gives the same double,
// which is the sender's own digits.
#pragma once

#include "model/event.hpp"

#include <simdjson.h>

#include <boost/system/result.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rebound::providers::json {

/// The body copied into simdjson's padded buffer. Slices handed out by
/// split_parsed_events point into it, so it must outlive them.
///
/// The parsers and the buffer are this thread's, borrowed for the
/// document's lifetime: a parser sizes its buffers to the largest body it
/// has seen, and allocating (and page-faulting) them, or a 50 kB copy of
/// the body, afresh for every request cost more than parsing a batch. A
/// document made while another is alive on the same thread gets a set of
/// its own.
///
/// The buffer is also what kept events' raw_json views (share()): once
/// shared it is never written again, and the next body gets a new one.
class document {
public:
    document();
    ~document();
    document(document const&) = delete;
    document& operator=(document const&) = delete;

    /// Copies `body` into the buffer, followed by SIMDJSON_PADDING bytes
    /// that simdjson may read; returns the copy, which `buffer` then views.
    std::string_view load(std::string_view body);

    /// `part` of the loaded text (a slice of `buffer`) as text that outlives
    /// this document, without copying it: the buffer becomes shared.
    model::shared_text share(std::string_view part);

    std::string_view buffer;
    simdjson::dom::parser& parser;
    simdjson::ondemand::parser& splitter;

    struct parsers;

private:
    struct handle {
        parsers* p;
        bool owned;
    };
    explicit document(handle h);

    parsers* borrowed_;
    bool owned_;
};

enum class shape { array_only, object_only, array_or_object };

/// One top-level event: its exact bytes and its parsed form.
struct event_slice {
    std::string_view raw;
    simdjson::dom::element element;
};

/// Splits a body into its top-level events: the elements of an array, or the
/// object itself, each with its exact bytes and its parsed form, from one
/// validating pass over the whole body, so providers need not parse every
/// slice a second time. The elements live in `doc.parser`: valid until the
/// next parse on it. Fails with errc::malformed_body when the body is not
/// JSON or has the wrong shape, errc::too_many_events beyond `max_events`.
boost::system::result<std::vector<event_slice>>
split_parsed_events(document& doc, std::string_view body, shape allowed, std::size_t max_events);

/// The body as one JSON object: its exact bytes and its parsed form, from
/// the one validating pass (for the ESPs that post one event per request).
/// Fails with errc::malformed_body when it is not JSON or not an object.
boost::system::result<event_slice> parse_object(document& doc, std::string_view body);

/// Parses standalone JSON text (e.g. SNS's Message string) with its own padding.
simdjson::simdjson_result<simdjson::dom::element>
parse_text(simdjson::dom::parser& parser, simdjson::padded_string& holder, std::string_view text);

/// The string value at `key`, or "" when missing or not a string.
std::string_view str(simdjson::dom::element obj, std::string_view key) noexcept;

/// The value itself when it is a string, else "".
std::string_view str(simdjson::dom::element v) noexcept;

/// A scalar as text: strings as-is, integers in decimal, booleans as
/// "true"/"false". Used for ids, which some ESPs send as numbers.
std::optional<std::string> scalar_text(simdjson::dom::element v);
std::optional<std::string> scalar_text(simdjson::dom::element obj, std::string_view key);

/// An integer from a number or a numeric string ("5", "550").
std::optional<std::int64_t> int_value(simdjson::dom::element v) noexcept;
std::optional<std::int64_t> int_field(simdjson::dom::element obj, std::string_view key) noexcept;

/// A boolean from true/false, 1/0 or "true"/"false".
std::optional<bool> bool_field(simdjson::dom::element obj, std::string_view key) noexcept;

/// Unix time in seconds, milliseconds (detected by magnitude) or fractional
/// seconds, from a number or numeric string, exact to the microsecond (see
/// epoch_from_double).
std::optional<model::unix_micros>
epoch_field(simdjson::dom::element obj, std::string_view key);

/// epoch_field for a value already in hand.
std::optional<model::unix_micros> epoch_value(simdjson::dom::element v);

/// Unix time from a JSON number that was not an integer: seconds (or,
/// above 1e11, milliseconds), to the microsecond the sender wrote.
std::optional<model::unix_micros> epoch_from_double(double seconds) noexcept;

/// "2024-01-02T03:04:05.123+09:00", "...Z", "2024-01-02 03:04:05" (then
/// `default_offset_minutes` applies, for ESPs that send local time).
std::optional<model::unix_micros>
parse_iso8601(std::string_view text, int default_offset_minutes = 0) noexcept;

/// Whole seconds (or, above 1e11, milliseconds) to microseconds; nullopt
/// for negative or implausible values.
std::optional<model::unix_micros> epoch_from_integer(std::int64_t whole) noexcept;

/// Seconds text such as "1521472262.908181" or "1700000000" to microseconds,
/// exactly. Values above 1e11 are taken as milliseconds.
std::optional<model::unix_micros> parse_epoch_text(std::string_view text) noexcept;

/// Compact JSON for an element (used when a nested value must be kept).
std::string minified(simdjson::dom::element v);

// --- Wrapped batches, custom data, SMTP text, derived ids -------------------
// Shared by the ESPs that wrap their events in an envelope (CMC, blastengine),
// keep custom data as JSON inside a string (Mailjet, Brevo, CMC), or send no
// event id at all.

/// Like split_parsed_events, for the array at `pointer` (RFC 6901, e.g.
/// "/events") inside the body, with the same lifetime. Fails with
/// errc::malformed_body when the body is not JSON or holds no array there,
/// errc::too_many_events beyond `max_events`.
boost::system::result<std::vector<event_slice>>
split_parsed_events_at(document& doc, std::string_view body, std::string_view pointer, std::size_t max_events);

/// The custom variable `field` inside obj[key], where obj[key] is either an
/// object or a string that holds a JSON object (Mailjet `Payload`, Brevo
/// `X-Mailin-custom`, CMC `apiData`). Empty when absent or not a scalar.
std::string custom_var(simdjson::dom::element obj, std::string_view key, std::string_view field);

/// The SMTP reply code that opens a diagnostic ("550 5.1.1 ...", "554(errors)")
/// or its first parenthesised part ("sent (250 2.0.0 OK ...)"), if any. The
/// classifier reads the text fully; this only fills the column.
std::optional<int> reply_code_in(std::string_view text) noexcept;

/// The RFC 3463 status right after that reply code ("550 5.1.1", "550-5.1.1")
/// or opening the text ("5.1.1 ..."); "" when there is none. Looking only
/// there keeps IP addresses and version numbers out.
std::string_view enhanced_status_in(std::string_view text) noexcept;

/// "sha256:" + SHA-256 over the parts, each length-prefixed so no two lists
/// share a key. For ESPs without an event id: fed with the fields an ESP
/// repeats verbatim on retry, it yields the same key for the same event.
std::string derived_event_id(std::initializer_list<std::string_view> parts);

}  // namespace rebound::providers::json
