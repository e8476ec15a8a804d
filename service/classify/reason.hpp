// The bounce reason vocabulary and the hard/soft rule.
//
// Names follow Sisimai 5.2 with the two merges announced for its next release
// (toomanyconn + speeding -> ratelimited, mesgtoobig + exceedlimit ->
// emailtoolarge), so the reasons we store stay valid when Sisimai catches up
// and can be compared with its labels. Source: ../shared/reference/
// bounce-taxonomy.md, sections 1 and 3.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rebound::classify {

enum class bounce_reason : std::uint8_t {
    none,  // not classified: delivered events carry no reason
    authfailure,
    badreputation,
    blocked,
    contenterror,
    delivered,
    emailtoolarge,
    expired,
    failedstarttls,
    feedback,
    filtered,
    hasmoved,
    hostunknown,
    mailboxfull,
    mailererror,
    networkerror,
    norelaying,
    notaccept,
    notcompliantrfc,
    onhold,  // there was error text, but nothing decided the cause
    policyviolation,
    ratelimited,
    rejected,
    requireptr,
    securityerror,
    spamdetected,
    suppressed,
    suspend,
    syntaxerror,
    systemerror,
    systemfull,
    undefined,  // no error text and nothing else to go on
    userunknown,
    vacation,
    virusdetected,
};

/// The stored name, e.g. "userunknown"; "" for none.
std::string_view to_string(bounce_reason r) noexcept;

/// Case-insensitive. Also accepts the names Sisimai used before the merges
/// (mesgtoobig, exceedlimit, toomanyconn, speeding, nospam, relayingdenied).
std::optional<bounce_reason> parse_reason(std::string_view name) noexcept;

/// Every reason of the vocabulary, `none` excluded, in alphabetical order.
std::span<bounce_reason const> all_reasons() noexcept;

/// Sisimai's hardbounce: does this reason mean the address itself is dead?
/// Only userunknown, hostunknown and hasmoved always do; notaccept does unless
/// the failure was temporary (4xx, or the text says so). Everything else
/// (blocks, spam, policy, full mailboxes...) leaves the address usable.
/// Inline: the classifier asks for every event, and the call cost more than
/// the answer.
inline bool
kills_address(bounce_reason r, bool temporary) noexcept
{
    switch (r) {
    case bounce_reason::userunknown:
    case bounce_reason::hostunknown:
    case bounce_reason::hasmoved:
        return true;
    case bounce_reason::notaccept:
        return !temporary;
    default:
        return false;
    }
}

}  // namespace rebound::classify
