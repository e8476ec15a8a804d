// Method + path pattern routing, with {name} segments.
#pragma once

#include "http/message.hpp"

#include <string>
#include <vector>

namespace rebound::http {

class router {
public:
    /// `pattern` like "/v1/webhooks/{provider}/{source}". `name` labels metrics.
    void add(std::string method, std::string pattern, std::string name, handler h);

    struct match {
        handler const* h = nullptr;
        std::string const* name = nullptr;
        path_params params;
        bool path_known = false;  // some route has this path, with another method (405)
    };
    match find(std::string_view method, std::string_view path) const;

    /// Every (method, pattern) served, in registration order; the OpenAPI
    /// contract test compares docs/openapi.yaml against it.
    std::vector<std::pair<std::string, std::string>> list() const;

private:
    struct route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        std::string name;
        handler h;
    };
    std::vector<route> routes_;
};

}  // namespace rebound::http
