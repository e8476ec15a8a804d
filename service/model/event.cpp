// String conversions and address normalisation for the event model.
#include "model/event.hpp"

#include <array>
#include <utility>

namespace rebound::model {

namespace {

constexpr std::array<std::pair<event_type, std::string_view>, 6> event_type_names{{
    {event_type::deferred, "deferred"},
    {event_type::bounce, "bounce"},
    {event_type::block, "block"},
    {event_type::drop, "drop"},
    {event_type::delivered, "delivered"},
    {event_type::complaint, "complaint"},
}};

constexpr std::array<std::pair<severity, std::string_view>, 3> severity_names{{
    {severity::none, "none"},
    {severity::soft, "soft"},
    {severity::hard, "hard"},
}};

}  // namespace

std::string_view
to_string(event_type t) noexcept
{
    for (auto const& [v, name] : event_type_names)
        if (v == t) return name;
    return "deferred";
}

std::string_view
to_string(severity s) noexcept
{
    for (auto const& [v, name] : severity_names)
        if (v == s) return name;
    return "none";
}

std::optional<event_type>
parse_event_type(std::string_view s) noexcept
{
    for (auto const& [v, name] : event_type_names)
        if (name == s) return v;
    return std::nullopt;
}

std::optional<severity>
parse_severity(std::string_view s) noexcept
{
    for (auto const& [v, name] : severity_names)
        if (name == s) return v;
    return std::nullopt;
}

void
ascii_lower(std::string& s) noexcept
{
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

bool
normalize_address(std::string_view in, std::string& address, std::string& domain)
{
    // ESPs sometimes forward "Name <user@host>" or surrounding whitespace.
    auto const lt = in.find('<');
    if (lt != std::string_view::npos) {
        auto const gt = in.find('>', lt);
        if (gt != std::string_view::npos) in = in.substr(lt + 1, gt - lt - 1);
    }
    while (!in.empty() && (in.front() == ' ' || in.front() == '\t')) in.remove_prefix(1);
    while (!in.empty() && (in.back() == ' ' || in.back() == '\t')) in.remove_suffix(1);

    // One pass checks, lower-cases and finds the last '@' (every event of
    // every ESP comes through here: separate scans were 5 % of parsing).
    address.assign(in);
    std::size_t at = std::string::npos;
    for (std::size_t i = 0; i < address.size(); ++i) {
        char& c = address[i];
        if (static_cast<unsigned char>(c) < 0x21) {  // spaces, controls, NUL
            address.clear();
            return false;
        }
        if (c == '@') at = i;
        else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (at == std::string::npos || at == 0 || at + 1 == address.size()) {
        address.clear();
        return false;
    }
    domain.assign(address, at + 1);
    return true;
}

}  // namespace rebound::model
