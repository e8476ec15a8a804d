// Amazon SES through SNS: the envelope, both SES payload forms, one event per
// recipient, confirmations as notices, the shared AWS samples, and the SNS
// signature with an RSA key and certificate made here.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <memory>
#include <optional>

using namespace rebound;
using rebound::model::event_type;

namespace {

providers::parse_result
parse(std::string_view body, providers::provider_settings settings = {})
{
    providers::header_list headers;
    providers::request_view req{body, headers, ""};
    auto r = providers::ses().parse(req, settings);
    REQUIRE(r.has_value());
    return std::move(*r);
}

std::string
own(char const* file)
{
    return test::read_file(test::own_fixtures() / "ses" / file);
}

/// `text` as a JSON string literal. '/' is escaped as some encoders do, so
/// tests notice when a value is signed or parsed without JSON decoding.
std::string
json_string(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out.append("\\").push_back(c);
        else if (c == '/') out.append("\\/");
        else if (c == '\n') out.append("\\n");
        else out.push_back(c);
    }
    return out + "\"";
}

/// An unsigned SNS Notification around an SES notification.
std::string
envelope(std::string_view message, std::string_view message_id = "0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1")
{
    return R"({"Type":"Notification","MessageId":")" + std::string(message_id) +
           R"(","TopicArn":"arn:aws:sns:us-east-1:123456789012:ses","Message":)" + json_string(message) +
           R"(,"Timestamp":"2024-03-01T00:00:00.000Z","SignatureVersion":"1","Signature":"x"})";
}

/// A one-recipient bounce notification with the given type and sub-type.
std::string
bounce(std::string_view type, std::string_view sub_type)
{
    return R"({"notificationType":"Bounce","bounce":{"bounceType":")" + std::string(type) + R"(","bounceSubType":")" +
           std::string(sub_type) +
           R"(","bouncedRecipients":[{"emailAddress":"r@example.com"}],"timestamp":"2024-03-01T00:00:00.000Z"},)"
           R"("mail":{"timestamp":"2024-03-01T00:00:00.000Z","messageId":"m-1","destination":["r@example.com"]}})";
}

}  // namespace

TEST_CASE("ses maps an SNS bounce to one event per recipient", "[providers][ses]")
{
    providers::provider_settings s;
    auto const body = own("sns-envelope-bounce-three-recipients.json");
    auto const r = parse(body, s);

    REQUIRE(r.events.size() == 2);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].why == "missing_recipient");  // the third entry has no emailAddress
    CHECK(r.ignored == 0);
    CHECK(r.notices.empty());

    auto const& jane = r.events[0];
    CHECK(jane.provider == "ses");
    CHECK(jane.type == event_type::bounce);
    CHECK(jane.recipient == "jane.doe@example.com");
    CHECK(jane.recipient_domain == "example.com");
    CHECK(jane.provider_event_id == "5e6f0c9a-8b1d-5f2e-9a3c-4d5e6f7a8b9c:jane.doe@example.com");
    CHECK(jane.occurred_at == 1709288430123000LL);  // bounce.timestamp, not the SNS or send time
    CHECK(jane.smtp_code == 550);
    CHECK(jane.enhanced_status == "5.1.1");
    CHECK(jane.diagnostic.view().rfind("smtp; 550 5.1.1 <jane.doe@example.com>", 0) == 0);
    CHECK(jane.esp_type == "Permanent");
    CHECK(jane.esp_class == "General");
    CHECK(jane.esp_message_id == "0102018e0000bbbb-66666666-7777-8888-9999-000000000000-000000");
    CHECK(jane.remote_mta == "192.0.2.25");
    CHECK(jane.user_ref == "u-77");
    CHECK(jane.raw_json.view().substr(0, body.size() - 1) == body.substr(0, body.size() - 1));  // the whole envelope

    auto const& richard = r.events[1];
    CHECK(richard.provider_event_id == "5e6f0c9a-8b1d-5f2e-9a3c-4d5e6f7a8b9c:richard@example.net");
    CHECK(richard.diagnostic.empty());  // no DSN for this recipient
    CHECK_FALSE(richard.smtp_code);
    CHECK(richard.raw_json == jane.raw_json);  // one SNS message, several events

    s.user_ref_field = "account";
    CHECK(parse(body, s).events[0].user_ref == "acc-3");
}

