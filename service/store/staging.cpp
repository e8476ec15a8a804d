// The writer session's reusable staging tables (see staging.hpp).
#include "store/staging.hpp"

#include "store/queries.hpp"

#include <string>

namespace rebound::store {

void
staging_tables::create(pqxx::connection& conn)
{
    pqxx::nontransaction tx{conn};
    tx.exec(std::string(sql::create_staging.text));
    rows_since_vacuum_ = 0;
}

void
staging_tables::clear(pqxx::work& tx)
{
    tx.exec(std::string(sql::clear_staging.text));
}

bool
staging_tables::committed(pqxx::connection& conn, std::size_t rows)
{
    rows_since_vacuum_ += rows;
    if (rows_since_vacuum_ < vacuum_after_rows) return false;
    // VACUUM cannot run inside a transaction block.
    pqxx::nontransaction tx{conn};
    tx.exec(std::string(sql::vacuum_staging.text));
    rows_since_vacuum_ = 0;
    return true;
}

}  // namespace rebound::store
