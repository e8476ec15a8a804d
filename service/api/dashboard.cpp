// The built-in dashboard: dashboard/dist, embedded into the binary at build
// time by cmake/embed_dashboard.cmake, served under /dashboard, plus the
// reason texts the page shows beside each failure reason.
//
//   GET /dashboard                  the page (index.html)
//   GET /dashboard/{file}           top-level files: index.html, favicon.svg
//   GET /dashboard/assets/{file}    content-hashed bundles
//   GET /dashboard/reasons.json     action and en/ja text of every reason (scope: read)
//
// The page itself is public; every data call it makes carries the token the
// user enters. Hashed assets never change under their name, so they are
// cached for a year; the page is revalidated on every load (ETag), so a new
// binary's page and bundles are picked up at once. The Content-Security-Policy
// allows this origin only: the page works offline, and a diagnostic or
// address stored from a webhook can never run as script in an operator's
// browser.
#include "api/api.hpp"
#include "api/support.hpp"
#include "classify/actions.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string_view>

// Defined in the generated dashboard_assets.cpp.
namespace rebound::api::dashboard_bundle {
std::size_t size() noexcept;
void at(std::size_t i, std::string_view& path, std::string_view& content_type, std::string_view& etag,
        std::string_view& data) noexcept;
}  // namespace rebound::api::dashboard_bundle

namespace rebound::api {

namespace {

constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct asset {
    std::string_view content_type;
    std::string_view etag;
    std::string_view data;
};

/// The embedded files by path relative to dist ("index.html", "assets/index-3f2a.js").
std::map<std::string_view, asset, std::less<>> const&
assets()
{
    static auto const table = [] {
        std::map<std::string_view, asset, std::less<>> m;
        for (std::size_t i = 0; i < dashboard_bundle::size(); ++i) {
            std::string_view path, type, etag, data;
            dashboard_bundle::at(i, path, type, etag, data);
            m.emplace(path, asset{type, etag, data});
        }
        return m;
    }();
    return table;
}

void
add_security_headers(http::response& r)
{
    r.headers.emplace_back("Content-Security-Policy", std::string(content_security_policy));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
}

/// Whether If-None-Match names this ETag (a list, or "*").
bool
etag_matches(std::string_view if_none_match, std::string_view etag) noexcept
{
    if (if_none_match.empty()) return false;
    if (if_none_match == "*") return true;
    while (!if_none_match.empty()) {
        auto const comma = if_none_match.find(',');
        auto item = if_none_match.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == etag) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

http::response
serve(http::request const& req, std::string_view path)
{
    auto const& table = assets();
    auto const it = table.find(path);
    if (it == table.end()) {
        auto r = http::json_error(404, "not_found",
                                  table.empty() ? "this binary was built without the dashboard (REBOUND_DASHBOARD=OFF)"
                                                : "no dashboard file " + std::string(path));
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
    }
    auto const& a = it->second;
    bool const hashed = path.starts_with("assets/");
    http::response r;
    r.content_type = std::string(a.content_type);
    r.headers.emplace_back("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("ETag", std::string(a.etag));
    add_security_headers(r);
    if (etag_matches(req.headers.get("if-none-match"), a.etag)) {
        r.status = 304;
        return r;
    }
    r.body.assign(a.data);
    return r;
}

/// {"reasons": {"<code>": {"action", "en", "ja", "address_dead"}}}: the texts
/// of the configured action table, so the page explains reasons in the
/// operator's words (REBOUND_ACTIONS_FILE) rather than a copy of the defaults.
http::response
reasons(context const& ctx)
{
    boost::json::object list;
    for (auto const& e : ctx.actions.entries())
        list[e.reason] = {{"action", e.action}, {"en", e.en}, {"ja", e.ja}, {"address_dead", e.address_dead}};
    auto r = http::json_ok(boost::json::serialize(boost::json::object{{"reasons", std::move(list)}}));
    r.headers.emplace_back("Cache-Control", "no-store");
    add_security_headers(r);
    return r;
}

}  // namespace

void
register_dashboard(http::router& r, context& ctx)
{
    r.add("GET", "/dashboard", "dashboard",
          [](http::request& req, http::path_params const&, http::responder respond) { respond(serve(req, "index.html")); });
    // Before /dashboard/{file}: the router takes the first match.
    r.add("GET", "/dashboard/reasons.json", "dashboard_reasons",
          [&ctx](http::request& req, http::path_params const&, http::responder respond) {
              if (auto denied = authorize(ctx.cfg, req, "read")) return respond(std::move(*denied));
              respond(reasons(ctx));
          });
    r.add("GET", "/dashboard/{file}", "dashboard",
          [](http::request& req, http::path_params const& p, http::responder respond) {
              respond(serve(req, p.at("file")));
          });
    r.add("GET", "/dashboard/assets/{file}", "dashboard",
          [](http::request& req, http::path_params const& p, http::responder respond) {
              respond(serve(req, "assets/" + p.at("file")));
          });
}

}  // namespace rebound::api