TEST_CASE("ses maps every bounce type and sub-type per the reference table", "[providers][ses]")
{
    struct row {
        char const* type;
        char const* sub_type;
        std::optional<event_type> expected;  // nullopt: rejected for review
    };
    for (auto const& [type, sub, expected] : {
             row{"Permanent", "General", event_type::bounce},
             row{"Permanent", "NoEmail", event_type::bounce},
             row{"Permanent", "Suppressed", event_type::drop},
             row{"Permanent", "OnAccountSuppressionList", event_type::drop},
             row{"Transient", "General", event_type::deferred},
             row{"Transient", "MailboxFull", event_type::deferred},
             row{"Transient", "MessageTooLarge", event_type::deferred},
             row{"Transient", "ContentRejected", event_type::block},
             row{"Transient", "AttachmentRejected", event_type::block},
             row{"Undetermined", "Undetermined", std::nullopt},
         }) {
        INFO(type << "/" << sub);
        auto const r = parse(envelope(bounce(type, sub)));
        if (expected) {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == *expected);
            CHECK(r.events[0].esp_class == sub);
        } else {
            CHECK(r.events.empty());
            REQUIRE(r.rejected.size() == 1);
            CHECK(r.rejected[0].why == "ses_undetermined_bounce");
        }
    }
    auto const odd = parse(envelope(bounce("Sideways", "General")));
    REQUIRE(odd.rejected.size() == 1);
    CHECK(odd.rejected[0].why == "unknown_bounce_type");
}

TEST_CASE("ses raw delivery: a bare notification is parsed with a content key", "[providers][ses]")
{
    auto const r = parse(own("delivery-delay-two-recipients.json"));
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[0].type == event_type::deferred);
    CHECK(r.events[0].recipient == "a@slow.example");
    CHECK(r.events[0].occurred_at == 1709467800250000LL);
    CHECK(r.events[0].enhanced_status == "4.2.2");
    CHECK(r.events[0].smtp_code == 452);
    CHECK(r.events[0].esp_type == "MailboxFull");  // delayType
    CHECK(r.events[0].user_ref == "u-5");
    // No envelope, so no SNS MessageId: derived from the SES message id, kind,
    // recipient and the delay's own time (SES may report several delays).
    CHECK(r.events[0].provider_event_id ==
          providers::json::derived_event_id({"0102018e0000eeee-12121212-3434-5656-7878-909090909090-000000",
                                             "DeliveryDelay", "a@slow.example", "2024-03-03T12:10:00.250Z"}));
    CHECK(r.events[1].provider_event_id != r.events[0].provider_event_id);
    CHECK(r.events[1].smtp_code == 421);
    CHECK(r.events[1].enhanced_status == "4.4.7");
}

TEST_CASE("ses counts not-spam complaints and keeps Undetermined bounces for review", "[providers][ses]")
{
    auto const not_spam = parse(own("complaint-not-spam.json"));
    CHECK(not_spam.events.empty());
    CHECK(not_spam.ignored == 1);

    auto const undetermined = parse(own("bounce-undetermined.json"));
    CHECK(undetermined.events.empty());
    REQUIRE(undetermined.rejected.size() == 1);
    CHECK(undetermined.rejected[0].why == "ses_undetermined_bounce");
    CHECK(undetermined.rejected[0].raw_json.find("who@example.com") != std::string::npos);
}

TEST_CASE("ses reject uses mail.destination and the send time, read leniently", "[providers][ses]")
{
    auto const r = parse(envelope(
        R"({"eventType":"Reject","mail":{"timestamp":"2018-10-08T14:05:45 +0000","messageId":"m-9",)"
        R"("destination":["A@X.example","b@y.example"],"tags":{"user_id":[7]}},"reject":{"reason":"Bad content"}})"));
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[0].type == event_type::drop);
    CHECK(r.events[0].recipient == "a@x.example");
    CHECK(r.events[0].occurred_at == 1539007545LL * 1000000);
    CHECK(r.events[0].diagnostic == "Bad content");
    CHECK(r.events[0].esp_type == "Reject");
    CHECK(r.events[0].user_ref == "7");  // a numeric tag value kept as text
}

