// Mailgun mapping: failed/rejected/delivered/complained, user-variables in
// both forms, the shared docs and test-webhook samples, and the HMAC check
// with its replay window (the fixture's signature was made with the openssl
// CLI, independently of verify.cpp).
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <cctype>

using namespace rebound;
using rebound::model::event_type;

namespace {

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {})
{
    providers::header_list headers;
    providers::request_view req{body, headers, ""};
    auto r = providers::mailgun().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

std::string
own(char const* file)
{
    return test::read_file(test::own_fixtures() / "mailgun" / file);
}

/// A webhook body around one event-data object; the signature is not valid.
std::string
webhook(std::string_view event_data)
{
    return R"({"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":)" + std::string(event_data) + "}";
}

}  // namespace

TEST_CASE("mailgun maps a temporary failure with user-variables as a JSON string", "[providers][mailgun]")
{
    auto const body = own("signed-failed-temporary.json");
    auto const r = parse(body);
    REQUIRE(r.events.size() == 1);
    auto const& e = r.events[0];
    CHECK(e.provider == "mailgun");
    CHECK(e.type == event_type::deferred);
    CHECK(e.recipient == "full.box@example.com");
    CHECK(e.recipient_domain == "example.com");
    CHECK(e.occurred_at == 1709289987004213LL);  // float seconds, exact to the microsecond
    CHECK(e.provider_event_id == "Tq3vXkLmR9uYbN2cD4eF6g:1709289987004213");
    CHECK(e.smtp_code == 452);
    CHECK(e.enhanced_status == "4.2.2");
    CHECK(e.diagnostic == "4.2.2 The email account that you tried to reach is over quota.");
    CHECK(e.remote_mta == "gmail-smtp-in.l.google.com");
    CHECK(e.esp_message_id == "20240301105307.abc123@mg.example.org");
    CHECK(e.esp_type == "temporary");
    CHECK(e.esp_class == "generic");
    CHECK(e.user_ref == "u-314");
    CHECK(e.raw_json.view().find("\"signature\"") != std::string::npos);  // the whole body, signature kept
}

TEST_CASE("mailgun maps permanent failures, suppressions and rejections", "[providers][mailgun]")
{
    auto const bounce = parse(own("failed-permanent-bounce.json"));
    REQUIRE(bounce.events.size() == 1);
    CHECK(bounce.events[0].type == event_type::bounce);
    CHECK(bounce.events[0].occurred_at == 1709290099500000LL);
    CHECK(bounce.events[0].enhanced_status == "5.1.1");  // enhanced-code null: bounce-code
    CHECK(bounce.events[0].smtp_code == 550);
    CHECK(bounce.events[0].user_ref == "42");  // numeric user variable as text

    providers::provider_settings s;
    s.user_ref_field = "account";
    CHECK(parse(own("failed-permanent-bounce.json"), s).events[0].user_ref == "acc-1");

    auto const rejected = parse(own("rejected.json"));
    REQUIRE(rejected.events.size() == 1);
    CHECK(rejected.events[0].type == event_type::drop);
    CHECK(rejected.events[0].occurred_at == 1709290199LL * 1000000);
    CHECK(rejected.events[0].diagnostic == "Sandbox subdomains are for test purposes only");
    CHECK(rejected.events[0].user_ref.empty());

    for (auto const* reason : {"suppress-bounce", "suppress-unsubscribe", "suppress-complaint"}) {
        INFO(reason);
        auto const r = parse(webhook(std::string(R"({"event":"failed","severity":"permanent","reason":")") + reason +
                                     R"(","recipient":"a@b.example","timestamp":1700000000,"id":"x"})"));
        REQUIRE(r.events.size() == 1);
        CHECK(r.events[0].type == event_type::drop);
    }
}

