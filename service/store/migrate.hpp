// Forward-only schema migrations, embedded in the binary from schema/*.sql.
#pragma once

#include <boost/system/result.hpp>

#include <span>
#include <string>
#include <string_view>

namespace rebound::store {

struct migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

/// schema/NNN_*.sql in version order (generated at build time).
std::span<migration const> embedded_migrations() noexcept;

/// The newest embedded version; /readyz compares the database against it.
int latest_migration_version() noexcept;

struct migrate_report {
    int applied = 0;
    int current_version = 0;
};

struct migrate_error {
    std::string message;
    bool unreachable = false;  // no connection at all, as opposed to a migration that failed
};

/// Applies every embedded migration not yet recorded in schema_migrations,
/// each in its own transaction, under an advisory lock. `conninfo` "" means
/// the libpq environment (PGHOST, PGDATABASE, ...). Startup-only: errors come
/// back as text for the operator.
boost::system::result<migrate_report, migrate_error> migrate(std::string const& conninfo);

}  // namespace rebound::store
