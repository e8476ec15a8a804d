// The stats rollups (schema/005_rollups.sql) against daily_stats: after a
// crafted ingest over several days, domains, providers, sources and writer
// slots, the ingest-maintained rollups hold exactly daily_stats' counts, the
// migration's backfill computes the same rows, and every stats grouping and
// filter combination answers the same from the rollup it is routed to as from
// daily_stats — so moving GET /v1/stats onto the rollups changed no answer.
#include "harness.hpp"

#include "store/migrate.hpp"
#include "store/queries.hpp"
#include "verify/verify.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <sstream>
#include <stdexcept>

using namespace rebound;
using rebound::test::running_service;

using rebound::test::sendgrid_event;

namespace {

constexpr char const* read_token = "rollups-read-token";

long long
now_s()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string
utc_day(long long epoch_s)
{
    std::time_t const t = static_cast<std::time_t>(epoch_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

/// A generic (rebound's own format) event; a soft bounce is a 452 mailbox-full bounce.
std::string
generic(std::string const& id, std::string const& email, std::string const& type, long long ts)
{
    std::ostringstream o;
    o << R"({"event_id":")" << id << R"(","recipient":")" << email << R"(","occurred_at":)" << ts;
    if (type == "softbounce")
        o << R"(,"type":"bounce","smtp_code":452,"enhanced_status":"4.2.2","diagnostic":"452 4.2.2 Mailbox full")";
    else if (type == "bounce")
        o << R"(,"type":"bounce","smtp_code":550,"enhanced_status":"5.1.1","diagnostic":"550 5.1.1 User unknown")";
    else if (type == "deferred")
        o << R"(,"type":"deferred","smtp_code":421,"enhanced_status":"4.7.0","diagnostic":"421 4.7.0 Try again later")";
    else
        o << R"(,"type":")" << type << '"';
    return o.str() + "}";
}

void
post(running_service& svc, std::string const& path, std::vector<std::string> const& events)
{
    std::string body = "[";
    for (std::size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
    auto const r = svc.post(path, body + "]");
    INFO(path << " -> " << r.body);
    REQUIRE(r.status == 200);
}

/// Rows of a query as text, NULL read as 0 the way the stats API reads absent counts.
std::vector<std::vector<std::string>>
rows_of(pqxx::result const& r)
{
    std::vector<std::vector<std::string>> out;
    for (auto const& row : r) {
        auto& o = out.emplace_back();
        for (auto const& f : row) o.push_back(f.is_null() ? "0" : f.c_str());
    }
    return out;
}

std::vector<std::string>
columns_of(pqxx::result const& r)
{
    std::vector<std::string> out;
    for (pqxx::row::size_type c = 0; c < r.columns(); ++c) out.emplace_back(r.column_name(c));
    return out;
}

/// The daily_stats statement for a grouping: the reference every rollup answer must equal.
store::sql::query const&
detailed(std::string const& group)
{
    for (auto const* q : store::sql::stats_statements())
        if (q->name == "stats_by_" + group + "_detailed") return *q;
    FAIL("no daily_stats statement for " << group);
    throw std::logic_error("unreachable");
}

/// A crafted history: 5 days (one outside the default 30-day window), 3
/// domains, SendGrid on two sources and the generic provider, every event
/// type, hard and soft bounces, a replayed request, spread over both writers.
void
ingest_history(running_service& svc, long long now)
{
    char const* const domains[] = {"alpha.example", "beta.example", "gamma.example"};
    char const* const sg_kinds[] = {"delivered", "deferred", "bounce", "blocked", "dropped", "spamreport", "delivered"};
    char const* const gen_kinds[] = {"delivered", "softbounce", "bounce", "deferred", "delivered"};
    for (int k : {0, 1, 2, 5, 40}) {
        long long const t = now - k * 86400LL - 300;
        std::vector<std::string> sg_main, sg_mkt, gen;
        for (int d = 0; d < 3; ++d)
            for (int i = 0; i < 8; ++i) {
                auto const who = "r" + std::to_string(i) + "@" + domains[d];
                auto const id = std::to_string(k) + "-" + std::to_string(d) + "-" + std::to_string(i);
                sg_main.push_back(sendgrid_event("sg-" + id, who, sg_kinds[(i + k + d) % 7], t + i));
                if (i % 2 == 0) sg_mkt.push_back(sendgrid_event("mkt-" + id, who, sg_kinds[(i + 2 * k) % 7], t + i + 1));
                if (d != 1 || i < 4) gen.push_back(generic("gen-" + id, who, gen_kinds[(i + d + k) % 5], t + i + 2));
            }
        post(svc, "/v1/webhooks/sendgrid", sg_main);
        post(svc, "/v1/webhooks/sendgrid/mkt", sg_mkt);
        post(svc, "/v1/webhooks/generic/mx1", gen);
        if (k == 1) post(svc, "/v1/webhooks/sendgrid", sg_main);  // duplicates must not count twice
    }
}

}  // namespace

TEST_CASE("stats rollups hold exactly daily_stats' counts", "[integration][stats][rollups]")
{
    running_service svc;
    ingest_history(svc, now_s());
    auto& db = svc.db();

    REQUIRE(db.scalar("SELECT count(*) FROM events") == "280");
    CHECK(db.scalar("SELECT sum(events) FROM daily_stats") == "280");
    CHECK(db.scalar("SELECT sum(events) FROM daily_totals") == "280");
    CHECK(db.scalar("SELECT sum(delivered + hard_bounces + soft_bounces + blocks + deferrals + drops + complaints) "
                    "FROM daily_domain_totals") == "280");
    // Both writers wrote: the rows are kept per writer slot.
    CHECK(db.scalar("SELECT count(DISTINCT slot) FROM daily_totals") == "2");
    CHECK(db.scalar("SELECT count(DISTINCT event_type) FROM daily_totals") == "6");
    CHECK(db.scalar("SELECT count(*) FROM daily_totals WHERE event_type = 'bounce' AND severity = 'soft'") != "0");

    // Row for row, slot by slot: daily_stats without the domain, and per domain.
    std::string const totals_from_stats = R"sql(
        SELECT day, provider, source, event_type, reason, severity, slot, sum(events) AS events
        FROM daily_stats GROUP BY 1, 2, 3, 4, 5, 6, 7)sql";
    std::string const domains_from_stats = R"sql(
        SELECT day, recipient_domain, slot,
               coalesce(sum(events) FILTER (WHERE event_type = 'delivered'), 0) AS delivered,
               coalesce(sum(events) FILTER (WHERE event_type = 'bounce' AND severity = 'hard'), 0) AS hard_bounces,
               coalesce(sum(events) FILTER (WHERE event_type = 'bounce' AND severity <> 'hard'), 0) AS soft_bounces,
               coalesce(sum(events) FILTER (WHERE event_type = 'block'), 0) AS blocks,
               coalesce(sum(events) FILTER (WHERE event_type = 'deferred'), 0) AS deferrals,
               coalesce(sum(events) FILTER (WHERE event_type = 'drop'), 0) AS drops,
               coalesce(sum(events) FILTER (WHERE event_type = 'complaint'), 0) AS complaints
        FROM daily_stats GROUP BY 1, 2, 3)sql";
    std::string const totals = "SELECT day, provider, source, event_type, reason, severity, slot, events FROM daily_totals";
    std::string const domains = "SELECT day, recipient_domain, slot, delivered, hard_bounces, soft_bounces, blocks, "
                                "deferrals, drops, complaints FROM daily_domain_totals";
    auto differing = [&](std::string const& a, std::string const& b) {
        return db.scalar("SELECT count(*) FROM ((" + a + " EXCEPT ALL " + b + ") UNION ALL (" + b + " EXCEPT ALL " + a + ")) x");
    };
    CHECK(db.scalar("SELECT count(*) FROM daily_domain_totals") == db.scalar("SELECT count(*) FROM (" + domains_from_stats + ") x"));
    CHECK(differing(totals, totals_from_stats) == "0");
    CHECK(differing(domains, domains_from_stats) == "0");