TEST_CASE("ses keeps events with unusable parts as rejected and counts other kinds", "[providers][ses]")
{
    auto const bad_time = parse(envelope(
        R"({"notificationType":"Delivery","mail":{"messageId":"m"},"delivery":{"timestamp":"yesterday","recipients":["a@b.c"]}})"));
    REQUIRE(bad_time.rejected.size() == 1);
    CHECK(bad_time.rejected[0].why == "bad_timestamp");

    auto const no_type = parse(envelope(R"({"mail":{"messageId":"m"}})"));
    REQUIRE(no_type.rejected.size() == 1);
    CHECK(no_type.rejected[0].why == "missing_event_type");

    for (auto const* kind : {"Send", "Open", "Click", "Subscription"}) {
        INFO(kind);
        auto const r = parse(envelope(std::string(R"({"eventType":")") + kind + R"(","mail":{"messageId":"m"}})"));
        CHECK(r.events.empty());
        CHECK(r.rejected.empty());
        CHECK(r.ignored == 1);
    }

    // Another publisher on the same topic: valid SNS, not SES; kept raw.
    auto const foreign = parse(envelope("Hello world!"));
    CHECK(foreign.events.empty());
    REQUIRE(foreign.rejected.size() == 1);
    CHECK(foreign.rejected[0].why == "not_an_ses_notification");
}

TEST_CASE("ses refuses bodies that are neither an SNS envelope nor an SES notification", "[providers][ses]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "not json", "[]", "[{\"Type\":\"Notification\"}]", "{\"hello\":1}",
                                  "{\"Type\":\"Surprise\",\"MessageId\":\"x\"}", "{\"Type\":\"Notification\""}) {
        INFO(body);
        auto r = providers::ses().parse({body, headers, ""}, {});
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("ses limits events per request by recipients", "[providers][ses]")
{
    providers::provider_settings s;
    s.max_events = 1;
    providers::header_list headers;
    auto const body = own("sns-envelope-bounce-three-recipients.json");
    auto r = providers::ses().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("ses maps the shared AWS samples", "[providers][ses][shared]")
{
    for (auto const& path : test::shared_esp_fixtures("amazon-ses")) {
        auto const name = path.filename().string();
        INFO(name);
        auto const body = test::read_file(path);
        providers::provider_settings s;
        if (name == "evt-delivery.json") s.user_ref_field = "myCustomTag1";
        auto const r = parse(body, s);
        CHECK(r.events.size() + r.ignored + r.rejected.size() + r.notices.size() >= 1);
        for (auto const& e : r.events) {
            CHECK(!e.recipient.empty());
            CHECK(!e.provider_event_id.empty());
            CHECK(!e.esp_message_id.empty());
            CHECK(e.occurred_at > 0);
        }

        auto one = [&](event_type type, std::string_view recipient) {
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].type == type);
            CHECK(r.events[0].recipient == recipient);
            return r.events[0];
        };
        if (name == "evt-bounce-permanent.json") {
            auto const e = one(event_type::bounce, "recipient@example.com");
            CHECK(e.occurred_at == 1501893662669000LL);
            CHECK(e.smtp_code == 550);
            CHECK(e.enhanced_status == "5.1.1");
            CHECK(e.esp_type == "Permanent");
            CHECK(e.esp_class == "General");
            CHECK(e.provider_event_id ==
                  providers::json::derived_event_id({"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
                                                     "Bounce", "recipient@example.com", "2017-08-05T00:41:02.669Z"}));
        }
        if (name == "evt-complaint.json") CHECK(one(event_type::complaint, "recipient@example.com").esp_type == "abuse");
        if (name == "evt-delivery.json") {
            auto const e = one(event_type::delivered, "recipient@example.com");
            CHECK(e.occurred_at == 1476919264133000LL);
            CHECK(e.smtp_code == 250);
            CHECK(e.enhanced_status == "2.6.0");
            CHECK(e.user_ref == "myCustomTagValue1");
        }
        if (name == "evt-deliverydelay.json") {
            auto const e = one(event_type::deferred, "recipient@example.com");
            CHECK(e.smtp_code == 421);
            CHECK(e.enhanced_status == "4.4.1");
            CHECK(e.esp_type == "TransientCommunicationFailure");
        }
        if (name == "evt-reject.json") {
            auto const e = one(event_type::drop, "sender@example.com");  // mail.destination
            CHECK(e.diagnostic == "Bad content");
            CHECK(e.occurred_at == 1476466695211000LL);
        }
        if (name == "evt-rendering-failure.json") {
            auto const e = one(event_type::drop, "recipient@example.com");
            CHECK(e.diagnostic == "Attribute 'attributeName' is not present in the rendering data.");
            CHECK(e.esp_type == "Rendering Failure");
        }
        if (name == "evt-send.json") CHECK(r.ignored == 1);
        if (name == "notif-bounce-no-dsn.json") {
            REQUIRE(r.events.size() == 2);  // two of the three destinations bounced
            CHECK(r.events[0].recipient == "jane@example.com");
            CHECK(r.events[1].recipient == "richard@example.com");
            CHECK(r.events[1].type == event_type::bounce);
            CHECK(r.events[1].remote_mta == "127.0.2.0");
            CHECK_FALSE(r.events[1].smtp_code);
        }
        if (name == "notif-bounce-with-dsn.json") {
            auto const e = one(event_type::bounce, "jane@example.com");
            CHECK(e.smtp_code == 550);
            CHECK(e.occurred_at == 1453906778237000LL);
        }
        if (name == "notif-complaint-no-feedback.json") CHECK(one(event_type::complaint, "richard@example.com").esp_type.empty());
        if (name == "notif-complaint-with-feedback.json") one(event_type::complaint, "richard@example.com");
        if (name == "notif-delivery.json") CHECK(one(event_type::delivered, "jane@example.com").remote_mta == "127.0.2.0");
        if (name == "sim-bounce-permanent-general.json")
            CHECK(one(event_type::bounce, "bounce@simulator.amazonses.com").remote_mta == "3.225.75.158");
        // The simulator reports its suppression list as Permanent/General.
        if (name == "sim-bounce-suppressionlist.json") one(event_type::bounce, "suppressionlist@simulator.amazonses.com");
        if (name == "sim-bounce-transient-ooto.json") {
            auto const e = one(event_type::deferred, "ooto@simulator.amazonses.com");
            CHECK(e.esp_type == "Transient");
            CHECK(e.diagnostic.empty());
        }
        if (name == "sim-complaint.json") CHECK(one(event_type::complaint, "complaint@simulator.amazonses.com").esp_class.empty());
        if (name == "sim-delivery.json") one(event_type::delivered, "success@simulator.amazonses.com");
        if (name == "sns-envelope-bounce-onaccountsuppression.json") {
            auto const e = one(event_type::drop, "relayuser@test.com");
            CHECK(e.provider_event_id == "adbc2384-317d-54f1-b957-79e4d266a9f8:relayuser@test.com");
            CHECK(e.esp_class == "OnAccountSuppressionList");
            CHECK(e.enhanced_status == "5.1.1");
            CHECK_FALSE(e.smtp_code);  // the diagnostic is SES prose, not an SMTP reply
            CHECK(e.raw_json.view().find("\"SigningCertURL\"") != std::string::npos);
        }
        if (name == "sns-notification-generic.json") {
            REQUIRE(r.rejected.size() == 1);
            CHECK(r.rejected[0].why == "not_an_ses_notification");
        }
        if (name == "sns-subscription-confirmation.json" || name == "sns-unsubscribe-confirmation.json") {
            CHECK(r.events.empty());
            REQUIRE(r.notices.size() == 1);
            CHECK(r.notices[0].kind == (name == "sns-subscription-confirmation.json" ? "sns_subscription_confirmation"
                                                                                     : "sns_unsubscribe_confirmation"));
            CHECK(r.notices[0].topic == "arn:aws:sns:us-west-2:123456789012:MyTopic");
            CHECK(r.notices[0].url.rfind("https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription", 0) == 0);
            CHECK(r.notices[0].raw_json.find("\"Token\"") != std::string::npos);
        }
    }
}

namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct bio_free { void operator()(BIO* p) const { BIO_free(p); } };

constexpr std::string_view cert_url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem";

/// An RSA key and a self-signed certificate for it, as SNS's signing cert.
struct signer {
    std::unique_ptr<EVP_PKEY, pkey_free> key;
    std::string cert_pem;
};

signer const&
test_signer()
{
    static signer const instance = [] {
        signer s;
        s.key.reset(EVP_RSA_gen(2048));
        REQUIRE(s.key);
        std::unique_ptr<X509, x509_free> cert{X509_new()};
        REQUIRE(X509_set_version(cert.get(), 2) == 1);
        ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
        REQUIRE(X509_set_pubkey(cert.get(), s.key.get()) == 1);
        auto* subject = X509_get_subject_name(cert.get());
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                   reinterpret_cast<unsigned char const*>("sns.amazonaws.com"), -1, -1, 0);
        REQUIRE(X509_set_issuer_name(cert.get(), subject) == 1);
        REQUIRE(X509_sign(cert.get(), s.key.get(), EVP_sha256()) > 0);
        std::unique_ptr<BIO, bio_free> bio{BIO_new(BIO_s_mem())};
        REQUIRE(PEM_write_bio_X509(bio.get(), cert.get()) == 1);
        char* data = nullptr;
        long const len = BIO_get_mem_data(bio.get(), &data);
        s.cert_pem.assign(data, static_cast<std::size_t>(len));
        return s;
    }();
    return instance;
}

std::string
sign(std::string const& message, EVP_MD const* md)
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, test_signer().key.get()) == 1);
    std::size_t len = 0;
    auto const* in = reinterpret_cast<unsigned char const*>(message.data());
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, in, message.size()) == 1);
    std::string sig(len, '\0');
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, message.size()) == 1);
    sig.resize(len);
    return verify::base64_encode(sig);
}

