// Two rebound processes' worth of services on one database, fed overlapping
// duplicate batches at the same time, store each event once and keep the
// per-recipient state exact (advisory shard locks serialise their writers).
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace rebound;

TEST_CASE("two instances on one database store each event once", "[integration][instances]")
{
    config::config cfg;
    cfg.db_writers = 3;  // a different writer count from the second instance on purpose
    test::running_service first{cfg};

    config::config second_cfg = first.cfg();
    second_cfg.db_writers = 2;
    auto created = app::service::create(second_cfg);
    REQUIRE(created.has_value());
    auto& second = **created;
    REQUIRE_FALSE(second.start());
    for (int i = 0; i < 300 && test::http_call(second.port(), "GET", "/readyz").status != 200; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));

    // 40 recipients, each with deferrals then a delivery then deferrals; every
    // batch is sent to both instances, in different orders.
    auto batch = [](int k) {
        std::string body = "[";
        for (int i = 0; i < 200; ++i) {
            int const n = k * 100 + i;  // half of each batch overlaps the next
            int const recipient = n % 40;
            bool const delivered = (n / 40) == 2;
            body += std::string(i ? "," : "") + R"({"email":"r)" + std::to_string(recipient) + R"(@example.com","timestamp":)" +
                    std::to_string(1700000000 + n) + R"(,"event":")" + (delivered ? "delivered" : "deferred") +
                    R"(","response":"451 4.3.0 try later","sg_event_id":"i)" + std::to_string(n) + R"("})";
        }
        return body + "]";
    };
    std::vector<std::future<unsigned>> results;
    for (int k = 0; k < 6; ++k) {
        auto const body = batch(k);
        results.push_back(std::async(std::launch::async, [&first, body] { return first.post("/v1/webhooks/sendgrid", body).status; }));
        results.push_back(std::async(std::launch::async, [&second, body] {
            return test::http_call(second.port(), "POST", "/v1/webhooks/sendgrid", body).status;
        }));
    }
    for (auto& r : results) CHECK(r.get() == 200);
    second.stop();

    int const distinct = 5 * 100 + 200;
    CHECK(first.db().scalar("SELECT count(*) FROM events") == std::to_string(distinct));
    CHECK(first.db().scalar("SELECT count(DISTINCT provider_event_id) FROM events") == std::to_string(distinct));
    // The state matches a recount from the events, for every recipient.
    CHECK(first.db().scalar(R"(
        SELECT count(*) FROM recipient_state s
        WHERE s.soft_streak <> (SELECT count(*) FROM events e
                                WHERE e.recipient = s.recipient AND e.severity = 'soft'
                                  AND e.occurred_at > coalesce(s.last_delivered_at, '-infinity')))") == "0");
    CHECK(first.db().scalar("SELECT sum(events) FROM daily_stats") == std::to_string(distinct));
}
