// Mailjet mapping: grouped arrays and bare objects, the hard_bounce flag,
// MessageID above 2^53, custom data in Payload/CustomID, and derived keys.
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
    auto r = providers::mailjet().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

}  // namespace

TEST_CASE("mailjet maps every event type of a grouped batch", "[providers][mailjet]")
{
    auto const body = test::read_file(test::own_fixtures() / "mailjet" / "grouped-mixed.json");
    auto const r = parse(body);

    REQUIRE(r.events.size() == 6);
    CHECK(r.ignored == 3);  // open, click, unsub
    REQUIRE(r.rejected.size() == 2);
    CHECK(r.rejected[0].why == "missing_recipient");
    CHECK(r.rejected[1].why == "bad_timestamp");

    auto const& sent = r.events[0];
    CHECK(sent.type == event_type::delivered);
    CHECK(sent.provider == "mailjet");
    CHECK(sent.recipient == "alice@example.com");
    CHECK(sent.recipient_domain == "example.com");
    CHECK(sent.occurred_at == 1700000000LL * 1000000);
    CHECK(sent.esp_message_id == "19421777835146490");  // above 2^53, exact
    CHECK(sent.smtp_code == 250);                        // from "sent (250 2.0.0 OK ...)"
    CHECK(sent.enhanced_status == "2.0.0");
    CHECK(sent.user_ref == "u-1");  // JSON inside the Payload string
    CHECK(sent.provider_event_id.starts_with("sha256:"));
    CHECK(sent.raw_json.view().find("\"g-1\"") != std::string::npos);
    CHECK(sent.raw_json.view().find("19421777835146491") == std::string::npos);

    auto const& hard = r.events[1];
    CHECK(hard.type == event_type::bounce);
    CHECK(hard.esp_message_id == "19421777835146491");
    CHECK(hard.esp_class == "recipient");
    CHECK(hard.esp_type == "user unknown");
    CHECK(hard.smtp_code == 550);
    CHECK(hard.enhanced_status == "5.1.1");
    CHECK(hard.diagnostic.starts_with("550 5.1.1 <bob@example.org>"));
    CHECK(hard.user_ref == "42");  // JSON inside CustomID

    CHECK(r.events[2].type == event_type::deferred);  // hard_bounce false
    CHECK(r.events[2].occurred_at == 1700000002LL * 1000000);  // time as a string
    CHECK(r.events[2].smtp_code == 452);
    CHECK(r.events[3].type == event_type::block);  // error_related_to spam wins over hard_bounce
    CHECK(r.events[4].type == event_type::drop);   // blocked / preblocked
    CHECK(r.events[4].esp_type == "preblocked");
    CHECK(r.events[5].type == event_type::complaint);

    // Every event gets its own key.
    for (std::size_t i = 1; i < r.events.size(); ++i) CHECK(r.events[i].provider_event_id != sent.provider_event_id);
}

TEST_CASE("mailjet accepts one bare object", "[providers][mailjet]")
{
    auto const r = parse(R"({"event":"bounce","time":1,"MessageID":1,"email":"a@b.c","hard_bounce":true})");
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].type == event_type::bounce);
}

TEST_CASE("mailjet bounce without hard_bounce is soft", "[providers][mailjet]")
{
    auto const r = parse(R"([{"event":"bounce","time":1,"MessageID":1,"email":"a@b.c"}])");
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].type == event_type::deferred);
}

TEST_CASE("mailjet derived keys are stable across retries", "[providers][mailjet]")
{
    auto const a = parse(R"([{"event":"sent","time":1,"MessageID":19421777835146490,"email":"a@b.c"}])");
    auto const b = parse(R"({"email":"A@B.C","MessageID":19421777835146490,"time":"1","event":"sent","extra":1})");
    auto const c = parse(R"([{"event":"sent","time":1,"MessageID":19421777835146491,"email":"a@b.c"}])");
    CHECK(a.events.at(0).provider_event_id == b.events.at(0).provider_event_id);
    CHECK(a.events.at(0).provider_event_id != c.events.at(0).provider_event_id);  // ids one apart past 2^53
}