constexpr std::string_view ses_message =
    R"({"notificationType":"Delivery","mail":{"timestamp":"2024-03-01T00:00:00.000Z","messageId":"m-1",)"
    R"("destination":["zoë@example.com"]},"delivery":{"timestamp":"2024-03-01T00:00:01.000Z",)"
    R"("recipients":["zoë@example.com"],"smtpResponse":"250 2.0.0 OK https://mx.example.com/q"}})";

/// A signed Notification. The canonical text is spelled out here, not taken
/// from the provider, so a wrong key order or an undecoded value fails.
std::string
signed_notification(int version, std::optional<std::string_view> subject)
{
    std::string const id = "7a1b2c3d-0000-4000-8000-000000000001";
    std::string const ts = "2024-03-01T00:00:02.000Z";
    std::string const topic = "arn:aws:sns:eu-west-1:123456789012:ses-events";
    std::string canonical = "Message\n" + std::string(ses_message) + "\nMessageId\n" + id + "\n";
    if (subject) canonical += "Subject\n" + std::string(*subject) + "\n";
    canonical += "Timestamp\n" + ts + "\nTopicArn\n" + topic + "\nType\nNotification\n";
    auto const signature = sign(canonical, version == 2 ? EVP_sha256() : EVP_sha1());

    std::string body = "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"" + id + "\",\n  \"TopicArn\" : \"" +
                       topic + "\",\n";
    if (subject) body += "  \"Subject\" : " + json_string(*subject) + ",\n";
    body += "  \"Message\" : " + json_string(ses_message) + ",\n  \"Timestamp\" : \"" + ts +
            "\",\n  \"SignatureVersion\" : \"" + std::to_string(version) + "\",\n  \"Signature\" : \"" + signature +
            "\",\n  \"SigningCertURL\" : " + json_string(cert_url) +
            ",\n  \"UnsubscribeURL\" : \"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe\"\n}\n";
    return body;
}

