// SparkPost mapping: every bounce_class group, the webhook ping, string and
// ISO timestamps, and the transport credentials including the legacy token.
#include "providers/registry.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace rebound;
using rebound::model::event_type;

namespace {

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {})
{
    providers::header_list headers;
    providers::request_view req{body, headers, ""};
    auto r = providers::sparkpost().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

}  // namespace

TEST_CASE("sparkpost maps every event type of a mixed batch", "[providers][sparkpost]")
{
    auto const body = test::read_file(test::own_fixtures() / "sparkpost" / "batch-mixed.json");
    auto const r = parse(body);

    REQUIRE(r.events.size() == 10);
    CHECK(r.ignored == 4);  // out_of_band class 80, open, injection, the {"msys":{}} ping
    REQUIRE(r.rejected.size() == 3);
    CHECK(r.rejected[0].why == "missing_recipient");
    CHECK(r.rejected[1].why == "bad_timestamp");
    CHECK(r.rejected[1].raw_json.find("sp-badts-1") != std::string::npos);
    CHECK(r.rejected[2].why == "missing_msys");

    auto const& del = r.events[0];
    CHECK(del.type == event_type::delivered);
    CHECK(del.provider == "sparkpost");
    CHECK(del.provider_event_id == "sp-del-1");
    CHECK(del.recipient == "alice@example.com");
    CHECK(del.recipient_domain == "example.com");
    CHECK(del.occurred_at == 1700000000LL * 1000000);  // timestamp as a string
    CHECK(del.esp_message_id == "msg-1");
    CHECK(del.remote_mta == "203.0.113.5");
    CHECK(del.user_ref == "u-1");
    CHECK(del.raw_json.view().front() == '{');
    CHECK(del.raw_json.view().find("sp-del-1") != std::string::npos);
    CHECK(del.raw_json.view().find("sp-bnc-1") == std::string::npos);  // per event, not per batch

    auto const& hard = r.events[1];
    CHECK(hard.type == event_type::bounce);  // class 10, Invalid Recipient
    CHECK(hard.smtp_code == 550);
    CHECK(hard.enhanced_status == "5.1.1");
    CHECK(hard.diagnostic.starts_with("550 5.1.1 <bob@example.org>"));  // raw_reason, not the redacted reason
    CHECK(hard.esp_class == "10");
    CHECK(hard.esp_type == "bounce");
    CHECK(hard.user_ref == "42");  // numeric metadata kept as text

    CHECK(r.events[2].type == event_type::deferred);  // class 22, Mailbox Full
    CHECK(r.events[2].smtp_code == 452);
    CHECK(r.events[3].type == event_type::block);  // class 51, Spam Block
    CHECK(r.events[3].enhanced_status == "5.7.1");
    CHECK(r.events[4].type == event_type::drop);  // out_of_band class 25, Admin Failure
    CHECK(r.events[4].diagnostic == "Message generation rejected");
    CHECK_FALSE(r.events[4].smtp_code);

    auto const& delay = r.events[5];
    CHECK(delay.type == event_type::deferred);
    CHECK(delay.smtp_code == 421);
    CHECK(delay.enhanced_status == "4.7.0");  // "421-4.7.0": multi-line reply form

    CHECK(r.events[6].type == event_type::drop);  // policy_rejection
    CHECK(r.events[6].remote_mta.empty());        // remote_addr is the injecting client, not an MTA

    auto const& gen = r.events[7];
    CHECK(gen.type == event_type::drop);  // generation_failure
    CHECK(gen.occurred_at == 1700000008LL * 1000000);  // ISO-8601 timestamp
    CHECK(gen.esp_message_id == "7009");  // no message_id: transmission_id
    CHECK(gen.user_ref == "u-9");         // transmission metadata

    CHECK(r.events[8].type == event_type::complaint);
    CHECK(r.events[8].esp_class == "abuse");

    auto const& undetermined = r.events[9];
    CHECK(undetermined.type == event_type::deferred);  // class 1 is kept, as soft
    CHECK(undetermined.esp_class == "1");
    CHECK(undetermined.provider_event_id.starts_with("sha256:"));  // no event_id: derived key
}

TEST_CASE("sparkpost derived keys are stable across retries and distinct per event", "[providers][sparkpost]")
{
    std::string_view const one = R"([{"msys":{"message_event":{"type":"bounce","bounce_class":"10","message_id":"m","rcpt_to":"a@b.c","timestamp":"1"}}}])";
    std::string_view const retry = R"([ {"msys": {"message_event": {"timestamp": 1, "rcpt_to": "A@B.C", "message_id": "m", "type": "bounce", "bounce_class": 10}}} ])";
    std::string_view const other = R"([{"msys":{"message_event":{"type":"bounce","bounce_class":"10","message_id":"m","rcpt_to":"a@b.c","timestamp":"2"}}}])";
    auto const a = parse(one).events.at(0).provider_event_id;
    CHECK(a == parse(retry).events.at(0).provider_event_id);
    CHECK(a != parse(other).events.at(0).provider_event_id);
}

