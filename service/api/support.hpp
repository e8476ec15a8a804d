// Shared pieces of the read API: token scopes, query-string parameters,
// cursors, and rendering a store::table as JSON or CSV.
#pragma once

#include "config/config.hpp"
#include "http/message.hpp"
#include "store/reader.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rebound::api {

/// "read" for queries, "notices" for notice changes, "admin" for anything.
/// Returns the refusal (401 without a valid token, 403 with the wrong
/// scope), or nullopt when the request may proceed; `actor` gets the token's
/// name for audit records.
std::optional<http::response> authorize(config::config const& cfg, http::request const& req, std::string_view scope,
                                        std::string* actor = nullptr);

/// Decoded query parameters (last one wins).
std::map<std::string, std::string, std::less<>> query_params(std::string_view query);

/// "7d", "12h", "30m", "45s" or plain seconds; nullopt when malformed.
std::optional<long long> parse_duration_seconds(std::string_view s) noexcept;

/// A positive integer in [lo, hi]; nullopt otherwise.
std::optional<long long> parse_int(std::string_view s, long long lo, long long hi) noexcept;

/// Opaque cursors: URL-safe base64 of "part1|part2".
std::string encode_cursor(std::string_view a, std::string_view b = {});
std::optional<std::pair<std::string, std::string>> decode_cursor(std::string_view cursor);

/// One row of a table as a JSON object (numbers, booleans and JSON columns
/// keep their types), skipping columns named in `skip`.
boost::json::object row_object(store::table const& t, std::size_t row, std::initializer_list<std::string_view> skip = {});

/// Whether the client asked for CSV (Accept: text/csv).
bool wants_csv(http::request const& req) noexcept;

/// RFC 4180 CSV of the whole table.
std::string to_csv(store::table const& t, std::initializer_list<std::string_view> skip = {});

/// The response for a failed query: 503 (busy/unavailable), 400, 404, 409, 500.
http::response query_failure(store::query_error const& e, unsigned retry_after_seconds);

}  // namespace rebound::api