    SECTION("the migration's backfill computes the same rows as the ingest")
    {
        std::string backfill;
        for (auto const& m : store::embedded_migrations())
            if (m.version == 5) backfill = std::string(m.sql);
        REQUIRE_FALSE(backfill.empty());
        db.query("CREATE TABLE ingested_totals AS " + totals);
        db.query("CREATE TABLE ingested_domains AS " + domains);
        db.query("TRUNCATE daily_totals, daily_domain_totals");
        // Only the migration's INSERT … SELECT statements: its tables and indexes exist.
        std::size_t start = 0;
        int inserts = 0;
        while (start < backfill.size()) {
            auto end = backfill.find(';', start);
            if (end == std::string::npos) end = backfill.size();
            std::string stmt = backfill.substr(start, end - start);
            start = end + 1;
            std::istringstream lines(stmt);
            std::string line, code;
            while (std::getline(lines, line))
                if (line.rfind("--", 0) != 0) code += line + "\n";
            if (code.find_first_not_of(" \n") == std::string::npos) continue;
            if (code.substr(code.find_first_not_of(" \n"), 6) != "INSERT") continue;
            db.query(code);
            ++inserts;
        }
        CHECK(inserts == 2);
        CHECK(differing(totals, "SELECT * FROM ingested_totals") == "0");
        CHECK(differing(domains, "SELECT * FROM ingested_domains") == "0");
    }
}

