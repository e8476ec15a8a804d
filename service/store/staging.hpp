// A writer session's staging tables, kept from one transaction to the next.
//
// Every batch goes through two temporary tables (rebound_staging for the
// COPY, rebound_batch_new for the rows the merge inserted). Emptying them
// with ON COMMIT DELETE ROWS truncated two heaps, their TOAST tables and
// TOAST indexes at every commit; at the small transactions of a moderate
// load that was the largest fixed cost of a transaction. Instead each batch
// deletes the previous batch's rows first, and the session vacuums the
// tables (nothing else does: autovacuum skips temporary tables) once enough
// dead rows have piled up. The writer (store/ingest_writer.cpp) and the
// load-test ceiling (loadtest/ceiling.cpp) share this, so both do the same.
#pragma once

#include <pqxx/pqxx>

#include <cstddef>

namespace rebound::store {

class staging_tables {
public:
    /// Rows staged between two vacuums: a few MB of dead rows, well inside
    /// the default temp_buffers (8 MB), so the tables never spill to disk.
    static constexpr std::size_t vacuum_after_rows = 4000;

    /// Makes the tables, if this session has none yet.
    void create(pqxx::connection& conn);

    /// Empties the tables inside the batch's transaction, before its COPY.
    /// An aborted transaction takes its own rows and this deletion with it;
    /// the next batch deletes again, so no batch ever sees another's rows.
    void clear(pqxx::work& tx);

    /// After a commit that staged `rows`: vacuums when enough are dead.
    /// Returns whether it did.
    bool committed(pqxx::connection& conn, std::size_t rows);

private:
    std::size_t rows_since_vacuum_ = 0;
};

}  // namespace rebound::store
