// How every database session of the service is set up before its first
// statement: the writers' (store/batch_session.cpp) and the readers'
// (store/read_pool.cpp).
//
// All of the service's statements are prepared, and PostgreSQL soon settles
// on one generic plan per statement for the life of the connection. Made
// while autovacuum had analyzed a table as (nearly) empty, as it does to a
// new install's small tables, such a plan reads the whole table where it
// meant to look a row up, and keeps doing so while the table grows, until
// the next analyze: the writer's state lookup read recipient_state once per
// event of every batch (the load test fell from 18k events/s to 13k with a
// p99 of 740 ms), a status lookup read all of recipient_state and notices.
// So the sessions disable sequential scans; tables with no index to use
// (the staging tables, small rollups without a matching index) keep their
// scans, which only get more expensive in the planner's eyes; the read
// statements planned afresh on every call turn scans back on for their own
// transaction (sql::force_custom_plan). A disabled
// scan counts in a plan's cost as a huge constant, which would put every
// statement over jit_above_cost, and compiling each one took longer than
// running it (ingest at 260 events/s), so JIT is off too: none of these
// statements reads enough rows to gain from it.
#pragma once

#include <pqxx/pqxx>

namespace rebound::store {

/// Applies the settings above to a new connection, and stops libpqxx from
/// silently reconnecting it (a new session would lack them, and the
/// writer's temporary tables): a lost connection surfaces as
/// broken_connection, and the caller opens a new one and calls this again.
void set_up_session(pqxx::connection& conn);

}  // namespace rebound::store