TEST_CASE("every stats grouping and filter answers the same from the rollups as from daily_stats",
          "[integration][stats][rollups]")
{
    config::config cfg;
    cfg.api_tokens.push_back({"reader", verify::sha256_hex(read_token), {"read"}});
    running_service svc{cfg};
    auto const now = now_s();
    ingest_history(svc, now);
    auto& db = svc.db();

    auto const today = utc_day(now);
    auto const month = utc_day(now - 29 * 86400LL);   // the API's default window
    auto const long_ago = utc_day(now - 60 * 86400LL);  // includes the day 40 days back
    auto const reason = db.scalar("SELECT reason FROM daily_stats WHERE event_type = 'bounce' AND severity = 'hard' LIMIT 1");
    REQUIRE_FALSE(reason.empty());

    struct filters {
        std::string provider, source, domain, reason;
    };
    std::vector<filters> const cases{
        {},
        {"", "", "beta.example", ""},
        {"", "", "ALPHA.example", ""},
        {"sendgrid", "", "", ""},
        {"sendgrid", "mkt", "", ""},
        {"", "", "", reason},
        {"generic", "", "gamma.example", ""},
        {"", "", "alpha.example", reason},
        {"", "", "nowhere.example", ""},
    };
    pqxx::connection conn{db.conninfo()};
    int rollup_answers = 0, non_empty = 0;
    for (std::string const group : {"day", "provider", "source", "domain", "reason"})
        for (auto const& f : cases)
            for (auto const& from : {month, long_ago}) {
                store::sql::stats_filters const given{!f.provider.empty(), !f.source.empty(), !f.domain.empty(), !f.reason.empty()};
                auto const* q = store::sql::stats_by(group, given);
                REQUIRE(q != nullptr);
                auto const& reference = detailed(group);
                std::vector<std::string> const params{from, today, f.provider, f.source, f.domain, f.reason};
                INFO("group_by=" << group << " provider=" << f.provider << " source=" << f.source << " domain=" << f.domain
                                 << " reason=" << f.reason << " from=" << from << " via " << q->name);
                pqxx::work tx{conn};
                tx.exec0(std::string(store::sql::force_custom_plan.text));
                conn.prepare(std::string(q->name), std::string(q->text));
                conn.prepare(std::string(reference.name), std::string(reference.text));
                auto const got = tx.exec_prepared(std::string(q->name), pqxx::prepare::make_dynamic_params(params));
                auto const want = tx.exec_prepared(std::string(reference.name), pqxx::prepare::make_dynamic_params(params));
                tx.commit();
                CHECK(columns_of(got) == columns_of(want));
                CHECK(rows_of(got) == rows_of(want));
                if (q->name != reference.name) ++rollup_answers;
                if (!want.empty()) ++non_empty;
            }
    // The routing really uses the rollups, and the comparisons compared something.
    CHECK(rollup_answers == 46);
    CHECK(non_empty >= 60);
    CHECK(std::string(store::sql::stats_by("day")->text).find("FROM daily_totals") != std::string::npos);
    CHECK(std::string(store::sql::stats_by("domain")->text).find("FROM daily_domain_totals") != std::string::npos);
    CHECK(std::string(store::sql::stats_by("day", {false, false, true, false})->text).find("FROM daily_domain_totals") != std::string::npos);
    CHECK(std::string(store::sql::stats_by("provider", {false, false, true, false})->text).find("FROM daily_stats") != std::string::npos);
    CHECK(store::sql::stats_by("color") == nullptr);

    SECTION("over HTTP, the answers are daily_stats' numbers")
    {
        auto get = [&](std::string const& target) {
            auto const r = test::http_call(svc.port(), "GET", target, {}, {{"Authorization", std::string("Bearer ") + read_token}});
            INFO(target << " -> " << r.status << " " << r.body);
            REQUIRE(r.status == 200);
            return boost::json::parse(r.body);
        };
        struct http_case {
            std::string query, group;
            std::vector<std::string> params;
        };
        std::vector<http_case> const http_cases{
            {"group_by=day", "day", {month, today, "", "", "", ""}},
            {"group_by=domain", "domain", {month, today, "", "", "", ""}},
            {"group_by=day&domain=beta.example", "day", {month, today, "", "", "beta.example", ""}},
            {"group_by=reason&provider=sendgrid&from=" + long_ago, "reason", {long_ago, today, "sendgrid", "", "", ""}},
            {"group_by=source&domain=alpha.example&reason=" + reason, "source", {month, today, "", "", "alpha.example", reason}},
        };
        char const* const measures[] = {"delivered", "hard_bounces", "soft_bounces", "blocks", "deferrals", "drops", "complaints"};
        for (auto const& c : http_cases) {
            INFO(c.query);
            auto const body = get("/v1/stats?" + c.query);
            auto const& items = body.at("items").as_array();
            pqxx::work tx{conn};
            auto const& reference = detailed(c.group);
            conn.prepare(std::string(reference.name), std::string(reference.text));
            auto const want = tx.exec_prepared(std::string(reference.name), pqxx::prepare::make_dynamic_params(c.params));
            tx.commit();
            REQUIRE(items.size() == want.size());
            REQUIRE_FALSE(items.empty());
            for (std::size_t i = 0; i < items.size(); ++i) {
                auto const& o = items[i].as_object();
                for (auto const* m : measures) {
                    auto const& cell = want[static_cast<pqxx::result::size_type>(i)][m];
                    CHECK(o.at(m).as_int64() == (cell.is_null() ? 0 : cell.as<long long>()));
                }
                auto const key = want.column_name(0);
                CHECK(o.at(key).as_string() == want[static_cast<pqxx::result::size_type>(i)][0].c_str());
            }
        }
    }
}
