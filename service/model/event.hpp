// The normalised event model that every provider maps onto.
//
// One ESP webhook body becomes zero or more `normalized_event`s (stored) and
// `rejected_event`s (valid JSON we could not normalise, kept raw with the reason).
// Everything downstream (store, classifier, queries) only ever sees these types,
// which is what lets a new ESP be added as one file plus one registry line.
#pragma once

#include "model/shared_text.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rebound::model {

/// The common event vocabulary. Engagement events (open, click, ...) are not
/// part of it: providers count them as "ignored" and never emit them.
enum class event_type : std::uint8_t {
    deferred,   // temporary failure, the ESP will retry (or gave up softly)
    bounce,     // the receiving side refused the message for good
    block,      // refused because of the sender (reputation, policy, content)
    drop,       // the ESP itself did not attempt delivery (suppressed, invalid)
    delivered,
    complaint,
};

/// Hard means the address itself is dead; soft means it may work later.
/// `none` is for events where the question does not apply (delivered, complaint, drop).
enum class severity : std::uint8_t { none, soft, hard };

std::string_view to_string(event_type t) noexcept;
std::string_view to_string(severity s) noexcept;
std::optional<event_type> parse_event_type(std::string_view s) noexcept;
std::optional<severity> parse_severity(std::string_view s) noexcept;

/// Microseconds since the Unix epoch, UTC. Microseconds because Mailgun and
/// Postmark send sub-second timestamps and ordering within a second matters for
/// streaks.
using unix_micros = std::int64_t;

/// The texts that are long and many (ids, addresses, SMTP replies, the raw
/// JSON) are shared_texts, which a provider fills from its request's
/// text_arena; the short ones (types, statuses, reasons) fit std::string's
/// inline buffer.
struct normalized_event {
    std::string provider;           // registry name, e.g. "sendgrid"
    std::string source;             // account label from /v1/webhooks/{provider}/{source}; "" = default
    shared_text provider_event_id;  // the ESP's own id, or a stable derived key (see providers.md)
    event_type type = event_type::deferred;
    shared_text recipient;          // lower-cased address
    shared_text recipient_domain;   // the part after the last '@'
    unix_micros occurred_at = 0;
    std::optional<int> smtp_code;   // e.g. 550
    std::string enhanced_status;    // RFC 3463, e.g. "5.1.1"
    shared_text diagnostic;         // the remote server's text as the ESP forwarded it
    shared_text esp_message_id;
    std::string esp_class;          // ESP classification: bounce_classification, bounceSubType, bounce_class...
    std::string esp_type;           // ESP sub-type: SendGrid `type`, SES bounceType, Mailgun severity...
    std::string remote_mta;         // receiving host, when the ESP says
    std::string user_ref;           // the app's user id, from the configured custom argument
    shared_text raw_json;           // this one event, verbatim, never the whole batch

    // Filled by the classifier before storage.
    std::string reason;             // taxonomy reason, e.g. "userunknown"; "" = not classified
    severity sev = severity::none;
    int classifier_version = 0;
};

/// Valid JSON that could not be normalised. Kept verbatim so nothing is lost.
struct rejected_event {
    std::string provider;
    std::string source;
    std::string why;       // short machine-readable reason, e.g. "missing_recipient"
    std::string raw_json;
};

/// Lower-cases ASCII in place; addresses are compared case-insensitively.
void ascii_lower(std::string& s) noexcept;

/// "User@Example.COM" -> {"user@example.com", "example.com"}. Returns false,
/// with `address` empty, when the text cannot be an address (no '@', empty
/// local or domain part, blanks or control characters inside).
bool normalize_address(std::string_view in, std::string& address, std::string& domain);

/// The same, for an event: the address is written into `text` and the
/// domain shares it. On false both are left empty.
bool normalize_address(std::string_view in, text_arena& text, shared_text& address, shared_text& domain);

}  // namespace rebound::model
