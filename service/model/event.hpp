// The normalised event model that every provider maps onto.
//
// One ESP webhook body becomes zero or more `normalized_event`s (stored) and
// `rejected_event`s (valid JSON we could not normalise, kept raw with the reason).
// Everything downstream (store, classifier, queries) only ever sees these types,
// which is what lets a new ESP be added as one file plus one registry line.
#pragma once

#include <cstdint>
#include <memory>
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

/// Text that many events may share: each event of a batch keeps its own
/// bytes verbatim, and giving every one of them a copy (a heap block and a
/// memcpy of ~500 bytes per SendGrid event, freed again on another thread
/// after the commit) cost about a seventh of parse + classify. So the
/// events of one request view the one copy of its body that was parsed,
/// which lives as long as the last of them. Built from a plain string it
/// owns a copy of its own.
class shared_text {
public:
    shared_text() = default;
    shared_text(std::string_view text)
    {
        if (!text.empty()) *this = shared_text(std::make_shared<std::string const>(text));
    }
    shared_text(std::string const& text) : shared_text(std::string_view{text}) {}
    shared_text(char const* text) : shared_text(std::string_view{text}) {}
    /// All of `whole`.
    explicit shared_text(std::shared_ptr<std::string const> whole) : view_(*whole), owner_(std::move(whole)) {}
    /// `part`, which must lie inside the memory `owner` keeps alive.
    shared_text(std::shared_ptr<void const> owner, std::string_view part) : view_(part), owner_(std::move(owner)) {}

    std::string_view view() const noexcept { return view_; }
    operator std::string_view() const noexcept { return view_; }
    char const* data() const noexcept { return view_.data(); }
    std::size_t size() const noexcept { return view_.size(); }
    bool empty() const noexcept { return view_.empty(); }

    friend bool operator==(shared_text const& a, std::string_view b) noexcept { return a.view_ == b; }

private:
    std::string_view view_;
    std::shared_ptr<void const> owner_;
};

struct normalized_event {
    std::string provider;           // registry name, e.g. "sendgrid"
    std::string source;             // account label from /v1/webhooks/{provider}/{source}; "" = default
    std::string provider_event_id;  // the ESP's own id, or a stable derived key (see providers.md)
    event_type type = event_type::deferred;
    std::string recipient;          // lower-cased address
    std::string recipient_domain;   // the part after the last '@'
    unix_micros occurred_at = 0;
    std::optional<int> smtp_code;   // e.g. 550
    std::string enhanced_status;    // RFC 3463, e.g. "5.1.1"
    std::string diagnostic;         // the remote server's text as the ESP forwarded it
    std::string esp_message_id;
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

}  // namespace rebound::model
