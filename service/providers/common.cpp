// Pieces of the provider interface shared by every ESP: header lookup and the
// error category that the http layer maps to status codes.
#include "providers/provider.hpp"

#include "verify/verify.hpp"

#include <string>

namespace rebound::providers {

namespace {

bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

class category_impl final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "rebound.provider"; }

    std::string message(int ev) const override
    {
        switch (static_cast<errc>(ev)) {
        case errc::malformed_body: return "the body is not JSON of the shape this provider sends";
        case errc::unsupported_media_type: return "unsupported content type for this provider";
        case errc::missing_credentials: return "missing signature or credentials";
        case errc::bad_credentials: return "signature or credentials do not match";
        case errc::stale_signature: return "signature timestamp is outside the allowed window";
        case errc::too_many_events: return "too many events in one request";
        case errc::replayed: return "this signed request was already accepted once";
        }
        return "unknown provider error";
    }
};

}  // namespace

std::string_view
header_list::get(std::string_view name) const noexcept
{
    for (auto const& [k, v] : items_)
        if (iequals(k, name)) return v;
    return {};
}

boost::system::error_code
check_transport_auth(request_view const& req, provider_settings const& settings)
{
    auto const basic = settings.secrets.find("basic_auth");
    auto const token = settings.secrets.find("token");
    bool const want_basic = basic != settings.secrets.end() && !basic->second.empty();
    bool const want_token = token != settings.secrets.end() && !token->second.empty();
    if (!want_basic && !want_token) return {};

    auto const authorization = req.headers.get("authorization");
    if (authorization.empty()) return errc::missing_credentials;
    if (want_basic && verify::basic_auth_matches(authorization, basic->second)) return {};
    if (want_token && verify::bearer_matches(authorization, token->second)) return {};
    return errc::bad_credentials;
}

boost::system::error_category const&
provider_category() noexcept
{
    static category_impl const instance;
    return instance;
}

}  // namespace rebound::providers
