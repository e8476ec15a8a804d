// Routing and the JSON error helpers.
#include "http/router.hpp"

#include "model/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <optional>

namespace rebound::http {

namespace {

std::vector<std::string_view>
split_path(std::string_view path)
{
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        auto const slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return out;
}

/// Percent-decodes a path segment; nullopt when an escape is malformed.
std::optional<std::string>
decode_segment(std::string_view s)
{
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        int const hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

}  // namespace

void
router::add(std::string method, std::string pattern, std::string name, handler h)
{
    route r{std::move(method), pattern, {}, std::move(name), std::move(h)};
    for (auto s : split_path(pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

router::match
router::find(std::string_view method, std::string_view path) const
{
    match m;
    auto const parts = split_path(path);
    for (auto const& r : routes_) {
        if (r.segments.size() != parts.size()) continue;
        path_params params;
        bool ok = true;
        for (std::size_t i = 0; i < parts.size() && ok; ++i) {
            auto const& seg = r.segments[i];
            if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
                auto decoded = decode_segment(parts[i]);
                if (!decoded) ok = false;
                else params.emplace(seg.substr(1, seg.size() - 2), std::move(*decoded));
            } else
                ok = seg == parts[i];
        }
        if (!ok) continue;
        if (r.method != method) {
            m.path_known = true;
            continue;
        }
        m.h = &r.h;
        m.name = &r.name;
        m.params = std::move(params);
        return m;
    }
    return m;
}

std::vector<std::pair<std::string, std::string>>
router::list() const
{
    std::vector<std::pair<std::string, std::string>> out;
    for (auto const& r : routes_) out.emplace_back(r.method, r.pattern);
    return out;
}

response
json_error(unsigned status, std::string_view code, std::string_view message)
{
    // Messages may quote a client's path or values: keep the body valid JSON.
    boost::json::value v = {{"error", {{"code", code}, {"message", model::to_valid_utf8(message)}}}};
    return {status, "application/json", boost::json::serialize(v), {}};
}

response
unavailable(std::string_view code, std::string_view message, unsigned retry_after_seconds)
{
    auto r = json_error(503, code, message);
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
    return r;
}

response
json_ok(std::string body, unsigned status)
{
    return {status, "application/json", std::move(body), {}};
}

}  // namespace rebound::http
