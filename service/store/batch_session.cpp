// A writer session's staging tables and batch statements (see batch_session.hpp).
#include "store/batch_session.hpp"

#include "store/queries.hpp"
#include "store/session.hpp"

#include <array>
#include <string>

namespace rebound::store {

namespace {

/// Prepared as soon as the session opens: all but new_event_keys run by name
/// with SQL EXECUTE, and libpqxx would otherwise prepare them only at a first
/// exec_prepared that never comes.
std::array<sql::query const*, 10> const batch_statements{
    &sql::lock_shards,          &sql::merge_staged,        &sql::upsert_recipient_state,
    &sql::upsert_daily_stats,   &sql::upsert_daily_totals, &sql::upsert_daily_domain_totals,
    &sql::open_notices,         &sql::resolve_notices_by_delivery, &sql::new_event_count,
    &sql::new_event_keys,
};

void
execute(std::string& out, sql::query const& q)
{
    out += "EXECUTE ";
    out += q.name;
    out += ';';
}

/// `EXECUTE name('literal');` for a literal made by rebound itself (an int[]
/// or text[] of known words), which never holds a quote.
void
execute(std::string& out, sql::query const& q, std::string_view literal)
{
    out += "EXECUTE ";
    out += q.name;
    out += "('";
    out += literal;
    out += "');";
}

}  // namespace

std::string
reasons_literal(std::span<std::string const> reasons)
{
    std::string out(1, '{');
    for (auto const& r : reasons) {
        if (out.size() > 1) out += ',';
        out += r;
    }
    out += '}';
    return out;
}

void
batch_session::open(pqxx::connection& conn)
{
    set_up_session(conn);  // store/session.hpp: no table scans, no JIT, no silent reconnect
    {
        pqxx::nontransaction tx{conn};
        tx.exec(std::string(sql::create_staging.text));
    }
    for (auto const* q : batch_statements) {
        conn.prepare(std::string(q->name), std::string(q->text));
        conn.prepare_now(std::string(q->name));
    }
    rows_since_vacuum_ = 0;
}

void
batch_session::begin(pqxx::work& tx, std::string_view shard_list)
{
    sql_.clear();
    execute(sql_, sql::lock_shards, shard_list);
    sql_ += sql::clear_staging.text;
    tx.exec(sql_);
}

std::size_t
batch_session::fold(pqxx::work& tx, fold_steps const& steps)
{
    sql_.clear();
    execute(sql_, sql::merge_staged);
    if (steps.state) execute(sql_, sql::upsert_recipient_state);
    if (steps.rollups) {
        auto const slot = std::to_string(steps.slot);
        execute(sql_, sql::upsert_daily_stats, slot);
        execute(sql_, sql::upsert_daily_totals, slot);
        execute(sql_, sql::upsert_daily_domain_totals, slot);
    }
    if (!steps.open_notices.empty()) execute(sql_, sql::open_notices, steps.open_notices);
    if (steps.resolve_notices) execute(sql_, sql::resolve_notices_by_delivery);
    execute(sql_, sql::new_event_count);
    return tx.exec1(sql_)[0].as<std::size_t>();
}

pqxx::result
batch_session::new_keys(pqxx::work& tx)
{
    return tx.exec_prepared(std::string(sql::new_event_keys.name));
}

bool
batch_session::committed(pqxx::connection& conn, std::size_t rows)
{
    rows_since_vacuum_ += rows;
    if (rows_since_vacuum_ < vacuum_after_rows) return false;
    // VACUUM cannot run inside a transaction block.
    pqxx::nontransaction tx{conn};
    tx.exec(std::string(sql::vacuum_staging.text));
    rows_since_vacuum_ = 0;
    return true;
}

}  // namespace rebound::store
