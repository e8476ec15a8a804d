// SendGrid mapping: every event type, the traps in esp-webhooks.md, and the
// signed-webhook check with a key generated here.
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

using namespace rebound;
using rebound::model::event_type;

namespace {

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {})
{
    providers::header_list headers;
    providers::request_view req{body, headers, ""};
    auto r = providers::sendgrid().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

}  // namespace

TEST_CASE("sendgrid maps every event type of a mixed batch", "[providers][sendgrid]")
{
    auto const body = test::read_file(test::own_fixtures() / "sendgrid" / "batch-mixed.json");
    auto const r = parse(body);

    REQUIRE(r.events.size() == 7);
    CHECK(r.ignored == 2);  // open, click
    REQUIRE(r.rejected.size() == 2);
    CHECK(r.rejected[0].why == "missing_recipient");
    CHECK(r.rejected[1].why == "bad_timestamp");
    CHECK(r.rejected[1].raw_json.find("ev-badts-1") != std::string::npos);

    auto const& del = r.events[0];
    CHECK(del.type == event_type::delivered);
    CHECK(del.recipient == "alice@example.com");
    CHECK(del.recipient_domain == "example.com");
    CHECK(del.provider == "sendgrid");
    CHECK(del.provider_event_id == "ev-del-1");
    CHECK(del.occurred_at == 1700000000LL * 1000000);
    CHECK(del.smtp_code == 250);
    CHECK(del.diagnostic == "250 2.0.0 OK");
    CHECK(del.esp_message_id == "msg-1.filter0001");
    CHECK(del.user_ref == "u-1");
    CHECK(del.raw_json.view().front() == '{');
    CHECK(del.raw_json.view().find("\"ev-del-1\"") != std::string::npos);
    CHECK(del.raw_json.view().find("ev-def-1") == std::string::npos);  // per event, not per batch

    CHECK(r.events[1].type == event_type::deferred);
    CHECK(r.events[1].smtp_code == 421);
    CHECK(r.events[1].user_ref == "42");  // numeric custom arg kept as text

    auto const& bnc = r.events[2];
    CHECK(bnc.type == event_type::bounce);
    CHECK(bnc.occurred_at == 1700000002LL * 1000000);  // timestamp as a string
    CHECK(bnc.enhanced_status == "5.1.1");
    CHECK(bnc.smtp_code == 550);
    CHECK(bnc.esp_class == "Invalid Address");
    CHECK(bnc.esp_type == "bounce");

    CHECK(r.events[3].type == event_type::block);
    CHECK(r.events[4].type == event_type::drop);
    CHECK(r.events[4].diagnostic == "Bounced Address");
    CHECK(r.events[5].type == event_type::complaint);

    auto const& legacy = r.events[6];
    CHECK(legacy.occurred_at == 1700000009123456LL);  // fractional seconds, exact
    CHECK(legacy.user_ref == "u-legacy");
    CHECK(legacy.provider_event_id.view().rfind("sha256:", 0) == 0);  // no sg_event_id: content key
}

TEST_CASE("sendgrid user reference field is configurable", "[providers][sendgrid]")
{
    providers::provider_settings s;
    s.user_ref_field = "account";
    auto const r = parse(R"([{"email":"a@b.c","timestamp":1,"event":"delivered","sg_event_id":"x","account":"acc-9","user_id":"no"}])", s);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].user_ref == "acc-9");
}

