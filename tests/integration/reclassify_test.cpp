// `rebound reclassify` re-runs the classifier over stored events, resumably,
// and brings recipient state in line with the new classification.
#include "harness.hpp"

#include "classify/classifier.hpp"
#include "store/reclassify.hpp"

#include <catch2/catch.hpp>

using namespace rebound;

TEST_CASE("reclassify updates old events and the state they feed, and resumes", "[integration][reclassify]")
{
    test::running_service svc;
    auto const body = R"([
      {"email":"a@example.com","timestamp":1700000000,"event":"bounce","type":"bounce","status":"5.1.1",
       "reason":"550 5.1.1 user unknown","sg_event_id":"r1"},
      {"email":"b@example.com","timestamp":1700000000,"event":"deferred","response":"452 4.2.2 mailbox full","sg_event_id":"r2"},
      {"email":"b@example.com","timestamp":1700000100,"event":"deferred","response":"452 4.2.2 mailbox full","sg_event_id":"r3"}])";
    REQUIRE(svc.post("/v1/webhooks/sendgrid", body).status == 200);
    svc.stop();

    // Pretend an older classifier got them wrong: a soft "onhold" for the
    // dead address, and reasons missing for the deferrals.
    svc.db().query("UPDATE events SET reason = 'onhold', severity = 'soft', classifier_version = 0 WHERE provider_event_id = 'r1'");
    svc.db().query("UPDATE events SET reason = NULL, classifier_version = 0 WHERE provider_event_id IN ('r2', 'r3')");
    svc.db().query("UPDATE recipient_state SET hard_bounced_at = NULL, hard_reason = NULL, soft_streak = 1 WHERE recipient = 'a@example.com'");

    auto const r = store::reclassify(svc.db().conninfo(), 2);  // batches of 2: exercises resumption points
    REQUIRE(r.has_value());
    CHECK(r->scanned == 3);
    CHECK(r->changed == 3);

    CHECK(svc.db().scalar("SELECT reason || '/' || severity FROM events WHERE provider_event_id = 'r1'") == "userunknown/hard");
    CHECK(svc.db().scalar("SELECT reason FROM events WHERE provider_event_id = 'r3'") == "mailboxfull");
    CHECK(svc.db().scalar("SELECT min(classifier_version) FROM events") == std::to_string(classify::classifier_version));
    CHECK(svc.db().scalar("SELECT hard_reason FROM recipient_state WHERE recipient = 'a@example.com'") == "userunknown");
    CHECK(svc.db().scalar("SELECT soft_streak FROM recipient_state WHERE recipient = 'a@example.com'") == "0");
    CHECK(svc.db().scalar("SELECT soft_streak || '/' || last_soft_reason FROM recipient_state WHERE recipient = 'b@example.com'") == "2/mailboxfull");
    CHECK(svc.db().scalar("SELECT last_id > 0 FROM reclassify_progress") == "t");

    // A second run finds nothing left to do.
    auto const again = store::reclassify(svc.db().conninfo(), 2);
    REQUIRE(again.has_value());
    CHECK(again->scanned == 0);
}
