// Runs API queries on the read pool (see reader.hpp).
#include "store/reader.hpp"

#include "store/read_pool.hpp"

#include <pqxx/pqxx>

namespace rebound::store {

namespace {

// PostgreSQL type OIDs that the JSON encoder must not quote.
table::kind
kind_of(pqxx::oid type) noexcept
{
    switch (type) {
    case 20: case 21: case 23: case 700: case 701: case 1700: return table::kind::number;
    case 16: return table::kind::boolean;
    case 114: case 3802: return table::kind::json;
    default: return table::kind::text;
    }
}

table
to_table(pqxx::result const& r)
{
    table t;
    auto const cols = r.columns();
    for (pqxx::row::size_type c = 0; c < cols; ++c) {
        t.columns.emplace_back(r.column_name(c));
        t.kinds.push_back(kind_of(r.column_type(c)));
    }
    t.rows.reserve(r.size());
    for (auto const& row : r) {
        auto& out = t.rows.emplace_back();
        out.reserve(cols);
        for (auto const& field : row)
            out.push_back(field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str()));
    }
    return t;
}

}  // namespace

int
table::column(std::string_view name) const noexcept
{
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return static_cast<int>(i);
    return -1;
}

std::optional<std::string> const&
table::cell(std::size_t row, std::string_view name) const noexcept
{
    static std::optional<std::string> const missing;
    auto const c = column(name);
    if (c < 0 || row >= rows.size()) return missing;
    return rows[row][static_cast<std::size_t>(c)];
}

bool
reader::run(sql::query const& q, std::vector<std::string> params, table_callback done, bool write)
{
    auto shared_done = std::make_shared<table_callback>(std::move(done));
    return pool_.run(
        [q, params = std::move(params), shared_done, write](pqxx::connection& conn) {
            // prepare() is a no-op when this connection already knows the name.
            conn.prepare(std::string(q.name), std::string(q.text));
            bool const per_call = sql::plan_per_call(q);
            auto run_in = [&](pqxx::transaction_base& tx) {
                // SET LOCAL ends with the transaction: the lookups on this
                // connection keep their cached plans.
                if (per_call) tx.exec0(std::string(sql::force_custom_plan.text));
                return to_table(tx.exec_prepared(std::string(q.name), pqxx::prepare::make_dynamic_params(params)));
            };
            table t;
            if (write) {
                pqxx::work tx{conn};
                t = run_in(tx);
                tx.commit();
            } else {
                pqxx::read_transaction tx{conn};
                t = run_in(tx);
            }
            (*shared_done)(std::move(t));
        },
        [shared_done](std::string const& what, bool unavailable) {
            // Bad input that reached SQL (e.g. an invalid timestamp) is the
            // caller's error; anything else is ours or the database's.
            bool const bad_input = what.find("invalid input syntax") != std::string::npos ||
                                   what.find("out of range") != std::string::npos;
            auto const code = unavailable ? query_error::code::unavailable
                              : bad_input ? query_error::code::bad_request
                                          : query_error::code::failed;
            (*shared_done)(query_error{code, what});
        });
}

}  // namespace rebound::store
