// recipient_state is folded in batch by batch (store/queries.cpp,
// upsert_recipient_state) while events arrive out of order, several per
// recipient per batch, and with retries. Whatever the order, the result must
// be what the stored events say. The expected values here are computed from
// `events` with plain DISTINCT ON queries, independently of the incremental
// SQL.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace rebound;

namespace {

/// One SendGrid event of a random kind, with failures worded so that
/// several soft and hard reasons occur.
std::string
random_event(std::mt19937& rng, std::string const& id, std::string const& email, long long ts)
{
    static char const* const soft[] = {
        "452 4.2.2 The email account that you tried to reach is over quota.",
        "421 4.7.0 Try again later, closing connection. (too many connections)",
        "451 4.4.1 Timeout while connecting to the receiving server",
    };
    static char const* const hard[] = {
        "550 5.1.1 The email account that you tried to reach does not exist.",
        "550 5.1.2 Host unknown: domain not found",
        "550 5.2.1 The email account that you tried to reach is disabled.",
    };
    std::string const user = (rng() % 3 == 0) ? "" : R"(,"user_id":"u)" + std::to_string(rng() % 5) + '"';
    std::string const head = R"({"email":")" + email + R"(","timestamp":)" + std::to_string(ts) + R"(,"sg_event_id":")" + id + '"' + user;
    switch (rng() % 8) {
    case 0:
    case 1:
    case 2: return head + R"(,"event":"delivered","response":"250 2.0.0 OK"})";
    case 3:
    case 4: return head + R"(,"event":"deferred","response":")" + soft[rng() % 3] + R"("})";
    case 5: return head + R"(,"event":"bounce","type":"bounce","reason":")" + hard[rng() % 3] + R"("})";
    case 6: return head + R"(,"event":"dropped","reason":"Bounced Address"})";
    default: return head + R"(,"event":"spamreport"})";
    }
}

}  // namespace

TEST_CASE("recipient state after shuffled, overlapping batches is what the stored events say", "[integration][state]")
{
    test::running_service svc;
    std::mt19937 rng{20261122};

    // 12 recipients, 360 events at distinct times, posted in random order in
    // batches of 1 to 40; one batch in six is sent twice (an ESP retry).
    std::vector<std::string> events;
    for (int i = 0; i < 360; ++i)
        events.push_back(random_event(rng, "st" + std::to_string(i), "r" + std::to_string(rng() % 12) + "@example.com",
                                      1700000000LL + 7LL * i));
    std::shuffle(events.begin(), events.end(), rng);
    for (std::size_t at = 0; at < events.size();) {
        std::size_t const n = std::min<std::size_t>(1 + rng() % 40, events.size() - at);
        std::string body = "[";
        for (std::size_t k = 0; k < n; ++k) body += (k ? "," : "") + events[at + k];
        body += "]";
        at += n;
        for (int send = 0; send < (rng() % 6 == 0 ? 2 : 1); ++send) REQUIRE(svc.post("/v1/webhooks/sendgrid", body).status == 200);
    }

    auto const actual = svc.db().scalar(R"sql(
        SELECT string_agg(concat_ws('|', recipient, last_event_type, last_event_at, coalesce(user_ref, '-'),
                                    coalesce(last_soft_reason, '-'), coalesce(last_soft_at::text, '-'),
                                    coalesce(hard_reason, '-'), coalesce(hard_bounced_at::text, '-'),
                                    coalesce(last_delivered_at::text, '-'), soft_streak), ';' ORDER BY recipient)
        FROM recipient_state)sql");
    auto const expected = svc.db().scalar(R"sql(
        WITH newest AS (
            SELECT DISTINCT ON (recipient) recipient, event_type, occurred_at FROM events ORDER BY recipient, occurred_at DESC
        ), newest_user AS (
            SELECT DISTINCT ON (recipient) recipient, user_ref FROM events WHERE user_ref IS NOT NULL
            ORDER BY recipient, occurred_at DESC
        ), newest_soft AS (
            SELECT DISTINCT ON (recipient) recipient, reason, occurred_at FROM events WHERE severity = 'soft'
            ORDER BY recipient, occurred_at DESC
        ), newest_hard AS (
            SELECT DISTINCT ON (recipient) recipient, reason, occurred_at FROM events
            WHERE event_type = 'bounce' AND severity = 'hard' ORDER BY recipient, occurred_at DESC
        ), delivered AS (
            SELECT recipient, max(occurred_at) AS at FROM events WHERE event_type = 'delivered' GROUP BY recipient
        ), streak AS (
            SELECT e.recipient, count(*) FILTER (WHERE e.severity = 'soft' AND e.occurred_at > coalesce(d.at, '-infinity')) AS n
            FROM events e LEFT JOIN delivered d USING (recipient) GROUP BY e.recipient
        )
        SELECT string_agg(concat_ws('|', n.recipient, n.event_type, n.occurred_at, coalesce(u.user_ref, '-'),
                                    coalesce(s.reason, '-'), coalesce(s.occurred_at::text, '-'),
                                    coalesce(h.reason, '-'), coalesce(h.occurred_at::text, '-'),
                                    coalesce(d.at::text, '-'), k.n), ';' ORDER BY n.recipient)
        FROM newest n
        LEFT JOIN newest_user u USING (recipient)
        LEFT JOIN newest_soft s USING (recipient)
        LEFT JOIN newest_hard h USING (recipient)
        LEFT JOIN delivered d USING (recipient)
        JOIN streak k USING (recipient))sql");
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "360");
    // The workload must exercise what it claims to.
    CHECK(std::stoi(svc.db().scalar("SELECT count(DISTINCT reason) FROM events WHERE severity = 'soft'")) >= 2);
    CHECK(std::stoi(svc.db().scalar("SELECT count(DISTINCT reason) FROM events WHERE severity = 'hard'")) >= 2);
    CHECK(std::stoi(svc.db().scalar("SELECT count(*) FROM recipient_state WHERE soft_streak > 0")) >= 1);
    CHECK(actual == expected);
}
