// Customers Mail Cloud mapping: deliveries, bounces (with and without the
// Bounces API status numbers), blocks, the JSON and form encodings, JST
// times, and the api_key check.
#include "providers/registry.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace rebound;
using rebound::model::event_type;

namespace {

constexpr auto jst_base = 1700000000LL * 1000000;  // "2023-11-15 07:13:20" at +09:00

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {}, std::string_view content_type = "application/json")
{
    providers::header_list headers;
    headers.add("Content-Type", std::string(content_type));
    providers::request_view req{body, headers, ""};
    auto r = providers::customers_mail_cloud().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

}  // namespace

TEST_CASE("cmc is registered under its short name", "[providers][cmc]")
{
    CHECK(providers::customers_mail_cloud().name() == "cmc");
    CHECK(providers::find("cmc") == &providers::customers_mail_cloud());
}

TEST_CASE("cmc maps bounces by status number when present", "[providers][cmc]")
{
    auto const r = parse(test::read_file(test::own_fixtures() / "cmc" / "bounces.json"));

    REQUIRE(r.events.size() == 7);
    CHECK(r.ignored == 0);
    REQUIRE(r.rejected.size() == 2);
    CHECK(r.rejected[0].why == "missing_recipient");
    CHECK(r.rejected[1].why == "bad_timestamp");

    auto const& first = r.events[0];
    CHECK(first.type == event_type::bounce);  // "bounced"
    CHECK(first.provider == "cmc");
    CHECK(first.recipient == "alice@example.jp");
    CHECK(first.recipient_domain == "example.jp");
    CHECK(first.occurred_at == jst_base);
    CHECK(first.smtp_code == 550);
    CHECK(first.enhanced_status == "5.1.1");
    CHECK(first.esp_message_id == "<m-1@example.com>");
    CHECK(first.esp_type == "bounces");
    CHECK(first.esp_class == "bounced");
    CHECK(first.user_ref == "u-1");  // JSON in apiData
    CHECK(first.provider_event_id.starts_with("sha256:"));
    CHECK(first.raw_json.view().front() == '{');
    CHECK(first.raw_json.view().find("<m-1@example.com>") != std::string::npos);
    CHECK(first.raw_json.view().find("<m-2@example.com>") == std::string::npos);

    CHECK(r.events[1].type == event_type::bounce);  // 2 unknown user
    CHECK(r.events[1].esp_class == "2");
    CHECK(r.events[1].user_ref.empty());  // plain apiData, user_ref_field not "apiData"
    CHECK(r.events[2].type == event_type::deferred);  // 3 retransmission timeout, a number
    CHECK(r.events[2].esp_class == "3");
    CHECK(r.events[3].type == event_type::block);  // 4 rejection
    CHECK(r.events[4].type == event_type::drop);   // 10 blocked address
    CHECK(r.events[5].type == event_type::drop);   // 11 unsubscribed address
    CHECK(r.events[6].type == event_type::bounce);  // 99 other
    CHECK(r.events[6].recipient == "grace@example.jp");  // version 1 envelopeTo
    CHECK(r.events[6].occurred_at == jst_base + 6 * 1000000);
}

TEST_CASE("cmc maps delivery statuses", "[providers][cmc]")
{
    auto const r = parse(test::read_file(test::own_fixtures() / "cmc" / "deliveries-mixed.json"));
    REQUIRE(r.events.size() == 3);
    CHECK(r.ignored == 1);  // queued
    CHECK(r.events[0].type == event_type::delivered);
    CHECK(r.events[0].smtp_code == 250);
    CHECK(r.events[1].type == event_type::deferred);
    CHECK(r.events[1].enhanced_status == "4.7.0");
    CHECK(r.events[2].type == event_type::bounce);  // failed
    CHECK(r.events[2].esp_type == "deliveries");
    CHECK(r.events[2].esp_class == "failed");
}

TEST_CASE("cmc maps blocks to drop", "[providers][cmc]")
{
    auto const r = parse(test::read_file(test::own_fixtures() / "cmc" / "blocks.json"));
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].type == event_type::drop);
    CHECK(r.events[0].recipient == "dave@example.jp");
}

TEST_CASE("cmc reads the form-encoded envelope", "[providers][cmc]")
{
    auto const body = test::read_file(test::own_fixtures() / "cmc" / "deliveries-form.txt");
    auto const r = parse(body, {}, "application/x-www-form-urlencoded; charset=UTF-8");
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[0].type == event_type::bounce);
    CHECK(r.events[0].recipient == "form@example.jp");
    CHECK(r.events[0].diagnostic == "550 5.1.1 User unknown");  // '+' decoded as space
    CHECK(r.events[0].occurred_at == jst_base + 3 * 1000000);
    CHECK(r.events[0].user_ref == "u-form");
    CHECK(r.events[0].raw_json.view().find("メールマガジンのテスト") != std::string::npos);  // UTF-8 intact
    CHECK(r.events[1].type == event_type::delivered);

    // The same items sent as JSON give the same keys: retries may switch encoding.
    std::string const as_json = R"({"event_type":"deliveries","event":{"deliveries":[{"reason":"","created":"2023-11-15 07:13:24","messageId":"<f-2@example.com>","to":"form2@example.jp","status":"succeeded"}]}})";
    CHECK(parse(as_json).events.at(0).provider_event_id == r.events[1].provider_event_id);
}

