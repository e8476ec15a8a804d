// The plans of a writer's batch statements (store/batch_session.hpp): they
// must look rows up by index in the tables a batch only touches a few rows
// of, even in the generic plan PostgreSQL settles on while those tables are
// analyzed as empty, as autovacuum leaves them on a new install.
#include "harness.hpp"
#include "store/batch_session.hpp"
#include "store/migrate.hpp"
#include "store/queries.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <regex>
#include <string>

using namespace rebound;

namespace {

/// The plan PostgreSQL caches for a prepared statement, as text.
std::string
generic_plan(pqxx::connection& conn, std::string const& execute)
{
    pqxx::nontransaction tx{conn};
    tx.exec("SET plan_cache_mode = force_generic_plan");
    std::string plan;
    for (auto const& row : tx.exec("EXPLAIN " + execute)) plan += row[0].c_str() + std::string("\n");
    tx.exec("RESET plan_cache_mode");
    return plan;
}

}  // namespace

TEST_CASE("a writer's batch statements look rows up by index even when the tables were analyzed empty",
          "[integration][store]")
{
    test::scratch_database db;
    REQUIRE(store::migrate(db.conninfo()).has_value());
    pqxx::connection conn{db.conninfo()};
    {
        pqxx::nontransaction tx{conn};
        tx.exec("VACUUM (ANALYZE)");  // what autovacuum does to a new install's small tables
    }
    REQUIRE(db.scalar("SELECT reltuples FROM pg_class WHERE relname = 'recipient_state'") == "0");

    store::batch_session session;
    session.open(conn);

    std::string const statements[] = {
        "EXECUTE merge_staged",
        "EXECUTE upsert_recipient_state",
        "EXECUTE open_notices('{userunknown}')",
        "EXECUTE resolve_notices_by_delivery",
        "EXECUTE upsert_daily_stats('0')",
    };
    // A scan of anything but the session's own staging tables reads the
    // whole table once per batch (or per batch row, inside a lookup).
    std::regex const table_scan{R"(Seq Scan on (recipient_state|notices|events\w*|daily_\w+)\b)"};
    for (auto const& s : statements) {
        auto const plan = generic_plan(conn, s);
        INFO(s << "\n" << plan);
        CHECK_FALSE(std::regex_search(plan, table_scan));
        CHECK(plan.find("JIT") == std::string::npos);
    }
}
