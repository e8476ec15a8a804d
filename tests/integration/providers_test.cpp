// Every provider's own fixtures over real HTTP into a real PostgreSQL: the
// events land, and a replay of the same bodies adds no rows. Plus the
// service-side halves of verification: SNS certificates pre-loaded from a
// directory, Mailgun's token replay cache, SNS subscription requests made
// visible, and the Basic-auth challenge SNS needs.
#include "harness.hpp"

#include "../support/fixtures.hpp"
#include "verify/verify.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace rebound;
using rebound::test::running_service;

namespace {

struct fixture_case {
    char const* provider;
    char const* file;
    char const* content_type;
    int min_accepted;
};

// Our own fixtures (tests/fixtures), one or more per provider.
fixture_case const fixture_cases[] = {
    {"sendgrid", "sendgrid/batch-mixed.json", "application/json", 7},
    {"ses", "ses/sns-envelope-bounce-three-recipients.json", "text/plain; charset=UTF-8", 2},
    {"ses", "ses/delivery-delay-two-recipients.json", "text/plain; charset=UTF-8", 2},
    {"mailgun", "mailgun/failed-permanent-bounce.json", "application/json", 1},
    {"mailgun", "mailgun/rejected.json", "application/json", 1},
    {"postmark", "postmark/bounce-softbounce-over-quota.json", "application/json", 1},
    {"postmark", "postmark/delivery.json", "application/json", 1},
    {"sparkpost", "sparkpost/batch-mixed.json", "application/json", 3},
    {"mailjet", "mailjet/grouped-mixed.json", "application/json", 3},
    {"brevo", "brevo/batched-mixed.json", "application/json", 3},
    {"cmc", "cmc/bounces.json", "application/json", 1},
    {"cmc", "cmc/deliveries-mixed.json", "application/json", 1},
    {"cmc", "cmc/deliveries-form.txt", "application/x-www-form-urlencoded", 1},
    {"blastengine", "blastengine/mixed.json", "application/json", 2},
    {"generic", "generic/batch-all-types.json", "application/json", 6},
};

long long
field(std::string const& body, char const* key)
{
    return boost::json::parse(body).at(key).as_int64();
}

}  // namespace

TEST_CASE("every provider's fixtures land over HTTP, and a replay adds no rows", "[integration][providers]")
{
    config::config cfg;
    // The SES fixtures are unsigned bodies of our own; signatures are
    // covered by the next test.
    cfg.secrets["ses"][""]["verify_signature"] = "false";
    running_service svc{cfg};

    for (auto const& c : fixture_cases) {
        INFO(c.provider << " " << c.file);
        auto const body = test::read_file(test::own_fixtures() / c.file);
        auto const before = std::stoll(svc.db().scalar("SELECT count(*) FROM events"));

        auto const first = svc.post(std::string("/v1/webhooks/") + c.provider, body, {{"Content-Type", c.content_type}});
        INFO(first.body);
        REQUIRE(first.status == 200);
        auto const accepted = field(first.body, "accepted");
        CHECK(accepted >= c.min_accepted);
        auto const after = std::stoll(svc.db().scalar("SELECT count(*) FROM events"));
        CHECK(after - before == accepted);
        CHECK(svc.db().scalar("SELECT count(*) FROM events WHERE provider = '" + std::string(c.provider) + "' AND reason IS NULL AND event_type <> 'delivered'") == "0");

        auto const replay = svc.post(std::string("/v1/webhooks/") + c.provider, body, {{"Content-Type", c.content_type}});
        REQUIRE(replay.status == 200);
        CHECK(field(replay.body, "accepted") == 0);
        CHECK(field(replay.body, "duplicates") == accepted);
        CHECK(std::stoll(svc.db().scalar("SELECT count(*) FROM events")) == after);
    }
    // Every stored event kept its own raw JSON, never a whole batch.
    CHECK(svc.db().scalar("SELECT count(*) FROM events WHERE json_typeof(raw) <> 'object'") == "0");
}

TEST_CASE("SNS signatures are checked with certificates pre-loaded from a directory", "[integration][providers][verify]")
{
    // The AWS-signed vectors reference SimpleNotificationService-<id>.pem.
    auto const dir = std::filesystem::temp_directory_path() / ("rebound-sns-certs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(test::own_fixtures() / "ses" / "aws-sns-signing-cert-7ff5318490ec183fbaddaa2a969abfda.pem",
                               dir / "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
                               std::filesystem::copy_options::overwrite_existing);
    config::config cfg;
    cfg.sns_cert_dir = dir.string();
    running_service svc{cfg};

    auto const signed_body = test::read_file(test::own_fixtures() / "ses" / "aws-signed-v2.json");
    auto const ok = svc.post("/v1/webhooks/ses", signed_body, {{"Content-Type", "text/plain; charset=UTF-8"}});
    INFO(ok.body);
    CHECK(ok.status == 200);  // authentic; its "Hello world" message is kept as rejected, not dropped
    CHECK(field(ok.body, "rejected") == 1);

    auto tampered = signed_body;
    tampered.replace(tampered.find("Hello world"), 11, "Hello World");
    auto const bad = svc.post("/v1/webhooks/ses", tampered, {{"Content-Type", "text/plain; charset=UTF-8"}});
    CHECK(bad.status == 401);
    CHECK(bad.body.find("bad_credentials") != std::string::npos);
    CHECK(svc.db().scalar("SELECT count(*) FROM rejected_events") == "1");
    std::filesystem::remove_all(dir);
}

