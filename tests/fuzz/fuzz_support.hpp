// Shared pieces of the libFuzzer targets: the input framing the provider
// targets use, the credentials every target configures, and the invariant
// checks that turn a silent wrong answer into a crash the fuzzer can report.
//
// Input framing for provider targets (so that a plain ESP body is a valid
// seed on its own): leading lines that start with "#!" are request headers
// ("#!Name: value"), everything after them is the body. Two pseudo-headers
// tune the settings: "#!:source: x" sets the {source} path segment and
// "#!:max-events: N" lowers provider_settings::max_events.
#pragma once

#include "model/event.hpp"
#include "providers/provider.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// A violated invariant is a bug: say which, then abort so libFuzzer keeps the
// input. Kept as a macro so the report names the harness line.
#define FUZZ_CHECK(cond, what)                                                                    \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, \
                         #cond);                                                                  \
            std::abort();                                                                         \
        }                                                                                         \
    } while (0)

namespace rebound::fuzz {

// Test-only credentials. The private halves were thrown away after the seed
// corpora were signed, so these keys protect nothing.
//
// SendGrid Signed Event Webhook: a P-256 public key (base64 DER SPKI).
inline constexpr char sendgrid_public_key[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6EjFN9J+fNFzvVgJ8tP/xWy0vDg/zl8RjySmRagBOlFwdqQwtSY8ECWlg2raxNQHhUypKO+j+EUYHTx0Tn4gHg==";

// Amazon SNS: a self-signed certificate that stands in for the one at
// SigningCertURL; the service would have fetched it before verify().
inline constexpr char sns_cert_url[] = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-rebound-fuzz.pem";
inline constexpr char sns_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDMzCCAhugAwIBAgIUIl2CWE+MunsA+A1It2mpUjBMK4wwDQYJKoZIhvcNAQEL\n"
    "BQAwKDEmMCQGA1UEAwwdcmVib3VuZCBmdXp6IHRlc3QgY2VydGlmaWNhdGUwIBcN\n"
    "MjYxMTIyMDUwMTM2WhgPMjEyNjEwMjkwNTAxMzZaMCgxJjAkBgNVBAMMHXJlYm91\n"
    "bmQgZnV6eiB0ZXN0IGNlcnRpZmljYXRlMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n"
    "MIIBCgKCAQEAtwbMDq2BunNSH0pP0XSVg+2O9HvPBROtugAZxrnfhyyGuZzjM04z\n"
    "SE18zRHY2OgeTFn4ZQq2dskrKEzQm/lebtMc+qUs94/bdVdfdbx1ijfMDYKpbktT\n"
    "K4kaj+EwetNoeXnEbTW/nAe+KToNGGyYq8I4FFK7f9InITEUb4a7W6L9f/4xs/iS\n"
    "oyunrAtDKzoPSZHK+WED94k531IIcVqvgw7r6dldC31yZE7dwkhmJgZCQSGqG+tJ\n"
    "JAyBL6BOrMYo1KjCyk9vGGYczXKvIJYsU15pPP5wr1TqxfQS5zNuNuBVSTPnePqu\n"
    "1pohRSvz5y/F4MYQOVO1ci8WjUY+aJZewwIDAQABo1MwUTAdBgNVHQ4EFgQUwJos\n"
    "9GBfyDhct9IfvlfrJjYjDBEwHwYDVR0jBBgwFoAUwJos9GBfyDhct9IfvlfrJjYj\n"
    "DBEwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAtVYeCrCy+KvN\n"
    "Z6HqnyWaC0xCOuu8HU5/r+xNNOtHQK8RZ6esBOtFVT1xjHlQfW+I77CvLeWHxI8F\n"
    "GtoH2JNsZIm/RjyqcFr92LBHKrYe/hturz8imzj5teTNlc3/g+K1+eksJOwwkTSI\n"
    "j7/P2oJDrwyUKPU4GTNg0YYOvam2vODZdxGJU9G4lRJZqUdrAb813ABmXMpJ3MaH\n"
    "dEiU4OShvonQjt3PIMiyi1J+K5BcT4g6s2aBklj+LS2G5GxPlgot4y5y/5D588cS\n"
    "Xa5SYsXEf7pO+C0pF8Zks5wmygtbJCMT/OtiUsZl836agS4arWwvhAeNWLQif6xu\n"
    "EP7gnGH+MQ==\n"
    "-----END CERTIFICATE-----\n";

/// The same clock for every run, so a crash reproduces whatever the date.
inline constexpr std::int64_t fixed_now = 1709290000;

/// Settings with every credential a provider may check configured, so that
/// verify() runs its real checks rather than returning early.
inline providers::provider_settings
locked_settings()
{
    providers::provider_settings s;
    s.now_unix = fixed_now;
    s.secrets = {
        {"public_key", sendgrid_public_key},
        {"basic_auth", "fuzz:basic-secret"},
        {"token", "fuzz-bearer-token"},
        {"signing_key", "fuzz-mailgun-signing-key"},
        {"header_name", "X-Fuzz-Secret"},
        {"header_value", "fuzz-header-secret"},
        {"webhook_token", "fuzz-webhook-token"},
        {"api_key", "fuzz-api-key"},
        {"topic_arn", "arn:aws:sns:us-east-1:123456789012:rebound-fuzz, arn:aws:sns:eu-west-1:123456789012:ses-events"},
    };
    s.fetched = {{sns_cert_url, sns_cert_pem}};
    return s;
}

/// One request for a provider: headers, body and tuning, carved from the input.
struct provider_input {
    providers::header_list headers;
    std::string body;
    std::string source;
    std::size_t max_events = 10000;
};

inline provider_input
split_provider_input(std::string_view data)
{
    provider_input in;
    while (data.starts_with("#!")) {
        auto const eol = data.find('\n');
        auto line = data.substr(2, eol == std::string_view::npos ? std::string_view::npos : eol - 2);
        data = eol == std::string_view::npos ? std::string_view{} : data.substr(eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // A leading ':' belongs to the name of a pseudo-header.
        auto const colon = line.find(':', 1);
        if (colon == std::string_view::npos) continue;
        auto const name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == ":source") {
            in.source = std::string(value);
        } else if (name == ":max-events") {
            std::size_t n = 0;
            auto const [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec == std::errc{}) in.max_events = n;
        } else {
            in.headers.add(std::string(name), std::string(value));
        }
    }
    in.body = std::string(data);
    return in;
}

inline bool
valid_utf8(std::string_view s)
{
    return simdjson::validate_utf8(s.data(), s.size());
}

/// Whether `text` is one complete JSON value. Stored raw JSON lands in a
/// PostgreSQL json column, which refuses anything else and would fail the
/// whole batch.
inline bool
is_json(std::string_view text)
{
    static simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    return !parser.parse(padded).error();
}

/// What the store relies on for every event a provider emits. Text columns
/// must be UTF-8 (NUL is stripped by the writer, so it is allowed here).
inline void
check_event(model::normalized_event const& e, std::string_view provider, std::string_view source)
{
    FUZZ_CHECK(e.provider == provider, "event names another provider");
    FUZZ_CHECK(e.source == source, "event carries another source");
    FUZZ_CHECK(!e.provider_event_id.empty(), "event without a dedup key");
    FUZZ_CHECK(!e.recipient.empty(), "event without a recipient");
    auto const at = e.recipient.view().rfind('@');
    FUZZ_CHECK(at != std::string::npos && at > 0 && at + 1 < e.recipient.size(), "recipient is not an address");
    FUZZ_CHECK(e.recipient_domain == std::string_view(e.recipient).substr(at + 1), "domain is not the recipient's");
    FUZZ_CHECK(!e.smtp_code || (*e.smtp_code >= 100 && *e.smtp_code <= 999), "smtp_code is not a three-digit code");
    for (std::string_view text : {std::string_view(e.provider_event_id), std::string_view(e.recipient),
                                  std::string_view(e.enhanced_status), std::string_view(e.diagnostic),
                                  std::string_view(e.esp_message_id), std::string_view(e.esp_class),
                                  std::string_view(e.esp_type), std::string_view(e.remote_mta),
                                  std::string_view(e.user_ref), std::string_view(e.reason)})
        FUZZ_CHECK(valid_utf8(text), "event text field is not UTF-8 (PostgreSQL would refuse the batch)");
    FUZZ_CHECK(is_json(e.raw_json), "event raw_json is not one JSON value (json column would refuse the batch)");
}

inline void
check_rejected(model::rejected_event const& r, std::string_view provider, std::string_view source)
{
    FUZZ_CHECK(r.provider == provider, "rejected event names another provider");
    FUZZ_CHECK(r.source == source, "rejected event carries another source");
    FUZZ_CHECK(!r.why.empty(), "rejected event without a reason");
    FUZZ_CHECK(is_json(r.raw_json), "rejected raw_json is not one JSON value (json column would refuse the batch)");
}

}  // namespace rebound::fuzz
