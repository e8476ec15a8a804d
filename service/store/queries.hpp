// Every SQL statement rebound runs, each with a name.
//
// Keeping them in one place makes the database contract reviewable at a
// glance, and the names are what statements are prepared under, so they also
// appear in pg_stat_statements and in our logs.
#pragma once

#include <string_view>

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
extern query const create_staging;      // session-local staging tables
extern query const lock_shard;          // serialises writers of one recipient shard across processes
extern query const merge_staged;        // staging -> events, de-duplicated; returns inserted keys
extern query const upsert_recipient_state;
extern query const upsert_daily_stats;
extern query const open_notices;
extern query const resolve_notices_by_delivery;
extern std::string_view const staging_table;
extern std::string_view const rejected_table;

// Health.
extern query const readiness;

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

/// Stats grouped by one of: day, provider, source, domain, reason. Returns
/// nullptr for any other grouping.
query const* stats_by(std::string_view group) noexcept;

}  // namespace rebound::store::sql

namespace rebound::store::sql {

// `rebound reclassify` (store/reclassify.cpp).
extern query const reclassify_progress_get;
extern query const reclassify_progress_set;
extern query const reclassify_batch;            // events after $1 older than version $2, $3 at a time
extern query const reclassify_update;           // $1 JSON [{id, reason, severity}], $2 version
extern query const recompute_recipient_state;   // $1 JSON array of recipients

}  // namespace rebound::store::sql
