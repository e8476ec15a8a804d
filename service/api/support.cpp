// Read-API helpers (see support.hpp).
#include "api/support.hpp"

#include "verify/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>

#include <charconv>

namespace rebound::api {

std::optional<http::response>
authorize(config::config const& cfg, http::request const& req, std::string_view scope, std::string* actor)
{
    auto const header = req.headers.get("authorization");
    std::string_view token;
    if (header.size() > 7 && (header.substr(0, 7) == "Bearer " || header.substr(0, 7) == "bearer "))
        token = header.substr(7);
    if (token.empty())
        return http::json_error(401, "missing_token", "send an API token as 'Authorization: Bearer <token>'");

    auto const digest = verify::sha256_hex(token);
    for (auto const& t : cfg.api_tokens) {
        if (!verify::constant_time_equal(digest, t.sha256_hex)) continue;
        for (auto const& s : t.scopes) {
            if (s == scope || s == "admin") {
                if (actor) *actor = "token:" + t.name;
                return std::nullopt;
            }
        }
        return http::json_error(403, "insufficient_scope", "this token lacks the '" + std::string(scope) + "' scope");
    }
    return http::json_error(401, "bad_token", "the API token is not valid");
}

std::map<std::string, std::string, std::less<>>
query_params(std::string_view query)
{
    std::map<std::string, std::string, std::less<>> out;
    auto const parsed = boost::urls::parse_query(query);
    if (!parsed) return out;
    // HTML forms send spaces as '+', so decode them as spaces too.
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    for (auto const& p : *parsed) out[p.key.decode(opts)] = p.value.decode(opts);
    return out;
}

std::optional<long long>
parse_int(std::string_view s, long long lo, long long hi) noexcept
{
    long long v = 0;
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty() || v < lo || v > hi) return std::nullopt;
    return v;
}

std::optional<long long>
parse_duration_seconds(std::string_view s) noexcept
{
    if (s.empty()) return std::nullopt;
    long long mult = 1;
    switch (s.back()) {
    case 'd': mult = 86400; break;
    case 'h': mult = 3600; break;
    case 'm': mult = 60; break;
    case 's': mult = 1; break;
    default: return parse_int(s, 1, 400LL * 86400);
    }
    auto const n = parse_int(s.substr(0, s.size() - 1), 1, 400LL * 86400);
    if (!n || *n * mult > 400LL * 86400) return std::nullopt;
    return *n * mult;
}

std::string
encode_cursor(std::string_view a, std::string_view b)
{
    auto out = verify::base64_encode(std::string(a) + "|" + std::string(b));
    for (char& c : out) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    while (!out.empty() && out.back() == '=') out.pop_back();
    return out;
}

std::optional<std::pair<std::string, std::string>>
decode_cursor(std::string_view cursor)
{
    auto const raw = verify::base64_decode(cursor);
    if (!raw) return std::nullopt;
    auto const bar = raw->find('|');
    if (bar == std::string::npos) return std::nullopt;
    return std::pair{raw->substr(0, bar), raw->substr(bar + 1)};
}

boost::json::object
row_object(store::table const& t, std::size_t row, std::initializer_list<std::string_view> skip)
{
    boost::json::object o;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
        auto const& name = t.columns[c];
        bool skipped = false;
        for (auto s : skip) skipped |= s == name;
        if (skipped) continue;
        auto const& cell = t.rows[row][c];
        if (!cell) {
            o[name] = nullptr;
            continue;
        }
        switch (t.kinds[c]) {
        case store::table::kind::number: {
            long long v;
            auto const [p, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), v);
            if (ec == std::errc{} && p == cell->data() + cell->size()) o[name] = v;
            else o[name] = std::stod(*cell);
            break;
        }
        case store::table::kind::boolean: o[name] = (*cell == "t"); break;
        case store::table::kind::json: {
            boost::system::error_code ec;
            auto v = boost::json::parse(*cell, ec);
            o[name] = ec ? boost::json::value(*cell) : std::move(v);
            break;
        }
        case store::table::kind::text: o[name] = *cell; break;
        }
    }
    return o;
}

bool
wants_csv(http::request const& req) noexcept
{
    return req.headers.get("accept").find("text/csv") != std::string_view::npos;
}

std::string
to_csv(store::table const& t, std::initializer_list<std::string_view> skip)
{
    auto keep = [&](std::string const& name) {
        for (auto s : skip)
            if (s == name) return false;
        return true;
    };
    auto field = [](std::string_view v) {
        if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
        std::string out = "\"";
        for (char c : v) {
            if (c == '"') out += '"';
            out += c;
        }
        return out + "\"";
    };
    std::string out;
    bool first = true;
    for (auto const& name : t.columns) {
        if (!keep(name)) continue;
        out += (first ? "" : ",") + field(name);
        first = false;
    }
    out += "\r\n";
    for (auto const& row : t.rows) {
        first = true;
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            if (!keep(t.columns[c])) continue;
            out += (first ? "" : ",") + (row[c] ? field(*row[c]) : std::string{});
            first = false;
        }
        out += "\r\n";
    }
    return out;
}

http::response
query_failure(store::query_error const& e, unsigned retry_after_seconds)
{
    using code = store::query_error::code;
    switch (e.what) {
    case code::unavailable: return http::unavailable("database_unavailable", "the database is unavailable", retry_after_seconds);
    case code::busy: return http::unavailable("busy", "too many queries in flight", retry_after_seconds);
    case code::bad_request: return http::json_error(400, "bad_request", e.message);
    case code::not_found: return http::json_error(404, "not_found", e.message);
    case code::conflict: return http::json_error(409, "conflict", e.message);
    case code::failed: break;
    }
    return http::json_error(500, "query_failed", "the query failed");
}

}  // namespace rebound::api