TEST_CASE("an SNS certificate that cannot be fetched is a 503, which SNS retries, never a 401", "[integration][providers][verify]")
{
    // SNS never retries a 4xx, so answering a failed certificate fetch as a
    // missing signature would lose the notification. The certificate's host
    // is an SNS name that resolves nowhere, so the fetch fails here whether
    // or not the machine has a network (at most one DNS query leaves it).
    running_service svc;
    auto body = test::read_file(test::own_fixtures() / "ses" / "aws-signed-v2.json");
    auto const host = body.find("sns.us-east-2.amazonaws.com/SimpleNotificationService-");
    REQUIRE(host != std::string::npos);
    body.replace(host, std::string_view("sns.us-east-2").size(), "sns.no-such-region-rebound-test");

    for (int attempt = 0; attempt < 2; ++attempt) {  // the second fails at once, from the failure backoff
        auto const r = svc.post("/v1/webhooks/ses", body, {{"Content-Type", "text/plain; charset=UTF-8"}});
        INFO(r.body);
        CHECK(r.status == 503);
        CHECK(r.headers.count("retry-after") == 1);
        CHECK(r.body.find("certificate_unavailable") != std::string::npos);
    }
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "0");
    CHECK(svc.db().scalar("SELECT count(*) FROM rejected_events") == "0");
}

TEST_CASE("a Mailgun token is accepted once; a replay after success is refused", "[integration][providers][verify]")
{
    config::config cfg;
    cfg.secrets["mailgun"][""]["signing_key"] = "mg-test-signing-key-0123456789";
    cfg.secrets["mailgun"][""]["max_age_seconds"] = "0";  // the fixture's signature is from 2024
    running_service svc{cfg};
    auto const body = test::read_file(test::own_fixtures() / "mailgun" / "signed-failed-temporary.json");

    auto const first = svc.post("/v1/webhooks/mailgun", body);
    INFO(first.body);
    CHECK(first.status == 200);
    auto const again = svc.post("/v1/webhooks/mailgun", body);
    CHECK(again.status == 401);
    CHECK(again.body.find(R"("code":"replayed")") != std::string::npos);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "1");

    auto altered = body;
    altered.replace(altered.find("3f9d1c0b"), 8, "00000000");  // another token, same signature: forged
    CHECK(svc.post("/v1/webhooks/mailgun", altered).status == 401);
}

TEST_CASE("SNS subscription requests are recorded and listed, and Basic auth is challenged", "[integration][providers]")
{
    config::config cfg;
    cfg.secrets["ses"][""]["verify_signature"] = "false";
    cfg.secrets["ses"][""]["basic_auth"] = "sns:secret-password";
    cfg.api_tokens.push_back({"ops", verify::sha256_hex("admin-token"), {"admin"}});
    running_service svc{cfg};

    std::string const body = R"({"Type":"SubscriptionConfirmation","MessageId":"sub-1","Token":"2336412f37",)"
                             R"("TopicArn":"arn:aws:sns:eu-west-1:123456789012:ses-events",)"
                             R"("Message":"You have chosen to subscribe to the topic.",)"
                             R"("SubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37",)"
                             R"("Timestamp":"2024-03-01T10:00:00.000Z","SignatureVersion":"1","Signature":"x",)"
                             R"("SigningCertURL":"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem"})";

    auto const challenge = svc.post("/v1/webhooks/ses", body, {{"Content-Type", "text/plain"}});
    CHECK(challenge.status == 401);
    CHECK(challenge.headers.count("www-authenticate") == 1);

    auto const auth = "Basic " + verify::base64_encode("sns:secret-password");
    auto const r = svc.post("/v1/webhooks/ses", body, {{"Content-Type", "text/plain"}, {"Authorization", auth}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(field(r.body, "notices") == 1);

    auto const list = test::http_call(svc.port(), "GET", "/v1/provider-notices", {}, {{"Authorization", "Bearer admin-token"}});
    REQUIRE(list.status == 200);
    auto const items = boost::json::parse(list.body).at("items").as_array();
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("kind") == "sns_subscription_confirmation");
    CHECK(items[0].at("url").as_string().starts_with("https://sns.eu-west-1.amazonaws.com/"));
    CHECK(items[0].at("confirmed_at") == nullptr);  // auto-confirmation is off unless configured
}
