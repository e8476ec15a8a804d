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

namespace {

/// `in` without a "Name <...>" wrapper and surrounding blanks.
std::string_view
address_part(std::string_view in) noexcept
{
    // ESPs sometimes forward "Name <user@host>" or surrounding whitespace.
    auto const lt = in.find('<');
    if (lt != std::string_view::npos) {
        auto const gt = in.find('>', lt);
        if (gt != std::string_view::npos) in = in.substr(lt + 1, gt - lt - 1);
    }
    while (!in.empty() && (in.front() == ' ' || in.front() == '\t')) in.remove_prefix(1);
    while (!in.empty() && (in.back() == ' ' || in.back() == '\t')) in.remove_suffix(1);
    return in;
}

/// Lower-cases `in` into `out` (as long as `in`) and returns the position of
/// its last '@', or npos when it cannot be an address. One pass checks,
/// lower-cases and finds the '@': every event of every ESP comes through
/// here, and separate scans were 5 % of parsing.
std::size_t
lower_address(std::string_view in, char* out) noexcept
{
    std::size_t at = std::string_view::npos;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (static_cast<unsigned char>(c) < 0x21) return std::string_view::npos;  // spaces, controls, NUL
        if (c == '@') at = i;
        else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        out[i] = c;
    }
    if (at == std::string_view::npos || at == 0 || at + 1 >= in.size()) return std::string_view::npos;
    return at;
}

}  // namespace

bool
normalize_address(std::string_view in, std::string& address, std::string& domain)
{
    in = address_part(in);
    address.resize(in.size());
    auto const at = lower_address(in, address.data());
    if (at == std::string_view::npos) {
        address.clear();
        return false;
    }
    domain.assign(address, at + 1);
    return true;
}

bool
normalize_address(std::string_view in, text_arena& text, shared_text& address, shared_text& domain)
{
    in = address_part(in);
    auto const out = text.allocate(in.size());
    auto const at = lower_address(in, out.data());
    if (at == std::string_view::npos) {
        address = {};
        domain = {};
        return false;
    }
    address = text.share({out.data(), out.size()});
    domain = address.substr(at + 1);
    return true;
}

}  // namespace rebound::model