TEST_CASE("mailgun counts other events and rejects unusable ones", "[providers][mailgun]")
{
    for (auto const* event : {"accepted", "opened", "clicked", "unsubscribed", "stored", "list_member_uploaded"}) {
        INFO(event);
        auto const r = parse(webhook(std::string(R"({"event":")") + event + R"(","recipient":"a@b.c","timestamp":1})"));
        CHECK(r.events.empty());
        CHECK(r.ignored == 1);
    }
    struct row {
        char const* event_data;
        char const* why;
    };
    for (auto const& [data, why] : {
             row{R"({"event":"delivered","timestamp":1700000000.5,"id":"x"})", "missing_recipient"},
             row{R"({"event":"delivered","recipient":"a@b.c","timestamp":"soon","id":"x"})", "bad_timestamp"},
             row{R"({"event":"failed","recipient":"a@b.c","timestamp":1,"id":"x"})", "unknown_severity"},
             row{R"({"recipient":"a@b.c","timestamp":1})", "missing_event_type"},
         }) {
        INFO(data);
        auto const r = parse(webhook(data));
        CHECK(r.events.empty());
        REQUIRE(r.rejected.size() == 1);
        CHECK(r.rejected[0].why == why);
    }
}

TEST_CASE("mailgun event ids are day-scoped, so the key adds the event time", "[providers][mailgun]")
{
    auto const first = parse(webhook(R"({"event":"delivered","id":"same","recipient":"a@b.c","timestamp":1700000000.25})"));
    auto const later = parse(webhook(R"({"event":"delivered","id":"same","recipient":"a@b.c","timestamp":1700086400.25})"));
    REQUIRE(first.events.size() == 1);
    REQUIRE(later.events.size() == 1);
    CHECK(first.events[0].provider_event_id == "same:1700000000250000");
    CHECK(later.events[0].provider_event_id != first.events[0].provider_event_id);

    // No id: the event-data content, not the per-attempt signature block.
    auto const a = parse(R"({"signature":{"timestamp":"1","token":"a","signature":"a"},"event-data":{"event":"delivered","recipient":"a@b.c","timestamp":5}})");
    auto const b = parse(R"({"signature":{"timestamp":"2","token":"b","signature":"b"},"event-data":{"event":"delivered","recipient":"a@b.c","timestamp":5}})");
    CHECK(a.events[0].provider_event_id == providers::json::derived_event_id({"delivered", "a@b.c", "5000000", ""}));
    CHECK(a.events[0].provider_event_id == b.events[0].provider_event_id);
}

TEST_CASE("mailgun refuses non-JSON, wrong shapes and legacy form posts", "[providers][mailgun]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "not json", "[]", "[{\"event-data\":{}}]", "{\"signature\":{}}", "{\"event-data\":[1]}"}) {
        INFO(body);
        auto r = providers::mailgun().parse({body, headers, ""}, {});
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
    providers::header_list form;
    form.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    std::string_view legacy = "event=bounced&recipient=a%40b.c&code=550&timestamp=1&token=t&signature=s";
    auto r = providers::mailgun().parse({legacy, form, ""}, {});
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::unsupported_media_type);
    CHECK(providers::mailgun().verify({legacy, form, ""}, {}) == providers::errc::unsupported_media_type);

    providers::provider_settings none;
    none.max_events = 0;
    auto const full = own("rejected.json");
    auto limited = providers::mailgun().parse({full, headers, ""}, none);
    REQUIRE(limited.has_error());
    CHECK(limited.error() == providers::errc::too_many_events);
}

TEST_CASE("mailgun maps the shared docs and test-webhook samples", "[providers][mailgun][shared]")
{
    for (auto const& path : test::shared_esp_fixtures("mailgun")) {
        auto const name = path.filename().string();
        INFO(name);
        providers::provider_settings s;
        s.user_ref_field = "my_var_1";
        auto const r = parse(test::read_file(path), s);
        CHECK(r.events.size() + r.ignored + r.rejected.size() == 1);

        auto one = [&](event_type type, std::string_view recipient) {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == type);
            CHECK(r.events[0].recipient == recipient);
            return r.events[0];
        };
        if (name == "docs-eventdata-delivered.json") {
            auto const e = one(event_type::delivered, "john@example.com");
            CHECK(e.occurred_at == 1529692199626182LL);
            CHECK(e.provider_event_id == "hK7mQVt1QtqRiOfQXta4sw:1529692199626182");
            CHECK(e.smtp_code == 250);
            CHECK(e.diagnostic == "OK");
            CHECK(e.remote_mta == "aspmx.l.example.com");
            CHECK(e.esp_message_id == "20180622182958.1.48906CB188F1A454@exmple.org");
        }
        if (name == "docs-eventdata-failed-permanent-delayed-bounce.json") {
            auto const e = one(event_type::bounce, "christest123@test.com");
            CHECK(e.occurred_at == 1666214138404667LL);  // 7 fractional digits: the 7th dropped
            CHECK(e.smtp_code == 550);
            CHECK(e.enhanced_status == "5.1.1");
            CHECK(e.diagnostic == "smtp; 550-5.1.1 The email account that you tried to reach does not exist.");
        }
        if (name == "docs-eventdata-failed-permanent-suppress-bounce.json") {
            auto const e = one(event_type::drop, "slava@mailgun.com");
            CHECK_FALSE(e.smtp_code);  // 605 is Mailgun's own code
            CHECK(e.diagnostic == "Not delivering to previously bounced address");
            CHECK(e.esp_type == "permanent");
            CHECK(e.esp_class == "suppress-bounce");
        }
        if (name == "docs-eventdata-failed-temporary.json") {
            auto const e = one(event_type::deferred, "test@test.com");
            CHECK(e.smtp_code == 451);
            CHECK(e.enhanced_status == "4.7.652");
            CHECK(e.remote_mta == "hotmail-com.olc.protection.outlook.com");
        }
        if (name == "test-webhook-complained.json") {
            auto const e = one(event_type::complaint, "alice@example.com");
            CHECK(e.user_ref == "Mailgun Variable #1");
            CHECK(e.occurred_at == 1521233123501324LL);
        }
        if (name == "test-webhook-delivered.json") {
            auto const e = one(event_type::delivered, "alice@example.com");
            CHECK(e.occurred_at == 1521472262908181LL);
            CHECK(e.provider_event_id == "CPgfbmQMTCKtHW6uIWtuVe:1521472262908181");
        }
        if (name == "test-webhook-opened.json") CHECK(r.ignored == 1);
        if (name == "test-webhook-permanent-fail-suppress-bounce.json") {
            auto const e = one(event_type::drop, "alice@example.com");
            CHECK(e.enhanced_status.empty());
            CHECK(e.esp_message_id == "20130503192659.13651.20287@mail.invoicing.co");
        }
    }
}

