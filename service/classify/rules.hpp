// The classifier's knowledge, as data: wording fragments, status codes, reply
// codes, remote-host quirks and ESP bounce classes, each mapped to a reason.
//
// Internal to classify/: the tables are read by classifier.cpp, which
// compiles every fragment into one automaton and applies the precedence
// rules. Changing what a table says is a behaviour change; bump
// classifier_version (classifier.hpp) when doing so.
#pragma once

#include "classify/reason.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace rebound::classify::rules {

/// A wording fragment, matched case-insensitively anywhere in the diagnostic.
/// With `then`, the second fragment must also occur, after the first ("over
/// ... quota").
struct text_rule {
    bounce_reason reason;
    std::string_view fragment;
    std::string_view then = {};
};

/// Wording only one provider or MTA uses (Gmail, Microsoft, Yahoo, ...).
/// It beats generic wording because it was written for exactly this case.
std::span<text_rule const> provider_wording() noexcept;

/// Wording many MTAs share ("user unknown", "mailbox full").
std::span<text_rule const> generic_wording() noexcept;

/// The ESPs' own words for why they did not send (SendGrid "Bounced Address",
/// Mailgun "Not delivering to previously bounced address"). Only read for
/// drop events: in a bounce the same words would be the receiver's.
std::span<text_rule const> drop_wording() noexcept;

/// Where in the SMTP session the failure happened. It changes the meaning of
/// the same words: "user unknown" after DATA is a content filter posing as
/// an unknown user (Sisimai's "filtered"), not a dead address.
enum class smtp_command : std::uint8_t { unknown, connect, helo, mail, rcpt, data };

smtp_command parse_command(std::string_view name) noexcept;

struct command_marker {
    std::string_view fragment;
    smtp_command command;
};

/// Phrases MTAs use to say which command failed ("in reply to RCPT TO
/// command", "after end of data").
std::span<command_marker const> command_markers() noexcept;

/// Phrases that say a failure is temporary; used for notaccept's hard/soft
/// split.
std::span<std::string_view const> temporary_markers() noexcept;

/// Sisimai's enhanced status table (taxonomy section 4), consolidated names.
/// Returns none for statuses it does not list.
bounce_reason reason_for_status(std::string_view enhanced) noexcept;

/// Reply codes that name a reason by themselves (525 account disabled, 521
/// and 556 domain accepts no mail, 523/524/538 TLS and auth mechanisms).
bounce_reason reason_for_reply_code(int code) noexcept;

/// Statuses that mean something specific coming from one big mailbox
/// provider (Microsoft's 5.7.606-649 banned IP ranges, ...). `remote_host` is
/// the receiving MTA's name.
bounce_reason reason_for_host_status(std::string_view remote_host, std::string_view enhanced) noexcept;

/// How much an ESP's own bounce class says.
enum class hint_strength : std::uint8_t {
    constrains_only,  // nothing about the reason, maybe about hard/soft
    suggests,         // the reason when neither text nor codes decide
    decides,          // the reason whatever the text says: the ESP never tried
                      // delivery (suppression) or the event is no failure
};

enum class esp_field : std::uint8_t { esp_class, esp_type };

/// What an ESP says about how lasting the failure is.
enum class failure_duration : std::uint8_t {
    unstated,
    temporary,  // never let the result be hard (SES Transient, Mailgun temporary)
    permanent,  // the ESP saw a permanent refusal, so "user unknown" wording
                // means a dead address even without a 5.1.x status
};

struct esp_hint {
    std::string_view provider;  // provider family, see provider_family()
    esp_field field;
    std::string_view value;  // compared case-insensitively
    bounce_reason reason;  // none for hints that only constrain
    hint_strength strength;
    failure_duration duration;
};

/// The hint an ESP field value gives, or nullptr.
esp_hint const* find_esp_hint(std::string_view provider, esp_field field, std::string_view value) noexcept;
/// Every hint row (the tests send each through its provider).
std::span<esp_hint const> all_esp_hints() noexcept;

/// "amazon-ses", "AmazonSES", "ses" -> "ses"; the family the hint table uses.
std::string_view provider_family(std::string_view provider) noexcept;

/// Text reasons from most to least specific. When several reasons' wording
/// occurs in one diagnostic, the earliest wins (the order follows Sisimai's
/// detection passes, taxonomy section 2).
std::span<bounce_reason const> text_priority() noexcept;

/// Pairs where the usual priority is wrong: when both occur, `winner` wins.
struct precedence_exception {
    bounce_reason winner;
    bounce_reason loser;
};
std::span<precedence_exception const> precedence_exceptions() noexcept;

}  // namespace rebound::classify::rules
