// blastengine mapping: the three failure types, "554(errors)" reply codes,
// +09:00 times, and insert_codes as the user reference.
#include "providers/registry.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

using namespace rebound;
using rebound::model::event_type;

namespace {

constexpr auto jst_base = 1700000000LL * 1000000;  // 2023-11-15T07:13:20+09:00

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {})
{
    providers::header_list headers;
    providers::request_view req{body, headers, ""};
    auto r = providers::blastengine().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

}  // namespace

TEST_CASE("blastengine maps every event type", "[providers][blastengine]")
{
    auto const r = parse(test::read_file(test::own_fixtures() / "blastengine" / "mixed.json"));

    REQUIRE(r.events.size() == 3);
    CHECK(r.ignored == 1);  // an unknown type
    REQUIRE(r.rejected.size() == 4);
    CHECK(r.rejected[0].why == "missing_recipient");
    CHECK(r.rejected[1].why == "bad_timestamp");
    CHECK(r.rejected[2].why == "missing_detail");
    CHECK(r.rejected[3].why == "not_an_event");

    auto const& hard = r.events[0];
    CHECK(hard.type == event_type::bounce);
    CHECK(hard.provider == "blastengine");
    CHECK(hard.recipient == "alice@example.jp");
    CHECK(hard.occurred_at == jst_base);
    CHECK(hard.smtp_code == 550);
    CHECK(hard.esp_class == "550(errors)");
    CHECK(hard.esp_type == "HARDERROR");
    CHECK(hard.enhanced_status == "5.1.1");
    CHECK(hard.esp_message_id == "2001");
    CHECK(hard.user_ref == "u-1");
    CHECK(hard.provider_event_id.starts_with("sha256:"));
    CHECK(hard.raw_json.view().starts_with("{\"event\""));
    CHECK(hard.raw_json.view().find("2002") == std::string::npos);

    CHECK(r.events[1].type == event_type::deferred);
    CHECK(r.events[1].smtp_code == 421);
    CHECK(r.events[1].enhanced_status.empty());
    CHECK(r.events[1].user_ref.empty());

    auto const& drop = r.events[2];
    CHECK(drop.type == event_type::drop);
    CHECK(drop.occurred_at == jst_base + 2 * 1000000);  // zone-less: JST
    CHECK(drop.esp_message_id == "2003");                // delivery_id as a string
    CHECK(drop.user_ref == "42");
}

TEST_CASE("blastengine derived keys are stable across retries", "[providers][blastengine]")
{
    std::string_view const a = R"({"events":[{"event":{"type":"DROP","datetime":"2023-11-15T07:13:20+09:00","detail":{"mailaddress":"a@b.jp","delivery_id":1}}}]})";
    std::string_view const b = R"({ "events": [ {"event": {"detail": {"delivery_id": 1, "mailaddress": "A@b.jp"}, "datetime": "2023-11-15T07:13:20+09:00", "type": "DROP"}} ] })";
    std::string_view const c = R"({"events":[{"event":{"type":"DROP","datetime":"2023-11-15T07:13:20+09:00","detail":{"mailaddress":"a@b.jp","delivery_id":2}}}]})";
    auto const key = parse(a).events.at(0).provider_event_id;
    CHECK(key == parse(b).events.at(0).provider_event_id);
    CHECK(key != parse(c).events.at(0).provider_event_id);
}

TEST_CASE("blastengine refuses bodies without an events array", "[providers][blastengine]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "[]", "{}", R"({"events":{}})", R"({"events":[)", R"([{"event":{}}])"}) {
        auto r = providers::blastengine().parse({body, headers, ""}, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("blastengine limits events per request", "[providers][blastengine]")
{
    providers::provider_settings s;
    s.max_events = 1;
    providers::header_list headers;
    std::string_view body = R"({"events":[{"event":{"type":"OPEN"}},{"event":{"type":"OPEN"}}]})";
    auto r = providers::blastengine().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("blastengine maps every shared fixture", "[providers][blastengine][shared]")
{
    for (auto const& path : test::shared_esp_fixtures("blastengine")) {
        auto const name = path.filename().string();
        INFO(name);
        auto const r = parse(test::read_file(path));
        CHECK(r.rejected.empty());
        if (name == "page-drop-captured.json") {
            REQUIRE(r.events.size() == 1);
            auto const& e = r.events[0];
            CHECK(e.type == event_type::drop);
            CHECK(e.recipient == "user@drop.example.com");
            CHECK(e.occurred_at == 1674717474LL * 1000000);  // 2023-01-26T16:17:54+09:00
            CHECK(e.smtp_code == 554);
            CHECK(e.esp_class == "554(errors)");
            CHECK(e.esp_message_id == "1128");
            CHECK(e.diagnostic == "エラー停止リストに含まれる宛先であるため、配信がドロップされました");
        } else {
            CHECK(r.events.size() + r.ignored >= 1);
        }
    }
}

TEST_CASE("blastengine checks transport credentials when configured", "[providers][blastengine][verify]")
{
    providers::provider_settings s;
    s.secrets["token"] = "be-token";
    std::string_view body = R"({"events":[]})";
    providers::header_list ok;
    ok.add("Authorization", "Bearer be-token");
    providers::header_list none;
    CHECK_FALSE(providers::blastengine().verify({body, ok, ""}, s));
    CHECK(providers::blastengine().verify({body, none, ""}, s) == providers::errc::missing_credentials);
}
