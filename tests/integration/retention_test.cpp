// Retention: raw events live in monthly partitions. Retries that arrive
// after a partition boundary are still de-duplicated, expired months are
// dropped, and the daily rollups and recipient state survive the pruning.
#include "harness.hpp"

#include "store/partitions.hpp"
#include "verify/verify.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>

using namespace rebound;
using rebound::test::running_service;

using rebound::test::sendgrid_event;

namespace {

constexpr char const* token = "retention-read-token";

config::config
with_token()
{
    config::config cfg;
    cfg.api_tokens.push_back({"reader", verify::sha256_hex(token), {"read"}});
    return cfg;
}

std::string
get(running_service& svc, std::string const& target)
{
    auto const r = test::http_call(svc.port(), "GET", target, {}, {{"Authorization", std::string("Bearer ") + token}});
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.body;
}

/// Posts a batch and returns the response body.
std::string
post(running_service& svc, std::vector<std::string> const& events)
{
    std::string body = "[";
    for (std::size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
    body += "]";
    auto const r = svc.post("/v1/webhooks/sendgrid", body);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.body;
}

/// Seconds since the epoch of 00:00 UTC on the first day of the month
/// `months_back` months before the current one.
long long
month_start(int months_back)
{
    using namespace std::chrono;
    auto const today = year_month_day{floor<days>(system_clock::now())};
    auto const ym = year_month{today.year(), today.month()} - months{months_back};
    return duration_cast<seconds>(sys_days{ym / 1}.time_since_epoch()).count();
}

store::maintenance_report
maintain(running_service& svc, unsigned ahead, unsigned keep)
{
    auto const r = store::maintain_partitions(svc.db().conninfo(), {ahead, keep});
    INFO((r ? std::string() : r.error()));
    REQUIRE(r.has_value());
    return *r;
}

}  // namespace

TEST_CASE("events are stored in monthly partitions, made ahead of time", "[integration][retention]")
{
    running_service svc;
    // The service's first maintenance pass ran before it accepted anything.
    auto const ahead = svc.db().scalar(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass "
        "AND inhrelid::regclass::text ~ '^events_p[0-9]{4}_[0-9]{2}$'");
    CHECK(std::stoi(ahead) >= 4);  // this month and three ahead

    auto const now = std::time(nullptr);
    post(svc, {sendgrid_event("p-now", "a@example.com", "delivered", now)});
    CHECK(svc.db().scalar("SELECT tableoid::regclass::text FROM events WHERE provider_event_id = 'p-now'").starts_with("events_p"));
}

TEST_CASE("a retry after a partition boundary is still a duplicate", "[integration][retention][dedup]")
{
    running_service svc;
    auto const boundary = month_start(0);
    // One event in the last second of the previous month, one in the first of
    // this month, and one dated far ahead, beyond every partition made so far.
    auto const far = month_start(-20);
    std::vector<std::string> const batch{sendgrid_event("b-before", "a@example.com", "deferred", boundary - 1),
                                         sendgrid_event("b-after", "a@example.com", "deferred", boundary),
                                         sendgrid_event("b-far", "a@example.com", "delivered", far)};
    CHECK(post(svc, batch).find(R"("accepted":3)") != std::string::npos);
    CHECK(svc.db().scalar("SELECT tableoid::regclass::text FROM events WHERE provider_event_id = 'b-far'") == "events_default");
    CHECK(svc.db().scalar("SELECT count(DISTINCT tableoid) FROM events WHERE provider_event_id IN ('b-before', 'b-after')") == "2");

    // Time passes: partitions are made further ahead and the far event moves
    // out of the default partition into its own month.
    auto const r = maintain(svc, 24, 0);
    CHECK(r.created >= 1);
    CHECK(svc.db().scalar("SELECT tableoid::regclass::text FROM events WHERE provider_event_id = 'b-far'").starts_with("events_p"));

    // The ESP retries all three: nothing new is stored.
    auto const replay = post(svc, batch);
    CHECK(replay.find(R"("accepted":0)") != std::string::npos);
    CHECK(replay.find(R"("duplicates":3)") != std::string::npos);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "3");
    CHECK(svc.db().scalar("SELECT soft_streak FROM recipient_state WHERE recipient = 'a@example.com'") == "0");
}