providers::provider_settings
with_cert()
{
    providers::provider_settings s;
    s.fetched[std::string(cert_url)] = test_signer().cert_pem;
    return s;
}

boost::system::error_code
check(std::string_view body, providers::provider_settings const& settings)
{
    providers::header_list headers;
    return providers::ses().verify({body, headers, ""}, settings);
}

}  // namespace

TEST_CASE("ses verifies SNS signatures v1 and v2 over the decoded fields", "[providers][ses][verify]")
{
    auto const settings = with_cert();
    for (int version : {1, 2}) {
        for (std::optional<std::string_view> const subject :
             std::array<std::optional<std::string_view>, 2>{std::nullopt, "Amazon SES \"Email\" Event"}) {
            INFO("version " << version << (subject ? " with Subject" : ""));
            auto const body = signed_notification(version, subject);
            providers::header_list headers;
            CHECK(providers::ses().prerequisites({body, headers, ""}, providers::provider_settings{}) == std::vector<std::string>{std::string(cert_url)});
            CHECK_FALSE(check(body, settings));
            // The event itself parses from the signed body.
            auto const r = parse(body);
            REQUIRE(r.events.size() == 1);
            CHECK(r.events[0].recipient == "zoë@example.com");
            CHECK(r.events[0].provider_event_id == "7a1b2c3d-0000-4000-8000-000000000001:zoë@example.com");

            auto tampered = body;
            tampered.replace(tampered.find("m-1"), 3, "m-2");
            CHECK(check(tampered, settings) == providers::errc::bad_credentials);
        }
    }

    // A v1 signature presented as v2 (or the reverse) does not verify.
    auto v1 = signed_notification(1, {});
    v1.replace(v1.find("\"SignatureVersion\" : \"1\""), 24, "\"SignatureVersion\" : \"2\"");
    CHECK(check(v1, settings) == providers::errc::bad_credentials);
}