TEST_CASE("cmc accepts `event` as JSON text inside a JSON body", "[providers][cmc]")
{
    auto const r = parse(R"({"event_type":"blocks","event":"{\"blocks\":[{\"created\":\"2023-11-15 07:13:20\",\"to\":\"a@b.jp\"}]}"})");
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].type == event_type::drop);
    CHECK(r.events[0].occurred_at == jst_base);
}

TEST_CASE("cmc counts items of an unknown event_type as ignored", "[providers][cmc]")
{
    auto const r = parse(R"({"event_type":"opens","event":{"opens":[{"to":"a@b.jp"},{"to":"c@d.jp"}]}})");
    CHECK(r.events.empty());
    CHECK(r.ignored == 2);
}

TEST_CASE("cmc user reference can be the whole apiData", "[providers][cmc]")
{
    providers::provider_settings s;
    s.user_ref_field = "apiData";
    auto const r = parse(R"({"event_type":"bounces","event":{"bounces":[{"created":"2023-11-15 07:13:20","to":"a@b.jp","status":"bounced","apiData":"CMC00123"}]}})", s);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].user_ref == "CMC00123");
}

TEST_CASE("cmc refuses bodies without the envelope", "[providers][cmc]")
{
    providers::header_list json;
    json.add("Content-Type", "application/json");
    for (std::string_view body : {"", "[]", "{}", R"({"event_type":"bounces"})", R"({"event_type":"bounces","event":{}})",
                                  R"({"event_type":"bounces","event":{"bounces":{}}})", R"({"event_type":"bounces","event":42})",
                                  R"({"event_type":"bounces","event":"not json"})"}) {
        auto r = providers::customers_mail_cloud().parse({body, json, ""}, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }

    providers::header_list form;
    form.add("Content-Type", "application/x-www-form-urlencoded");
    for (std::string_view body : {"event_type=bounces", "event=%7B%7D", "event_type=bounces&event=%7B%22bounces%22%3A1%7D", "event_type=bounces&event={}"}) {
        auto r = providers::customers_mail_cloud().parse({body, form, ""}, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }

    providers::header_list multipart;
    multipart.add("Content-Type", "multipart/form-data; boundary=x");
    auto r = providers::customers_mail_cloud().parse({"--x--", multipart, ""}, {});
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::unsupported_media_type);
}

TEST_CASE("cmc limits events per request", "[providers][cmc]")
{
    providers::provider_settings s;
    s.max_events = 1;
    providers::header_list headers;
    std::string_view body = R"({"event_type":"deliveries","event":{"deliveries":[{"status":"queued"},{"status":"queued"}]}})";
    auto r = providers::customers_mail_cloud().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("cmc maps every shared fixture", "[providers][cmc][shared]")
{
    for (auto const& path : test::shared_esp_fixtures("customers-mail-cloud")) {
        auto const name = path.filename().string();
        INFO(name);
        auto const r = parse(test::read_file(path));
        CHECK(r.rejected.empty());
        if (name == "page-deliveries-queued.json") {
            CHECK(r.events.empty());
            CHECK(r.ignored == 1);
        } else if (name == "page-deliveries-succeeded.json") {
            REQUIRE(r.events.size() == 1);
            auto const& e = r.events[0];
            CHECK(e.type == event_type::delivered);
            CHECK(e.recipient == "user@example.jp");
            CHECK(e.occurred_at == 1674622989LL * 1000000);  // 2023-01-25 14:03:09 JST
            CHECK(e.esp_message_id == "<031a32d4-06cd-b1ae-9526-011c0b9f1296@example.com>");
            CHECK(e.esp_class == "succeeded");
            CHECK(e.raw_json.view().find("\"senderIp\": \"100.100.100.3\"") != std::string::npos);
        } else {
            CHECK(r.events.size() + r.ignored >= 1);
        }
    }
}

TEST_CASE("cmc compares the api_key in the payload", "[providers][cmc][verify]")
{
    auto const& cmc = providers::customers_mail_cloud();
    providers::provider_settings s;
    s.secrets["api_key"] = "cmc-key-1";

    auto const json_body = test::read_file(test::own_fixtures() / "cmc" / "bounces.json");
    providers::header_list json;
    json.add("Content-Type", "application/json");
    CHECK_FALSE(cmc.verify({json_body, json, ""}, s));

    auto const form_body = test::read_file(test::own_fixtures() / "cmc" / "deliveries-form.txt");
    providers::header_list form;
    form.add("Content-Type", "application/x-www-form-urlencoded");
    CHECK_FALSE(cmc.verify({form_body, form, ""}, s));

    providers::provider_settings other;
    other.secrets["api_key"] = "cmc-key-2";
    CHECK(cmc.verify({json_body, json, ""}, other) == providers::errc::bad_credentials);
    CHECK(cmc.verify({form_body, form, ""}, other) == providers::errc::bad_credentials);

    auto const no_key = test::read_file(test::own_fixtures() / "cmc" / "blocks.json");
    CHECK(cmc.verify({no_key, json, ""}, s) == providers::errc::missing_credentials);
    CHECK_FALSE(cmc.verify({no_key, json, ""}, {}));  // nothing configured

    // The transport credentials are checked as well.
    s.secrets["token"] = "t";
    CHECK(cmc.verify({json_body, json, ""}, s) == providers::errc::missing_credentials);
    json.add("Authorization", "Bearer t");
    CHECK_FALSE(cmc.verify({json_body, json, ""}, s));
}
