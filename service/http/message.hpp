// Request and response as the handlers see them, free of Beast.
//
// Only http/server.cpp includes Beast and Asio (they are heavy to compile);
// handlers in api/ work on these plain types, which keeps rebuilds fast and
// lets handlers be exercised without sockets.
#pragma once

#include "providers/provider.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rebound::http {

struct request {
    std::string method;        // "GET", "POST", ...
    std::string path;          // decoded path without the query, e.g. /v1/webhooks/sendgrid
    std::string query;         // raw query string without '?'
    providers::header_list headers;
    std::string body;
    std::string request_id;    // from X-Request-Id or generated
    std::string remote;        // peer address, for logs
};

struct response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Sends the response. Call exactly once, from any thread: the server hops
/// back to the connection's own strand.
using responder = std::function<void(response)>;

/// Values of {name} segments in the matched route.
using path_params = std::map<std::string, std::string, std::less<>>;

using handler = std::function<void(request&, path_params const&, responder)>;

/// {"error":{"code":"...","message":"..."}} with the given status.
response json_error(unsigned status, std::string_view code, std::string_view message);

/// 503 with Retry-After: the client (an ESP) should retry later.
response unavailable(std::string_view code, std::string_view message, unsigned retry_after_seconds);

/// A 200 with a JSON body.
response json_ok(std::string body, unsigned status = 200);

}  // namespace rebound::http