TEST_CASE("ses verifies signed subscription confirmations with their own keys", "[providers][ses][verify]")
{
    std::string const url = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37";
    std::string const canonical = "Message\nYou have chosen to subscribe.\nMessageId\nc-1\nSubscribeURL\n" + url +
                                  "\nTimestamp\n2024-03-01T00:00:00.000Z\nToken\n2336412f37\nTopicArn\narn:aws:sns:"
                                  "eu-west-1:123456789012:ses-events\nType\nSubscriptionConfirmation\n";
    std::string const body = R"({"Type":"SubscriptionConfirmation","MessageId":"c-1","Token":"2336412f37",)"
                             R"("TopicArn":"arn:aws:sns:eu-west-1:123456789012:ses-events",)"
                             R"("Message":"You have chosen to subscribe.","SubscribeURL":)" +
                             json_string(url) + R"(,"Timestamp":"2024-03-01T00:00:00.000Z","SignatureVersion":"2",)"
                             R"("Signature":")" + sign(canonical, EVP_sha256()) +
                             R"(","SigningCertURL":")" + std::string(cert_url) + "\"}";
    CHECK_FALSE(check(body, with_cert()));
    auto const r = parse(body);
    REQUIRE(r.notices.size() == 1);
    CHECK(r.notices[0].url == url);  // decoded: the JSON had "\/"
    CHECK(r.notices[0].topic == "arn:aws:sns:eu-west-1:123456789012:ses-events");
}

TEST_CASE("ses refuses certificate URLs that are not AWS's", "[providers][ses][verify]")
{
    auto const good = signed_notification(2, {});
    for (std::string_view url : {
             "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
             "https://sns.eu-west-1.amazonaws.com.evil.example/SimpleNotificationService-test.pem",
             "https://sns.eu-west-1.amazonaws.com@evil.example/SimpleNotificationService-test.pem",
             "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
             "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-test.pem",
             "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem?x=1",
             "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.txt",
             "https://s3.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
             "https://sns.x.amazonaws.com/SimpleNotificationService-test.pem",
         }) {
        INFO(url);
        auto body = good;
        body.replace(body.find(std::string(json_string(cert_url))), json_string(cert_url).size(), json_string(url));
        auto settings = with_cert();
        settings.fetched[std::string(url)] = test_signer().cert_pem;  // even if someone fetched it
        CHECK(check(body, settings) == providers::errc::bad_credentials);
        providers::header_list headers;
        CHECK(providers::ses().prerequisites({body, headers, ""}, providers::provider_settings{}).empty());
    }
    // China regions are AWS too.
    auto cn = good;
    cn.replace(cn.find(std::string(json_string(cert_url))), json_string(cert_url).size(),
               json_string("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-test.pem"));
    providers::header_list headers;
    CHECK(providers::ses().prerequisites({cn, headers, ""}, providers::provider_settings{}).size() == 1);
}

TEST_CASE("ses signature settings: missing cert, opt-out, topic allow-list, raw delivery, basic auth",
          "[providers][ses][verify]")
{
    auto const body = signed_notification(1, {});
    CHECK(check(body, {}) == providers::errc::missing_credentials);  // cert not fetched

    providers::provider_settings off;
    off.secrets["verify_signature"] = "false";
    CHECK_FALSE(check(envelope(bounce("Permanent", "General")), off));

    auto topics = with_cert();
    topics.secrets["topic_arn"] = "arn:aws:sns:us-east-1:1:other, arn:aws:sns:eu-west-1:123456789012:ses-events";
    CHECK_FALSE(check(body, topics));
    topics.secrets["topic_arn"] = "arn:aws:sns:us-east-1:1:other";
    CHECK(check(body, topics) == providers::errc::bad_credentials);

    // Raw message delivery has nothing signed: refused unless opted out.
    auto const bare = bounce("Permanent", "General");
    CHECK(check(bare, with_cert()) == providers::errc::missing_credentials);
    CHECK_FALSE(check(bare, off));

    auto unsigned_envelope = body;
    unsigned_envelope.replace(unsigned_envelope.find("\"Signature\" : \""), 15, "\"Unsigned\" : \"");
    CHECK(check(unsigned_envelope, with_cert()) == providers::errc::missing_credentials);

    auto basic = with_cert();
    basic.secrets["basic_auth"] = "sns:hunter2";
    CHECK(check(body, basic) == providers::errc::missing_credentials);
    providers::header_list auth;
    auth.add("Authorization", "Basic " + verify::base64_encode("sns:hunter2"));
    CHECK_FALSE(providers::ses().verify({body, auth, ""}, basic));
}

