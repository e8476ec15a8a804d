// Names of the bounce reasons and the hard/soft rule.
#include "classify/reason.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace rebound::classify {

namespace {

using enum bounce_reason;

constexpr std::array<std::pair<bounce_reason, std::string_view>, 34> names{{
    {authfailure, "authfailure"},
    {badreputation, "badreputation"},
    {blocked, "blocked"},
    {contenterror, "contenterror"},
    {delivered, "delivered"},
    {emailtoolarge, "emailtoolarge"},
    {expired, "expired"},
    {failedstarttls, "failedstarttls"},
    {feedback, "feedback"},
    {filtered, "filtered"},
    {hasmoved, "hasmoved"},
    {hostunknown, "hostunknown"},
    {mailboxfull, "mailboxfull"},
    {mailererror, "mailererror"},
    {networkerror, "networkerror"},
    {norelaying, "norelaying"},
    {notaccept, "notaccept"},
    {notcompliantrfc, "notcompliantrfc"},
    {onhold, "onhold"},
    {policyviolation, "policyviolation"},
    {ratelimited, "ratelimited"},
    {rejected, "rejected"},
    {requireptr, "requireptr"},
    {securityerror, "securityerror"},
    {spamdetected, "spamdetected"},
    {suppressed, "suppressed"},
    {suspend, "suspend"},
    {syntaxerror, "syntaxerror"},
    {systemerror, "systemerror"},
    {systemfull, "systemfull"},
    {undefined, "undefined"},
    {userunknown, "userunknown"},
    {vacation, "vacation"},
    {virusdetected, "virusdetected"},
}};

// Older Sisimai names, so labels and configuration written against them keep
// working.
constexpr std::array<std::pair<std::string_view, bounce_reason>, 6> aliases{{
    {"exceedlimit", emailtoolarge},
    {"mesgtoobig", emailtoolarge},
    {"nospam", spamdetected},
    {"relayingdenied", norelaying},
    {"speeding", ratelimited},
    {"toomanyconn", ratelimited},
}};

constexpr std::array<bounce_reason, names.size()> ordered = [] {
    std::array<bounce_reason, names.size()> out{};
    for (std::size_t i = 0; i < names.size(); ++i) out[i] = names[i].first;
    return out;
}();

bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != b[i]) return false;
    }
    return true;
}

}  // namespace

std::string_view
to_string(bounce_reason r) noexcept
{
    // Indexed by value: every stored event asks, and a search through the
    // list cost as much as a status lookup.
    static constexpr auto by_value = [] {
        std::array<std::string_view, 256> out{};
        for (auto const& [v, name] : names) out[static_cast<std::uint8_t>(v)] = name;
        return out;
    }();
    return by_value[static_cast<std::uint8_t>(r)];
}

std::optional<bounce_reason>
parse_reason(std::string_view name) noexcept
{
    for (auto const& [v, n] : names)
        if (iequals(name, n)) return v;
    for (auto const& [n, v] : aliases)
        if (iequals(name, n)) return v;
    return std::nullopt;
}

std::span<bounce_reason const>
all_reasons() noexcept
{
    return ordered;
}

}  // namespace rebound::classify
