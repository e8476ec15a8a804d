// Postmark mapping: every bounce Type, deliveries and complaints, 64-bit IDs,
// 7-digit fractions, the shared samples, and transport auth.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <optional>

using namespace rebound;
using rebound::model::event_type;

namespace {

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {})
{
    providers::header_list headers;
    providers::request_view req{body, headers, ""};
    auto r = providers::postmark().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

std::string
own(char const* file)
{
    return test::read_file(test::own_fixtures() / "postmark" / file);
}

}  // namespace

TEST_CASE("postmark maps a soft bounce with its SMTP reply and exact 64-bit ID", "[providers][postmark]")
{
    auto const r = parse(own("bounce-softbounce-over-quota.json"));
    REQUIRE(r.events.size() == 1);
    auto const& e = r.events[0];
    CHECK(e.provider == "postmark");
    CHECK(e.type == event_type::deferred);
    CHECK(e.recipient == "over.quota@example.org");
    CHECK(e.recipient_domain == "example.org");
    CHECK(e.provider_event_id == "bounce:9223372036854775806");
    CHECK(e.occurred_at == 1709630553123456LL);  // +02:00 applied; the 7th digit is below a microsecond
    CHECK(e.smtp_code == 452);
    CHECK(e.enhanced_status == "4.2.2");
    CHECK(e.diagnostic == "smtp;452 4.2.2 The email account that you tried to reach is over quota.");
    CHECK(e.esp_message_id == "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516");
    CHECK(e.esp_type == "SoftBounce");
    CHECK(e.esp_class == "4096");
    CHECK(e.user_ref == "u-9");

    providers::provider_settings s;
    s.user_ref_field = "tenant";
    CHECK(parse(own("bounce-softbounce-over-quota.json"), s).events[0].user_ref == "1234567890123456789");
}

