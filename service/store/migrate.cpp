// Applies the embedded migrations (see migrate.hpp).
#include "store/migrate.hpp"

#include "store/queries.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <set>

namespace rebound::store {

int
latest_migration_version() noexcept
{
    auto const all = embedded_migrations();
    return all.empty() ? 0 : all.back().version;
}

boost::system::result<migrate_report, migrate_error>
migrate(std::string const& conninfo)
{
    std::unique_ptr<pqxx::connection> connection;
    try {
        connection = std::make_unique<pqxx::connection>(conninfo);
    } catch (std::exception const& e) {
        return migrate_error{e.what(), true};
    }
    auto& conn = *connection;
    try {
        migrate_report report;
        {
            pqxx::work tx{conn};
            tx.exec0(std::string(sql::create_migrations_table.text));
            tx.commit();
        }
        for (auto const& m : embedded_migrations()) {
            pqxx::work tx{conn};
            tx.exec(std::string(sql::migration_lock.text));
            // Re-read under the lock: another instance may have just applied it.
            std::set<int> applied;
            for (auto const& row : tx.exec(std::string(sql::applied_migrations.text))) applied.insert(row[0].as<int>());
            if (applied.count(m.version)) {
                report.current_version = m.version;
                continue;
            }
            tx.exec0(std::string(m.sql));
            tx.exec_params(std::string(sql::record_migration.text), m.version, std::string(m.name));
            tx.commit();
            ++report.applied;
            report.current_version = m.version;
        }
        return report;
    } catch (pqxx::broken_connection const& e) {
        return migrate_error{e.what(), true};
    } catch (std::exception const& e) {
        return migrate_error{e.what(), false};
    }
}

}  // namespace rebound::store
