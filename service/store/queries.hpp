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
extern query const merge_staged;        // staging -> events, de-duplicated; returns inserted keys
extern query const upsert_recipient_state;
extern std::string_view const staging_table;
extern std::string_view const rejected_table;

// Health.
extern query const readiness;

}  // namespace rebound::store::sql