TEST_CASE("sparkpost accepts the webhook ping", "[providers][sparkpost]")
{
    auto const r = parse(R"([{"msys":{}}])");
    CHECK(r.events.empty());
    CHECK(r.rejected.empty());
    CHECK(r.ignored == 1);
}

TEST_CASE("sparkpost user reference field is configurable", "[providers][sparkpost]")
{
    providers::provider_settings s;
    s.user_ref_field = "account";
    auto const r = parse(
        R"([{"msys":{"message_event":{"type":"delivery","event_id":"x","rcpt_to":"a@b.c","timestamp":1,"rcpt_meta":{"account":"acc-9","user_id":"no"}}}}])",
        s);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].user_ref == "acc-9");
}

TEST_CASE("sparkpost refuses bodies that are not a JSON array", "[providers][sparkpost]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "{\"msys\":{}}", "[{\"msys\":{}}", "42", "[] x", "not json"}) {
        providers::request_view req{body, headers, ""};
        auto r = providers::sparkpost().parse(req, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("sparkpost limits events per request", "[providers][sparkpost]")
{
    providers::provider_settings s;
    s.max_events = 2;
    providers::header_list headers;
    std::string_view body = R"([{"msys":{}},{"msys":{}},{"msys":{}}])";
    auto r = providers::sparkpost().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("sparkpost maps every shared fixture", "[providers][sparkpost][shared]")
{
    providers::provider_settings s;
    s.user_ref_field = "customKey";
    for (auto const& path : test::shared_esp_fixtures("sparkpost")) {
        auto const name = path.filename().string();
        INFO(name);
        // The samples are single elements cut from a batch; SparkPost always posts arrays.
        auto const r = parse("[" + test::read_file(path) + "]", s);
        REQUIRE(r.events.size() == 1);
        CHECK(r.rejected.empty());
        auto const& e = r.events[0];
        CHECK(e.recipient == "recipient@example.com");
        CHECK(e.provider_event_id == "92356927693813856");
        CHECK(e.occurred_at == 1454442600LL * 1000000);
        CHECK(e.esp_message_id == "0e0d94b7-9085-4e3c-ab30-e3f2cd9c273e");

        if (name == "elem-bounce-class1.json" || name == "elem-out-of-band.json") {
            CHECK(e.type == event_type::deferred);  // class 1, Undetermined
            CHECK(e.esp_class == "1");
            CHECK(e.smtp_code == 554);
            CHECK(e.diagnostic == "MAIL REFUSED - IP (17.99.99.99) is in black list");
            CHECK(e.enhanced_status.empty());  // the IP is not mistaken for a status
        } else if (name == "elem-delay.json") {
            CHECK(e.type == event_type::deferred);
            CHECK(e.remote_mta == "127.0.0.1");
            CHECK(e.user_ref == "customValue");
        } else if (name == "elem-delivery.json") {
            CHECK(e.type == event_type::delivered);
            CHECK(e.user_ref == "customValue");
        } else if (name == "elem-policy-rejection.json") {
            CHECK(e.type == event_type::drop);
            CHECK(e.smtp_code == 554);
        } else if (name == "elem-spam-complaint.json") {
            CHECK(e.type == event_type::complaint);
            CHECK(e.esp_class == "abuse");
        } else {
            FAIL("no expectation for this shared fixture");
        }
    }
}

TEST_CASE("sparkpost checks Basic, Bearer and the legacy token header", "[providers][sparkpost][verify]")
{
    std::string_view body = "[]";
    providers::header_list none;
    CHECK_FALSE(providers::sparkpost().verify({body, none, ""}, {}));  // nothing configured

    providers::provider_settings legacy;
    legacy.secrets["webhook_token"] = "tok-1";
    providers::header_list good;
    good.add("X-MessageSystems-Webhook-Token", "tok-1");
    providers::header_list bad;
    bad.add("X-MessageSystems-Webhook-Token", "tok-2");
    CHECK_FALSE(providers::sparkpost().verify({body, good, ""}, legacy));
    CHECK(providers::sparkpost().verify({body, bad, ""}, legacy) == providers::errc::bad_credentials);
    CHECK(providers::sparkpost().verify({body, none, ""}, legacy) == providers::errc::missing_credentials);

    providers::provider_settings basic;
    basic.secrets["basic_auth"] = "user:pass";
    providers::header_list auth;
    auth.add("Authorization", "Basic dXNlcjpwYXNz");  // user:pass
    CHECK_FALSE(providers::sparkpost().verify({body, auth, ""}, basic));
    CHECK(providers::sparkpost().verify({body, good, ""}, basic) == providers::errc::missing_credentials);

    // Both configured: both must be sent.
    basic.secrets["webhook_token"] = "tok-1";
    auth.add("X-MessageSystems-Webhook-Token", "tok-1");
    CHECK_FALSE(providers::sparkpost().verify({body, auth, ""}, basic));
    CHECK(providers::sparkpost().verify({body, good, ""}, basic) == providers::errc::missing_credentials);
}
