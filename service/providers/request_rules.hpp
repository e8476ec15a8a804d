// The checks and answers around a provider that the webhook handler makes,
// as plain data.
//
// api/webhooks.cpp and the HTTP fuzzer (which links only rebound_pure, so
// no Beast and no database) must refuse the same requests with the same
// status and error code; keeping the rules here lets both call them instead
// of the fuzzer mirroring the handler. Each caller turns a refusal into its
// own response type with to_response.
#pragma once

#include "providers/provider.hpp"

#include <boost/system/error_code.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rebound::providers {

/// An error answer: HTTP status, the JSON error code and message, and any
/// headers it needs.
struct refusal {
    unsigned status = 400;
    std::string code;
    std::string message;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// A source is the {source} path segment: 1-64 of a-z, 0-9, '_' and '-'.
bool valid_source(std::string_view source) noexcept;

/// JSON, text/plain (SNS) and forms (some ESPs' legacy modes) may carry a
/// webhook; anything else is refused before a provider sees it.
bool acceptable_media_type(std::string_view content_type) noexcept;

/// A webhook request checked before its provider sees it.
struct admission {
    provider const* target = nullptr;  // null when no provider has the name
    std::string source;                // "" for /v1/webhooks/{provider}
    std::optional<refusal> refused;    // set when the request goes no further
};

/// Checks, in this order, the route's {provider} segment (an unknown name),
/// its optional {source} segment (malformed) and the Content-Type (a media
/// type no provider reads). `segments` are the route's path parameters.
admission admit(std::map<std::string, std::string, std::less<>> const& segments, std::string_view content_type);

/// The answer to a provider error (providers::errc). `basic_auth_configured`
/// adds the Basic challenge to missing_credentials.
refusal refusal_for(boost::system::error_code ec, bool basic_auth_configured);

/// The refusal as the caller's response: `json_error(status, code, message)`
/// (http::json_error in the service and the fuzzer) plus the headers.
template <class JsonError>
auto
to_response(refusal r, JsonError&& json_error)
{
    auto out = json_error(r.status, r.code, r.message);
    for (auto& h : r.headers) out.headers.push_back(std::move(h));
    return out;
}

}  // namespace rebound::providers
