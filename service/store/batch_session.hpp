// A writer session's side of one batch: its staging tables, kept from one
// transaction to the next, and the statements a batch runs, sent in as few
// round trips as PostgreSQL allows.
//
// Staging tables: every batch goes through two temporary tables
// (rebound_staging for the COPY, rebound_batch_new for the rows the merge
// inserted). Emptying them with ON COMMIT DELETE ROWS truncated two heaps,
// their TOAST tables and TOAST indexes at every commit; at the small
// transactions of a moderate load that was the largest fixed cost of a
// transaction. Instead each batch deletes the previous batch's rows first,
// and the session vacuums the tables (nothing else does: autovacuum skips
// temporary tables) once enough dead rows have piled up.
//
// Round trips: a batch is BEGIN, the shard locks and the clearing of the
// staging tables, the COPY, then the merge and everything folded from it,
// then COMMIT. The statements after the COPY are prepared once per session
// and sent as one string of SQL EXECUTEs, which PostgreSQL runs in order
// and answers once: nine round trips of a writer's small transactions
// became two, and each was a wake-up of both the writer and its backend on
// a machine whose cores are busy. The merge leaves the rows it inserted in
// rebound_batch_new; the string's last statement counts them, and only a
// batch in which some events were new and some not asks for their keys.
//
// The writer (store/ingest_writer.cpp) and the load-test ceiling
// (loadtest/ceiling.cpp) share this, so both run exactly the same SQL.
#pragma once

#include <pqxx/pqxx>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace rebound::store {

/// What a batch folds in after its COPY. The writer runs everything and
/// skips the notice statements when its batch cannot need them; the
/// ceiling's smaller modes stop earlier.
struct fold_steps {
    int slot = 0;                      // the writer's rows in the rollups
    bool state = true;                 // upsert_recipient_state
    bool rollups = true;               // the three daily rollups
    std::string_view open_notices;     // dead reasons as a text[] literal; empty: skip open_notices
    bool resolve_notices = true;       // resolve_notices_by_delivery
};

/// Reasons as the text[] literal fold_steps::open_notices takes, e.g.
/// {userunknown,hostunknown}. Reason names are the vocabulary's plain words
/// (classify/reason.hpp), so none needs quoting.
std::string reasons_literal(std::span<std::string const> reasons);

class batch_session {
public:
    /// Rows staged between two vacuums: a few MB of dead rows, well inside
    /// the default temp_buffers (8 MB), so the tables never spill to disk.
    static constexpr std::size_t vacuum_after_rows = 4000;

    /// Sets up a new connection (store/session.hpp), makes the tables and
    /// prepares the batch's statements. After a broken_connection the
    /// caller opens a new connection and calls this again.
    void open(pqxx::connection& conn);

    /// The start of a batch's transaction, in one round trip: the advisory
    /// locks of `shard_list` (an ascending int[] literal, store/shards.hpp)
    /// and the previous batch's staged rows deleted. An aborted transaction
    /// takes its own rows and this deletion with it; the next batch deletes
    /// again, so no batch ever sees another's rows.
    void begin(pqxx::work& tx, std::string_view shard_list);

    /// After the COPY into rebound_staging, in one round trip: the merge and
    /// the steps asked for. Returns how many events the merge inserted.
    std::size_t fold(pqxx::work& tx, fold_steps const& steps);

    /// After fold: (provider, provider_event_id) of every event the merge
    /// inserted, as stored.
    pqxx::result new_keys(pqxx::work& tx);

    /// After a commit that staged `rows`: vacuums when enough are dead.
    /// Returns whether it did.
    bool committed(pqxx::connection& conn, std::size_t rows);

private:
    std::size_t rows_since_vacuum_ = 0;
    std::string sql_;  // the statement strings, rebuilt per batch without allocating
};

}  // namespace rebound::store