namespace {

constexpr std::string_view signing_key = "mg-test-signing-key-0123456789";
constexpr std::int64_t signed_at = 1709290000;  // signature.timestamp in the fixture

boost::system::error_code
check(std::string_view body, providers::provider_settings const& settings)
{
    providers::header_list headers;
    headers.add("Content-Type", "application/json");
    return providers::mailgun().verify({body, headers, ""}, settings);
}

providers::provider_settings
keyed(std::int64_t now)
{
    providers::provider_settings s;
    s.secrets["signing_key"] = signing_key;
    s.now_unix = now;
    return s;
}

}  // namespace

TEST_CASE("mailgun HMAC signature over timestamp and token", "[providers][mailgun][verify]")
{
    auto const body = own("signed-failed-temporary.json");
    CHECK_FALSE(check(body, keyed(signed_at + 60)));
    CHECK_FALSE(check(body, keyed(signed_at - 60)));  // small clock skew either way

    auto wrong = keyed(signed_at);
    wrong.secrets["signing_key"] = "another-key";
    CHECK(check(body, wrong) == providers::errc::bad_credentials);

    // Only timestamp and token are signed: a changed token fails, and so does
    // a different timestamp.
    auto token = body;
    token.replace(token.find("3f9d1c0b"), 8, "3f9d1c0c");
    CHECK(check(token, keyed(signed_at)) == providers::errc::bad_credentials);
    auto ts = body;
    ts.replace(ts.find("\"1709290000\""), 12, "\"1709290001\"");
    CHECK(check(ts, keyed(signed_at)) == providers::errc::bad_credentials);

    // A subaccount's event verified with the primary account's key.
    auto parent = body;
    parent.replace(parent.find("\"signature\": \"8dd3"), 14, "\"signature\": \"0000\", \"parent-signature\": \"");
    CHECK_FALSE(check(parent, keyed(signed_at)));

    // Upper-case hex is the same signature.
    auto upper = body;
    auto const at = upper.find("8dd3e33eca91");
    for (std::size_t i = at; i < at + 64; ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    CHECK_FALSE(check(upper, keyed(signed_at)));

    CHECK(check(webhook(R"({"event":"delivered"})"), keyed(signed_at)) == providers::errc::bad_credentials);
    CHECK(check(R"({"event-data":{"event":"delivered"}})", keyed(signed_at)) == providers::errc::missing_credentials);
    CHECK(check(R"({"signature":{"timestamp":"1","token":"","signature":"x"},"event-data":{}})", keyed(signed_at)) ==
          providers::errc::missing_credentials);

    // No key configured: nothing to check.
    CHECK_FALSE(check(R"({"event-data":{"event":"delivered"}})", {}));
}

TEST_CASE("mailgun replay window on the signing timestamp", "[providers][mailgun][verify]")
{
    auto const body = own("signed-failed-temporary.json");
    // The default spans Mailgun's 8-hour retry schedule.
    CHECK_FALSE(check(body, keyed(signed_at + 8 * 3600)));
    CHECK(check(body, keyed(signed_at + 9 * 3600)) == providers::errc::stale_signature);
    CHECK(check(body, keyed(signed_at - 9 * 3600)) == providers::errc::stale_signature);

    auto tight = keyed(signed_at + 61);
    tight.secrets["max_age_seconds"] = "60";
    CHECK(check(body, tight) == providers::errc::stale_signature);
    tight.now_unix = signed_at + 60;
    CHECK_FALSE(check(body, tight));

    auto off = keyed(signed_at + 365 * 86400);
    off.secrets["max_age_seconds"] = "0";
    CHECK_FALSE(check(body, off));

    // A forged signature is refused as such, whatever its age.
    auto forged = keyed(signed_at + 9 * 3600);
    forged.secrets["signing_key"] = "another-key";
    CHECK(check(body, forged) == providers::errc::bad_credentials);
}

TEST_CASE("mailgun signature matches an independent HMAC", "[providers][mailgun][verify]")
{
    // The fixture's signature came from `openssl dgst -sha256 -hmac`.
    CHECK(verify::hmac_sha256_hex(signing_key, "17092900003f9d1c0b7a6e5d4c3b2a19f8e7d6c5b4a39281706f5e4d3c2b") ==
          "8dd3e33eca91b37ccbd33f8b54e065581ccf53f8db76c232eb8c193dacc0f6e7");
}