TEST_CASE("sendgrid refuses bodies that are not a JSON array", "[providers][sendgrid]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "{", "{\"email\":\"a@b.c\"}", "42", "[1,2", "[] trailing", "not json"}) {
        providers::request_view req{body, headers, ""};
        auto r = providers::sendgrid().parse(req, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("sendgrid keeps non-object array elements as rejected", "[providers][sendgrid]")
{
    auto const r = parse(R"([1, "x", {"email":"a@b.c","timestamp":1,"event":"delivered","sg_event_id":"x"}])");
    CHECK(r.events.size() == 1);
    CHECK(r.rejected.size() == 2);
}

TEST_CASE("sendgrid limits events per request", "[providers][sendgrid]")
{
    providers::provider_settings s;
    s.max_events = 2;
    providers::header_list headers;
    std::string_view body = R"([{"event":"open"},{"event":"open"},{"event":"open"}])";
    providers::request_view req{body, headers, ""};
    auto r = providers::sendgrid().parse(req, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("sendgrid maps every shared fixture without losing an event", "[providers][sendgrid][shared]")
{
    for (auto const& path : test::shared_esp_fixtures("sendgrid")) {
        INFO(path.filename().string());
        auto const body = test::read_file(path);
        auto const r = parse(body);
        // Every element is accounted for: stored, ignored or rejected.
        auto const elements = std::count(body.begin(), body.end(), '{') > 0;
        CHECK(elements);
        CHECK(r.events.size() + r.ignored + r.rejected.size() >= 1);
        for (auto const& e : r.events) {
            CHECK(!e.recipient.empty());
            CHECK(!e.provider_event_id.empty());
            CHECK(e.occurred_at > 0);
        }
        auto const name = path.filename().string();
        if (name == "docs-bounce-type-blocked.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::block);
            CHECK(r.events[0].enhanced_status == "5.0.0");
        }
        if (name == "docs-bounce-type-bounce.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::bounce);
        }
        if (name == "docs-dropped-bounced-address.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::drop);
        }
        if (name == "docs-deferred.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::deferred);
        }
        if (name == "docs-delivered.json") {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == event_type::delivered);
        }
        if (name == "docs-singlesend-open.json" || name == "docs-unique-args-click.json" ||
            name == "docs-processed-pool.json" || name == "docs-unique-args-reserved-keys.json") {
            CHECK(r.events.empty());
            CHECK(r.ignored == 1);
        }
        if (name == "docs-batch-all-event-types.json") {
            // delivered, deferred, bounce, dropped, spamreport are stored;
            // processed, open, click, unsubscribe, group_* are counted.
            CHECK(r.events.size() == 5);
            CHECK(r.ignored >= 5);
        }
    }
}

namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };

/// A fresh P-256 key pair: {base64 SubjectPublicKeyInfo, private key}.
std::pair<std::string, std::unique_ptr<EVP_PKEY, pkey_free>>
make_key()
{
    std::unique_ptr<EVP_PKEY, pkey_free> key{EVP_EC_gen("P-256")};
    REQUIRE(key);
    unsigned char* der = nullptr;
    int const len = i2d_PUBKEY(key.get(), &der);
    REQUIRE(len > 0);
    std::string spki(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return {verify::base64_encode(spki), std::move(key)};
}

std::string
sign(EVP_PKEY* key, std::string const& message)
{
    auto* ctx = EVP_MD_CTX_new();
    REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1);
    std::size_t len = 0;
    REQUIRE(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<unsigned char const*>(message.data()), message.size()) == 1);
    std::string sig(len, '\0');
    REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<unsigned char const*>(message.data()), message.size()) == 1);
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    return verify::base64_encode(sig);
}

}  // namespace

TEST_CASE("sendgrid signed event webhook is verified over timestamp and raw body", "[providers][sendgrid][verify]")
{
    auto [public_key, private_key] = make_key();
    providers::provider_settings settings;
    settings.secrets["public_key"] = public_key;
    settings.now_unix = 1700000000 + 3600;

    std::string const body = "[{\"email\":\"a@b.c\",\"timestamp\":1,\"event\":\"delivered\",\"sg_event_id\":\"x\"}]\r\n";
    std::string const ts = "1700000000";
    auto const sig = sign(private_key.get(), ts + body);

    providers::header_list good;
    good.add("X-Twilio-Email-Event-Webhook-Signature", sig);
    good.add("X-Twilio-Email-Event-Webhook-Timestamp", ts);
    CHECK_FALSE(providers::sendgrid().verify({body, good, ""}, settings));

    std::string const tampered = body.substr(0, body.size() - 2);  // re-serialised bodies fail
    CHECK(providers::sendgrid().verify({tampered, good, ""}, settings) == providers::errc::bad_credentials);

    providers::header_list other_ts;
    other_ts.add("X-Twilio-Email-Event-Webhook-Signature", sig);
    other_ts.add("X-Twilio-Email-Event-Webhook-Timestamp", "1700000001");
    CHECK(providers::sendgrid().verify({body, other_ts, ""}, settings) == providers::errc::bad_credentials);

    providers::header_list none;
    CHECK(providers::sendgrid().verify({body, none, ""}, settings) == providers::errc::missing_credentials);

    // An authentic but old signature is refused once it is past the window
    // (36 h by default: SendGrid retries for 24 h).
    auto late = settings;
    late.now_unix = 1700000000 + 37 * 3600;
    CHECK(providers::sendgrid().verify({body, good, ""}, late) == providers::errc::stale_signature);
    late.secrets["max_age_seconds"] = "0";
    CHECK_FALSE(providers::sendgrid().verify({body, good, ""}, late));

    // A key that is not the one that signed.
    auto other = settings;
    other.secrets["public_key"] = make_key().first;
    CHECK(providers::sendgrid().verify({body, good, ""}, other) == providers::errc::bad_credentials);

    // No key configured: nothing to check.
    CHECK_FALSE(providers::sendgrid().verify({body, none, ""}, {}));
}

TEST_CASE("sendgrid OAuth bearer token is checked when configured", "[providers][sendgrid][verify]")
{
    providers::provider_settings settings;
    settings.secrets["token"] = "s3cret-token";
    std::string_view body = "[]";
    providers::header_list ok;
    ok.add("Authorization", "Bearer s3cret-token");
    CHECK_FALSE(providers::sendgrid().verify({body, ok, ""}, settings));
    providers::header_list bad;
    bad.add("Authorization", "Bearer wrong");
    CHECK(providers::sendgrid().verify({body, bad, ""}, settings) == providers::errc::bad_credentials);
}