TEST_CASE("mailjet user reference field is configurable", "[providers][mailjet]")
{
    providers::provider_settings s;
    s.user_ref_field = "CustomID";  // a top-level field: taken verbatim
    auto const r = parse(R"([{"event":"sent","time":1,"MessageID":1,"email":"a@b.c","CustomID":"cust-7","Payload":"not json"}])", s);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].user_ref == "cust-7");
}

TEST_CASE("mailjet refuses bodies that are not JSON objects or arrays", "[providers][mailjet]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "42", "\"sent\"", "[{\"event\":\"sent\"}", "{} x", "event=sent"}) {
        auto r = providers::mailjet().parse({body, headers, ""}, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("mailjet limits events per request", "[providers][mailjet]")
{
    providers::provider_settings s;
    s.max_events = 1;
    providers::header_list headers;
    std::string_view body = R"([{"event":"open"},{"event":"open"}])";
    auto r = providers::mailjet().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("mailjet maps every shared fixture", "[providers][mailjet][shared]")
{
    providers::provider_settings s;
    s.user_ref_field = "CustomID";
    for (auto const& path : test::shared_esp_fixtures("mailjet")) {
        auto const name = path.filename().string();
        INFO(name);
        auto const r = parse(test::read_file(path), s);
        CHECK(r.rejected.empty());

        if (name == "anymail-bounce-soft-greylisted.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::deferred);
            CHECK(r.events[0].esp_class == "domain");
            CHECK(r.events[0].esp_type == "greylisted");
            CHECK(r.events[0].esp_message_id == "12345678901234567");
            CHECK(r.events[0].recipient == "protected@example.com");
        } else if (name == "docs-batch-two-sent.json") {
            REQUIRE(r.events.size() == 2);
            CHECK(r.events[0].esp_message_id == "19421777835146490");
            CHECK(r.events[1].esp_message_id == "19421777835146491");
            CHECK(r.events[0].provider_event_id != r.events[1].provider_event_id);
            for (auto const& e : r.events) {
                CHECK(e.type == event_type::delivered);
                CHECK(e.smtp_code == 250);
                CHECK(e.occurred_at == 1433333949LL * 1000000);
                CHECK(e.user_ref == "helloworld");
            }
        } else if (name == "docs-sent.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::delivered);
            CHECK(r.events[0].esp_message_id == "19421777835146490");
            CHECK(r.events[0].diagnostic == "sent (250 2.0.0 OK 1433333948 fa5si855896wjc.199 - gsmtp)");
        } else if (name == "docs-blocked.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::drop);
            CHECK(r.events[0].esp_class == "recipient");
            CHECK(r.events[0].esp_type == "user unknown");
            CHECK(r.events[0].esp_message_id == "13792286917004336");
            CHECK(r.events[0].occurred_at == 1430812195LL * 1000000);
        } else if (name == "docs-spam.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::complaint);
            CHECK(r.events[0].recipient == "bounce@mailjet.com");
        } else if (name == "docs-click.json" || name == "docs-open.json" || name == "docs-unsub.json") {
            CHECK(r.events.empty());
            CHECK(r.ignored == 1);
        } else {
            // Samples added later must at least map without loss.
            CHECK(r.events.size() + r.ignored >= 1);
        }
    }
}

TEST_CASE("mailjet checks Basic credentials when configured", "[providers][mailjet][verify]")
{
    providers::provider_settings s;
    s.secrets["basic_auth"] = "mj:secret";
    std::string_view body = "[]";
    providers::header_list ok;
    ok.add("Authorization", "Basic bWo6c2VjcmV0");  // mj:secret
    providers::header_list bad;
    bad.add("Authorization", "Basic bWo6d3Jvbmc=");  // mj:wrong
    providers::header_list none;
    CHECK_FALSE(providers::mailjet().verify({body, ok, ""}, s));
    CHECK(providers::mailjet().verify({body, bad, ""}, s) == providers::errc::bad_credentials);
    CHECK(providers::mailjet().verify({body, none, ""}, s) == providers::errc::missing_credentials);
}