TEST_CASE("expired months are dropped; rollups and recipient state survive", "[integration][retention]")
{
    running_service svc{with_token()};
    auto const old_day = month_start(5) + 86400 * 3 + 3600;  // the 4th, five months ago
    auto const recent = std::time(nullptr) - 60;
    post(svc, {sendgrid_event("r-old-1", "gone@example.com", "bounce", old_day),
               sendgrid_event("r-old-2", "soft@example.com", "deferred", old_day),
               sendgrid_event("r-old-3", "soft@example.com", "delivered", old_day - 600),
               sendgrid_event("r-new-1", "soft@example.com", "deferred", recent)});
    // Old events wait in the default partition until a pass gives their month
    // a partition of its own (retention 0 keeps everything).
    maintain(svc, 3, 0);
    CHECK(svc.db().scalar("SELECT count(*) FROM events_default") == "0");

    auto const old_date = svc.db().scalar("SELECT (to_timestamp(" + std::to_string(old_day) + ") AT TIME ZONE 'UTC')::date");
    auto const stats_target = "/v1/stats?group_by=day&from=" + old_date + "&to=" +
                              svc.db().scalar("SELECT (now() AT TIME ZONE 'UTC')::date");
    auto const stats_before = get(svc, stats_target);
    auto const state_before = svc.db().scalar("SELECT string_agg(concat_ws('|', recipient, last_event_type, soft_streak, "
                                              "hard_reason, last_delivered_at), ';' ORDER BY recipient) FROM recipient_state");
    auto const status_before = get(svc, "/v1/recipients/gone@example.com");

    // Keep two whole months: the month five months ago goes.
    auto const r = maintain(svc, 3, 2);
    CHECK(r.dropped >= 1);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "1");
    CHECK(svc.db().scalar("SELECT provider_event_id FROM events") == "r-new-1");

    // The rates, the state and the answers are unchanged.
    CHECK(get(svc, stats_target) == stats_before);
    CHECK(stats_before.find(old_date) != std::string::npos);
    CHECK(svc.db().scalar("SELECT string_agg(concat_ws('|', recipient, last_event_type, soft_streak, hard_reason, "
                          "last_delivered_at), ';' ORDER BY recipient) FROM recipient_state") == state_before);
    auto const status_after = get(svc, "/v1/recipients/gone@example.com");
    CHECK(status_after == status_before);
    CHECK(status_after.find(R"("needs_address_change":true)") != std::string::npos);

    // A second pass has nothing left to do.
    auto const again = maintain(svc, 3, 2);
    CHECK(again.dropped == 0);
    CHECK(again.created == 0);
}

TEST_CASE("key text columns compare bytewise in every partition", "[integration][retention][schema]")
{
    running_service svc;
    // A column of another collation joined with these loses the index (the
    // comparison takes the other side's collation): a batch whose state
    // lookup fell back to scanning recipient_state ran at 400 events/s.
    // Every text column the ingest path keys, groups or joins on is "C",
    // including those of the partitions maintenance makes.
    maintain(svc, 6, 0);
    auto const not_c = svc.db().scalar(R"sql(
        SELECT coalesce(string_agg(c.relname || '.' || a.attname || ' ' || coalesce(co.collname, '?'), ', '), '')
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
          AND c.relkind IN ('r', 'p')
          AND (c.relname IN ('events', 'recipient_state', 'notices', 'daily_stats', 'daily_totals',
                             'daily_domain_totals', 'rejected_events', 'provider_notices')
               OR c.relname ~ '^events_(p[0-9]{4}_[0-9]{2}|default)$')
          AND a.attname NOT IN ('diagnostic', 'remote_mta', 'url', 'topic')
          AND co.collname IS DISTINCT FROM 'C')sql");
    CHECK(not_c == "");
    CHECK(std::stoi(svc.db().scalar("SELECT count(*) FROM pg_class WHERE relname ~ '^events_p[0-9]{4}_[0-9]{2}$'")) >= 7);
}