TEST_CASE("postmark maps deliveries with a derived key", "[providers][postmark]")
{
    auto const r = parse(own("delivery.json"));
    REQUIRE(r.events.size() == 1);
    auto const& e = r.events[0];
    CHECK(e.type == event_type::delivered);
    CHECK(e.recipient == "jane@example.com");
    CHECK(e.occurred_at == 1709629201500000LL);
    // No ID on deliveries: derived from the fields a retry repeats.
    CHECK(e.provider_event_id == providers::json::derived_event_id({"Delivery", "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                                                                    "jane@example.com", "2024-03-05T09:00:01.5Z"}));
    CHECK(e.smtp_code == 250);
    CHECK(e.enhanced_status == "2.0.0");
    CHECK(e.esp_type.empty());
    CHECK(e.user_ref == "u-1");
}

TEST_CASE("postmark maps every bounce Type per the reference table", "[providers][postmark]")
{
    struct row {
        char const* type;
        int code;
        std::optional<event_type> expected;  // nullopt: counted as ignored
    };
    for (auto const& [type, code, expected] : {
             row{"HardBounce", 1, event_type::bounce},
             row{"Transient", 2, event_type::deferred},
             row{"Unsubscribe", 16, std::nullopt},
             row{"Subscribe", 32, std::nullopt},
             row{"AutoResponder", 64, std::nullopt},
             row{"AddressChange", 128, std::nullopt},
             row{"DnsError", 256, event_type::deferred},
             row{"SpamNotification", 512, event_type::complaint},
             row{"OpenRelayTest", 1024, std::nullopt},
             row{"Unknown", 2048, std::nullopt},
             row{"SoftBounce", 4096, event_type::deferred},
             row{"VirusNotification", 8192, event_type::block},
             row{"ChallengeVerification", 16384, std::nullopt},
             row{"BadEmailAddress", 100000, event_type::bounce},
             row{"SpamComplaint", 100001, event_type::complaint},
             row{"ManuallyDeactivated", 100002, event_type::drop},
             row{"Unconfirmed", 100003, event_type::drop},
             row{"Blocked", 100006, event_type::block},
             row{"SMTPApiError", 100007, std::nullopt},
             row{"InboundError", 100008, std::nullopt},
             row{"DMARCPolicy", 100009, event_type::block},
             row{"TemplateRenderingFailed", 100010, event_type::drop},
         }) {
        INFO(type);
        auto const fields = std::string(R"("ID":7,"Email":"a@b.example","BouncedAt":"2024-01-01T00:00:00Z")");
        auto const by_type = parse(std::string(R"({"RecordType":"Bounce","Type":")") + type + R"(","TypeCode":)" +
                                   std::to_string(code) + "," + fields + "}");
        // Without Type, TypeCode decides the same way.
        auto const by_code = parse(R"({"RecordType":"Bounce","TypeCode":)" + std::to_string(code) + "," + fields + "}");
        for (auto const* r : {&by_type, &by_code}) {
            CHECK(r->rejected.empty());
            if (expected) {
                REQUIRE(r->events.size() == 1);
                CHECK(r->events[0].type == *expected);
                CHECK(r->events[0].provider_event_id == "bounce:7");
            } else {
                CHECK(r->events.empty());
                CHECK(r->ignored == 1);
            }
        }
    }
    auto const novel = parse(R"({"RecordType":"Bounce","Type":"QuantumBounce","TypeCode":1,"Email":"a@b.c","BouncedAt":"2024-01-01T00:00:00Z"})");
    REQUIRE(novel.rejected.size() == 1);
    CHECK(novel.rejected[0].why == "unknown_bounce_type");  // Type wins over a known TypeCode
}

TEST_CASE("postmark counts other records and rejects unusable ones", "[providers][postmark]")
{
    // A real Unsubscribe bounce has no Email; it is not stored, so that is fine.
    auto const unsub = parse(own("bounce-unsubscribe-no-email.json"));
    CHECK(unsub.events.empty());
    CHECK(unsub.rejected.empty());
    CHECK(unsub.ignored == 1);

    for (auto const* record : {"Open", "Click", "SubscriptionChange", "Inbound"}) {
        INFO(record);
        auto const r = parse(std::string(R"({"RecordType":")") + record + R"("})");
        CHECK(r.ignored == 1);
        CHECK(r.events.empty());
    }
    struct row {
        char const* body;
        char const* why;
    };
    for (auto const& [body, why] : {
             row{R"({"RecordType":"Bounce","Type":"HardBounce","ID":1,"BouncedAt":"2024-01-01T00:00:00Z"})", "missing_recipient"},
             row{R"({"RecordType":"Delivery","Recipient":"a@b.c","DeliveredAt":"05/11/2019"})", "bad_timestamp"},
             row{R"({"RecordType":"SpamComplaint","ID":1,"Email":"a@b.c"})", "bad_timestamp"},
             row{R"({"Type":"HardBounce","Email":"a@b.c"})", "missing_event_type"},
         }) {
        INFO(body);
        auto const r = parse(body);
        REQUIRE(r.rejected.size() == 1);
        CHECK(r.rejected[0].why == why);
        CHECK(r.rejected[0].raw_json == body);
    }
}

TEST_CASE("postmark refuses bodies that are not one JSON object", "[providers][postmark]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "not json", "[]", "[{\"RecordType\":\"Delivery\"}]", "\"Bounce\"", "{\"RecordType\":"}) {
        INFO(body);
        auto r = providers::postmark().parse({body, headers, ""}, {});
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
    providers::provider_settings none;
    none.max_events = 0;
    std::string_view body = R"({"RecordType":"Open"})";
    auto r = providers::postmark().parse({body, headers, ""}, none);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("postmark maps the shared samples", "[providers][postmark][shared]")
{
    for (auto const& path : test::shared_esp_fixtures("postmark")) {
        auto const name = path.filename().string();
        INFO(name);
        providers::provider_settings s;
        s.user_ref_field = name.rfind("docs-", 0) == 0 ? "a_key" : "example";
        auto const r = parse(test::read_file(path), s);
        CHECK(r.events.size() + r.ignored + r.rejected.size() == 1);

        auto one = [&](event_type type) {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == type);
            CHECK(r.events[0].recipient == "john@example.com");
            return r.events[0];
        };
        if (name == "docs-bounce.json") {
            auto const e = one(event_type::bounce);
            CHECK(e.provider_event_id == "bounce:4323372036854775807");  // above 2^53, exact
            CHECK(e.occurred_at == 1572971634907025LL);
            CHECK(e.esp_type == "HardBounce");
            CHECK(e.esp_class == "1");
            CHECK(e.diagnostic == "Test bounce details");
            CHECK(e.esp_message_id == "883953f4-6105-42a2-a16a-77a8eac79483");
            CHECK(e.user_ref == "a_value");
        }
        if (name == "docs-delivery.json") {
            auto const e = one(event_type::delivered);
            CHECK(e.provider_event_id ==
                  providers::json::derived_event_id({"Delivery", "883953f4-6105-42a2-a16a-77a8eac79483",
                                                     "john@example.com", "2019-11-05T16:33:54.9070259Z"}));
            CHECK(e.user_ref == "a_value");
        }
        if (name == "docs-spam-complaint.json") {
            auto const e = one(event_type::complaint);  // despite TypeCode 512
            CHECK(e.provider_event_id == "spamcomplaint:42");
            CHECK(e.esp_class == "512");
        }
        if (name == "docs-subscription-change.json") CHECK(r.ignored == 1);
        if (name == "test-webhook-delivery.json") {
            auto const e = one(event_type::delivered);
            CHECK(e.occurred_at == 1613925292LL * 1000000);
            CHECK(e.user_ref == "value");
        }
        if (name == "test-webhook-hardbounce.json") CHECK(one(event_type::bounce).provider_event_id == "bounce:42");
        if (name == "test-webhook-spamcomplaint.json") CHECK(one(event_type::complaint).esp_type == "SpamComplaint");
    }
}

TEST_CASE("postmark transport auth: basic, bearer and a custom header", "[providers][postmark][verify]")
{
    std::string_view body = R"({"RecordType":"Open"})";
    auto verify_with = [&](providers::header_list const& headers, providers::provider_settings const& s) {
        return providers::postmark().verify({body, headers, ""}, s);
    };
    providers::header_list none;
    CHECK_FALSE(verify_with(none, {}));  // nothing configured

    providers::provider_settings basic;
    basic.secrets["basic_auth"] = "postmark:s3cret";
    providers::header_list good;
    good.add("Authorization", "Basic " + verify::base64_encode("postmark:s3cret"));
    providers::header_list bad;
    bad.add("Authorization", "Basic " + verify::base64_encode("postmark:guess"));
    CHECK_FALSE(verify_with(good, basic));
    CHECK(verify_with(bad, basic) == providers::errc::bad_credentials);
    CHECK(verify_with(none, basic) == providers::errc::missing_credentials);

    providers::provider_settings header;
    header.secrets["header_name"] = "X-Webhook-Secret";
    header.secrets["header_value"] = "pm-hook-7f3a";
    providers::header_list with_header;
    with_header.add("x-webhook-secret", "pm-hook-7f3a");
    providers::header_list wrong_header;
    wrong_header.add("X-Webhook-Secret", "pm-hook-7f3b");
    CHECK_FALSE(verify_with(with_header, header));
    CHECK(verify_with(wrong_header, header) == providers::errc::bad_credentials);
    CHECK(verify_with(none, header) == providers::errc::missing_credentials);

    // Both configured: both must pass.
    auto both = header;
    both.secrets["basic_auth"] = "postmark:s3cret";
    CHECK(verify_with(with_header, both) == providers::errc::missing_credentials);
    providers::header_list all;
    all.add("Authorization", "Basic " + verify::base64_encode("postmark:s3cret"));
    all.add("X-Webhook-Secret", "pm-hook-7f3a");
    CHECK_FALSE(verify_with(all, both));
}
