// The webhook handler's checks and error answers as plain data (see
// request_rules.hpp for why they live among the providers).
#include "providers/request_rules.hpp"

#include "model/event.hpp"
#include "providers/provider.hpp"
#include "providers/registry.hpp"

namespace rebound::providers {

bool
valid_source(std::string_view s) noexcept
{
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    return true;
}

bool
acceptable_media_type(std::string_view content_type) noexcept
{
    if (content_type.empty()) return true;
    auto const semi = content_type.find(';');
    std::string type(content_type.substr(0, semi));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    model::ascii_lower(type);
    return type == "application/json" || type == "text/plain" || type == "application/x-www-form-urlencoded" ||
           (type.starts_with("application/") && type.ends_with("+json"));
}

admission
admit(std::map<std::string, std::string, std::less<>> const& segments, std::string_view content_type)
{
    admission out;
    auto const& name = segments.at("provider");
    out.target = find(name);
    if (!out.target) {
        out.refused = refusal{404, "unknown_provider", "no provider named '" + name + "'", {}};
        return out;
    }
    if (auto const it = segments.find("source"); it != segments.end()) {
        out.source = it->second;
        if (!valid_source(out.source)) {
            out.refused = refusal{404, "bad_source", "a source is 1-64 characters of a-z, 0-9, '_' or '-'", {}};
            return out;
        }
    }
    if (!acceptable_media_type(content_type))
        out.refused = refusal{415, "unsupported_media_type", "send application/json (or text/plain for Amazon SNS)", {}};
    return out;
}

refusal
refusal_for(boost::system::error_code ec, bool basic_auth_configured)
{
    auto msg = ec.message();
    switch (static_cast<errc>(ec.value())) {
    case errc::malformed_body: return {400, "malformed_body", std::move(msg), {}};
    case errc::unsupported_media_type: return {415, "unsupported_media_type", std::move(msg), {}};
    case errc::missing_credentials: {
        refusal r{401, "missing_credentials", std::move(msg), {}};
        // Amazon SNS sends the user:password of its subscription URL only
        // after being challenged.
        if (basic_auth_configured) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"rebound\"");
        return r;
    }
    case errc::bad_credentials: return {401, "bad_credentials", std::move(msg), {}};
    case errc::stale_signature: return {401, "stale_signature", std::move(msg), {}};
    case errc::replayed: return {401, "replayed", std::move(msg), {}};
    case errc::too_many_events: return {413, "too_many_events", std::move(msg), {}};
    }
    return {400, "bad_request", std::move(msg), {}};
}

}  // namespace rebound::providers
