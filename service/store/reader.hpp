// Read queries for the API, run on the read pool.
//
// A query's answer comes back as a `table`: column names, a kind per column
// and text cells. The API layer turns the same table into JSON or CSV, and
// enriches it (explanations, send decisions) by column name, so adding a
// column to a query needs no new C++ type. Errors come back as values; no
// libpqxx exception leaves the store.
#pragma once

#include "store/queries.hpp"

#include <boost/system/result.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rebound::store {

class read_pool;

struct table {
    enum class kind : char { text, number, boolean, json };
    std::vector<std::string> columns;
    std::vector<kind> kinds;
    std::vector<std::vector<std::optional<std::string>>> rows;

    /// Index of a column, or -1.
    int column(std::string_view name) const noexcept;
    /// The cell, or nullopt when the column is missing or NULL.
    std::optional<std::string> const& cell(std::size_t row, std::string_view name) const noexcept;
};

struct query_error {
    enum class code { unavailable, busy, not_found, conflict, bad_request, failed } what;
    std::string message;
};

using table_result = boost::system::result<table, query_error>;
using table_callback = std::function<void(table_result)>;

class reader {
public:
    explicit reader(read_pool& pool) : pool_(pool) {}

    /// Runs a named statement with text parameters ("" where the SQL uses
    /// NULLIF for "not given"). Read-only unless `write` is set. Returns false
    /// when the read queue is full (answer 503).
    bool run(sql::query const& q, std::vector<std::string> params, table_callback done, bool write = false);

private:
    read_pool& pool_;
};

}  // namespace rebound::store
