// Brevo mapping: single and batched bodies, the time-field fallbacks, the
// " " and "undefined " reason prefixes, and X-Mailin-custom.
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
    auto r = providers::brevo().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

}  // namespace

TEST_CASE("brevo maps every event type of a batched body", "[providers][brevo]")
{
    auto const body = test::read_file(test::own_fixtures() / "brevo" / "batched-mixed.json");
    auto const r = parse(body);

    REQUIRE(r.events.size() == 7);
    CHECK(r.ignored == 2);  // opened, request
    REQUIRE(r.rejected.size() == 2);
    CHECK(r.rejected[0].why == "missing_recipient");
    CHECK(r.rejected[1].why == "bad_timestamp");

    auto const& hard = r.events[0];
    CHECK(hard.type == event_type::bounce);
    CHECK(hard.provider == "brevo");
    CHECK(hard.recipient == "alice@example.com");
    CHECK(hard.occurred_at == 1700000000123000LL);  // ts_epoch, milliseconds
    CHECK(hard.diagnostic.starts_with("550 5.1.1 <alice@example.com>"));  // leading space gone
    CHECK(hard.smtp_code == 550);
    CHECK(hard.enhanced_status == "5.1.1");
    CHECK(hard.esp_message_id == "<202311140001.1@smtp-relay.mailin.fr>");
    CHECK(hard.esp_type == "hard_bounce");
    CHECK(hard.user_ref == "u-1");
    CHECK(hard.provider_event_id.starts_with("sha256:"));
    CHECK(hard.raw_json.view().find("202311140001.2") == std::string::npos);

    CHECK(r.events[1].type == event_type::bounce);  // invalid_email

    auto const& soft = r.events[2];
    CHECK(soft.type == event_type::deferred);
    CHECK(soft.occurred_at == 1700000002LL * 1000000);  // no ts_epoch: ts_event
    CHECK(soft.diagnostic == "421 4.7.0 Try again later, closing connection.");  // "undefined " gone
    CHECK(soft.smtp_code == 421);
    CHECK(soft.user_ref.empty());  // X-Mailin-custom is not JSON

    CHECK(r.events[3].type == event_type::deferred);
    CHECK(r.events[3].smtp_code == 550);  // Brevo's mislabelled permanent failure, kept for the classifier
    CHECK(r.events[3].enhanced_status == "5.1.1");
    CHECK(r.events[4].type == event_type::drop);
    CHECK(r.events[5].type == event_type::complaint);

    auto const& delivered = r.events[6];
    CHECK(delivered.type == event_type::delivered);
    CHECK(delivered.occurred_at == 1700000006LL * 1000000);  // only `date`, read as UTC
    CHECK(delivered.user_ref == "u-top");                     // a top-level field of that name
}

TEST_CASE("brevo derived keys are stable across retries and distinct per event", "[providers][brevo]")
{
    std::string_view const one = R"({"event":"hard_bounce","email":"a@b.c","message-id":"<m>","ts_epoch":1700000000123,"id":1})";
    std::string_view const retry = R"([{"id":2,"ts_epoch":1700000000123,"message-id":"<m>","email":"A@b.c","event":"hard_bounce"}])";
    std::string_view const later = R"({"event":"hard_bounce","email":"a@b.c","message-id":"<m>","ts_epoch":1700000000124})";
    auto const a = parse(one).events.at(0).provider_event_id;
    CHECK(a == parse(retry).events.at(0).provider_event_id);
    CHECK(a != parse(later).events.at(0).provider_event_id);
}

TEST_CASE("brevo refuses bodies that are not JSON objects or arrays", "[providers][brevo]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "null", "[", "{\"event\":\"spam\"", "event=spam"}) {
        auto r = providers::brevo().parse({body, headers, ""}, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("brevo limits events per request", "[providers][brevo]")
{
    providers::provider_settings s;
    s.max_events = 2;
    providers::header_list headers;
    std::string_view body = R"([{"event":"opened"},{"event":"opened"},{"event":"opened"}])";
    auto r = providers::brevo().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("brevo maps every shared fixture", "[providers][brevo][shared]")
{
    providers::provider_settings s;
    s.user_ref_field = "meta";
    for (auto const& path : test::shared_esp_fixtures("brevo")) {
        auto const name = path.filename().string();
        INFO(name);
        auto const r = parse(test::read_file(path), s);
        CHECK(r.rejected.empty());

        if (name == "anymail-complaint.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::complaint);
            CHECK(r.events[0].recipient == "example@domain.com");
            CHECK(r.events[0].occurred_at == 1604933654LL * 1000000);  // ts_event over ts
            CHECK(r.events[0].esp_message_id == "201798300811.5787683@relay.domain.com");
            CHECK(r.events[0].user_ref == "data");  // {"meta": "data"} in X-Mailin-custom
        } else if (name == "captured-delivered.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::delivered);
            CHECK(r.events[0].recipient == "test@example");
            CHECK(r.events[0].occurred_at == 1703180551324000LL);
            CHECK(r.events[0].diagnostic == "sent");
            CHECK_FALSE(r.events[0].smtp_code);
        } else if (name == "captured-soft-bounce.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::deferred);
            CHECK(r.events[0].occurred_at == 1703180692382000LL);
            CHECK(r.events[0].diagnostic == "Unable to find MX of domain example.net");
            CHECK(r.events[0].esp_message_id == "<202312211744.55168080257@smtp-relay.mailin.fr>");
        } else {
            CHECK(r.events.size() + r.ignored >= 1);
        }
    }
}

TEST_CASE("brevo checks the bearer token when configured", "[providers][brevo][verify]")
{
    providers::provider_settings s;
    s.secrets["token"] = "brevo-token";
    std::string_view body = "{}";
    providers::header_list ok;
    ok.add("Authorization", "Bearer brevo-token");
    providers::header_list bad;
    bad.add("Authorization", "Bearer other");
    CHECK_FALSE(providers::brevo().verify({body, ok, ""}, s));
    CHECK(providers::brevo().verify({body, bad, ""}, s) == providers::errc::bad_credentials);
}
