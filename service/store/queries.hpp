// Every SQL statement rebound runs, each with a name.
//
// Keeping them in one place makes the database contract reviewable at a
// glance, and the names are what statements are prepared under, so they also
// appear in pg_stat_statements and in our logs.
#pragma once

#include <string_view>
#include <vector>

namespace rebound::store::sql {

struct query {
    std::string_view name;
    std::string_view text;
};

// Migrations.
extern query const create_migrations_table;
extern query const applied_migrations;
extern query const record_migration;
extern query const migration_lock;

// Ingest, per writer connection.
extern query const create_staging;      // session-local staging tables (store/batch_session.hpp)
extern query const lookup_session_settings;  // planner settings of the service's sessions (store/session.hpp)
extern query const clear_staging;       // two statements: run with exec, not prepared
extern query const vacuum_staging;      // outside a transaction
extern query const lock_shards;         // $1 int[] ascending: serialises writers of those recipient shards across processes
extern query const merge_staged;        // staging -> events, de-duplicated; the new rows -> rebound_batch_new
extern query const upsert_recipient_state;
extern query const upsert_daily_stats;
extern query const upsert_daily_totals;         // $1 writer slot; the stats rollups without the domain
extern query const upsert_daily_domain_totals;  // $1 writer slot; the stats rollups per domain
extern query const open_notices;
extern query const resolve_notices_by_delivery;
extern query const new_event_count;     // how many of the batch's events were new
extern query const new_event_keys;      // (provider, provider_event_id) of the batch's new events
extern std::string_view const staging_table;
extern std::string_view const rejected_table;

// Health.
extern query const readiness;

// Retention (store/partitions.cpp).
extern query const maintenance_lock_timeout;   // bounds the wait for the brief partition locks
extern query const maintain_partitions;        // $1 months ahead, $2 whole months kept (0 = all)

}  // namespace rebound::store::sql

namespace rebound::store::sql {

// Read API (store/reader.cpp runs them; api/ shapes the answers).
extern query const recipients_by_address;  // $1 JSON array of addresses
extern query const recipients_by_user;     // $1 JSON array of user references
extern query const recipient_timeline;     // $1 address, $2/$3 cursor, $4 limit
extern query const soft_bounces_window;
extern query const soft_bounces_streak;
extern query const notices_list;
extern query const notice_get;
extern query const notice_mark_notified;
extern query const notice_resolve;
extern query const provider_notices_list;
extern query const record_provider_notice;
extern query const confirm_provider_notice;

/// Which optional stats filters a request gives.
struct stats_filters {
    bool provider = false, source = false, domain = false, reason = false;
};

/// Stats grouped by one of: day, provider, source, domain, reason, from the
/// smallest rollup that can answer the filters given. Every variant takes $1
/// from, $2 to (dates), $3 provider, $4 source, $5 domain, $6 reason ("" =
/// any). Returns nullptr for any other grouping.
query const* stats_by(std::string_view group, stats_filters const& given = {}) noexcept;
/// Every stats variant (for the benchmark's SQL dump and the tests).
std::vector<query const*> stats_statements();

/// Whether a read statement is planned for its parameters on every call
/// (run force_custom_plan first in its transaction).
bool plan_per_call(query const& q) noexcept;
extern query const force_custom_plan;

}  // namespace rebound::store::sql

namespace rebound::store::sql {

// `rebound reclassify` (store/reclassify.cpp).
extern query const reclassify_progress_get;
extern query const reclassify_progress_set;
extern query const reclassify_batch;            // events after $1 older than version $2, $3 at a time
extern query const reclassify_update;           // $1 JSON [{id, reason, severity}], $2 version
extern query const recompute_recipient_state;   // $1 JSON array of recipients

}  // namespace rebound::store::sql
