// The plans of the service's prepared statements (store/session.hpp): the
// writer's batch statements and the readers' lookups must find rows by
// index in the tables they only touch a few rows of, even in the generic
// plan PostgreSQL settles on while those tables are analyzed as empty, as
// autovacuum leaves them on a new install.
#include "harness.hpp"
#include "store/batch_session.hpp"
#include "store/migrate.hpp"
#include "store/queries.hpp"
#include "store/session.hpp"

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

/// A migrated scratch database whose tables autovacuum has just analyzed
/// empty, as on a new install.
void
analyze_empty(test::scratch_database& db)
{
    REQUIRE(store::migrate(db.conninfo()).has_value());
    pqxx::connection conn{db.conninfo()};
    pqxx::nontransaction tx{conn};
    tx.exec("VACUUM (ANALYZE)");
    REQUIRE(tx.exec1("SELECT reltuples FROM pg_class WHERE relname = 'recipient_state'")[0].as<double>() == 0);
}

// A scan of anything but the writer's own staging tables reads the whole
// table once per batch or request (or per row, inside a lookup).
std::regex const table_scan{R"(Seq Scan on (recipient_state|notices|notice_history|events\w*|daily_\w+)\b)"};

}  // namespace

TEST_CASE("a writer's batch statements look rows up by index even when the tables were analyzed empty",
          "[integration][store]")
{
    test::scratch_database db;
    analyze_empty(db);
    pqxx::connection conn{db.conninfo()};
    store::batch_session session;
    session.open(conn);

    // Every statement batch_session prepares (store/batch_session.cpp).
    std::string const statements[] = {
        "EXECUTE lock_shards('{1,2}')",
        "EXECUTE merge_staged",
        "EXECUTE upsert_recipient_state",
        "EXECUTE upsert_daily_stats('0')",
        "EXECUTE upsert_daily_totals('0')",
        "EXECUTE upsert_daily_domain_totals('0')",
        "EXECUTE open_notices('{userunknown}')",
        "EXECUTE resolve_notices_by_delivery",
        "EXECUTE new_event_count",
        "EXECUTE new_event_keys",
    };
    for (auto const& s : statements) {
        auto const plan = generic_plan(conn, s);
        INFO(s << "\n" << plan);
        CHECK_FALSE(std::regex_search(plan, table_scan));
        CHECK(plan.find("JIT") == std::string::npos);
    }
}

TEST_CASE("the readers' lookups use indexes even when the tables were analyzed empty", "[integration][store]")
{
    test::scratch_database db;
    analyze_empty(db);
    pqxx::connection conn{db.conninfo()};
    store::set_up_session(conn);  // as store/read_pool.cpp does

    // The lookups app backends make per request: a status page, a batch of
    // addresses, a user's addresses, one address's history, one notice.
    std::pair<store::sql::query const*, std::string> const lookups[] = {
        {&store::sql::recipients_by_address, R"(('["a@example.org","b@example.org"]'))"},
        {&store::sql::recipients_by_user, R"(('["u-1"]'))"},
        {&store::sql::recipient_timeline, "('a@example.org', '', '', 20)"},
        {&store::sql::notice_get, "(1)"},
    };
    for (auto const& [q, args] : lookups) {
        conn.prepare(std::string(q->name), std::string(q->text));
        conn.prepare_now(std::string(q->name));
        auto const plan = generic_plan(conn, "EXECUTE " + std::string(q->name) + args);
        INFO(q->name << "\n" << plan);
        CHECK_FALSE(std::regex_search(plan, table_scan));
        CHECK(plan.find("JIT") == std::string::npos);
    }
}