TEST_CASE("ses verifies real AWS-signed SNS messages", "[providers][ses][verify]")
{
    // Four vectors signed by AWS itself (v1/v2, with and without Subject);
    // see tests/fixtures/ses/PROVENANCE.md. The certificate has expired,
    // which SNS verification does not look at.
    auto const cert = own("aws-sns-signing-cert-7ff5318490ec183fbaddaa2a969abfda.pem");
    for (auto const* file : {"aws-signed-v1.json", "aws-signed-v2.json", "aws-signed-v1-subject.json", "aws-signed-v2-subject.json"}) {
        INFO(file);
        auto const body = own(file);
        providers::header_list headers;
        auto const urls = providers::ses().prerequisites({body, headers, ""}, providers::provider_settings{});
        REQUIRE(urls == std::vector<std::string>{
                            "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"});
        providers::provider_settings s;
        s.fetched[urls[0]] = cert;
        CHECK_FALSE(providers::ses().verify({body, headers, ""}, s));

        auto tampered = body;
        tampered.replace(tampered.find("Hello world"), 11, "Hello World");
        CHECK(providers::ses().verify({tampered, headers, ""}, s) == providers::errc::bad_credentials);
        // Someone else's key: our test certificate.
        s.fetched[urls[0]] = test_signer().cert_pem;
        CHECK(providers::ses().verify({body, headers, ""}, s) == providers::errc::bad_credentials);
        // Plain SNS text on the topic: valid, signed, but not SES.
        auto const r = parse(body);
        REQUIRE(r.rejected.size() == 1);
        CHECK(r.rejected[0].why == "not_an_ses_notification");
    }
}

TEST_CASE("ses verifies AWS-signed SNS vectors when the shared set has them", "[providers][ses][verify][shared]")
{
    auto const base = test::shared_dir();
    if (base.empty()) return;
    auto const cert = base / "fixtures" / "esp" / "amazon-ses" / "_sns-signing-cert.pem";
    if (!std::filesystem::exists(cert)) {
        WARN("SKIP: the shared amazon-ses fixtures ship no signing certificate; own AWS vectors cover this");
        return;
    }
    int checked = 0;
    for (auto const& path : test::shared_esp_fixtures("amazon-ses")) {
        if (path.filename().string().rfind("sns-signed-", 0) != 0) continue;
        INFO(path.filename().string());
        auto const body = test::read_file(path);
        providers::header_list headers;
        auto const urls = providers::ses().prerequisites({body, headers, ""}, providers::provider_settings{});
        REQUIRE(urls.size() == 1);
        providers::provider_settings s;
        s.fetched[urls[0]] = test::read_file(cert);
        CHECK_FALSE(providers::ses().verify({body, headers, ""}, s));
        ++checked;
    }
    CHECK(checked > 0);
}

TEST_CASE("ses asks for no certificate when signatures are not checked for the source", "[providers][ses][verify]")
{
    auto const body = signed_notification(1, {});
    providers::header_list headers;
    providers::request_view const req{body, headers, ""};
    providers::provider const& ses = providers::ses();

    providers::provider_settings off;
    off.secrets["verify_signature"] = "false";
    CHECK(ses.prerequisites(req, off).empty());
    // verify() passes without it.
    CHECK_FALSE(ses.verify(req, off));

    // Checked (the default, or anything but "false"): the certificate is needed.
    CHECK(ses.prerequisites(req, providers::provider_settings{}) == std::vector<std::string>{std::string(cert_url)});
    providers::provider_settings on;
    on.secrets["verify_signature"] = "true";
    CHECK(ses.prerequisites(req, on) == std::vector<std::string>{std::string(cert_url)});
}
