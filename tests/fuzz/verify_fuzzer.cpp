// libFuzzer target for the credential helpers (verify/verify.hpp) that every
// provider's verify() leans on with attacker-chosen bytes: base64 decoding of
// signatures and Basic credentials, the Authorization parsers, the SNS URL
// allow-list, and the signature checks with hostile key, certificate and
// signature text.
//
// Properties checked: base64 round-trips, and no check accepts what it must
// not (an empty or garbage credential never matches a real secret).
#include "fuzz_support.hpp"

#include "verify/verify.hpp"

#include <boost/url/parse.hpp>
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

using namespace rebound;

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const raw(reinterpret_cast<char const*>(data), size);

    // Decoding anything is fine; decoding what we encoded gives it back.
    if (auto const decoded = verify::base64_decode(raw)) {
        auto const re = verify::base64_encode(*decoded);
        auto const back = verify::base64_decode(re);
        FUZZ_CHECK(back && *back == *decoded, "base64 round trip of a decoded value failed");
    }
    auto const encoded = verify::base64_encode(raw);
    auto const decoded = verify::base64_decode(encoded);
    FUZZ_CHECK(decoded && *decoded == raw, "base64 round trip failed");

    // The Authorization header as a client sends it.
    (void)verify::basic_auth_matches(raw, "fuzz:basic-secret");
    FUZZ_CHECK(!verify::bearer_matches(raw, "fuzz-bearer-token") ||
                   raw.find("fuzz-bearer-token") != std::string_view::npos,
               "Bearer token matched without the token");
    FUZZ_CHECK(verify::constant_time_equal(raw, std::string(raw)), "equal strings compared unequal");

    // The SNS URL allow-list decides which key checks a signature: what it
    // accepts must be an https URL on an amazonaws host, without userinfo,
    // port, query or fragment that could redirect the fetch.
    if (verify::is_sns_certificate_url(raw)) {
        FUZZ_CHECK(verify::is_sns_url(raw), "certificate URL that is not an SNS URL");
        FUZZ_CHECK(raw.ends_with(".pem"), "certificate URL without .pem");
    }
    if (verify::is_sns_url(raw)) {
        FUZZ_CHECK(raw.starts_with("https://sns."), "SNS URL not on https://sns.");
        auto const host = raw.substr(8, raw.find('/', 8) - 8);
        FUZZ_CHECK(host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"), "SNS URL off amazonaws");
        FUZZ_CHECK(host.find_first_of("@:%\\") == std::string_view::npos, "SNS URL host with userinfo, port or escape");
        // The fetcher (http/fetch.cpp) re-parses the URL with Boost.URL; it
        // must connect to the very host the allow-list checked, or the check
        // is bypassed (a parser differential).
        if (auto const parsed = boost::urls::parse_absolute_uri(raw); parsed && parsed->scheme() == "https") {
            FUZZ_CHECK(parsed->encoded_host() == host, "fetcher would connect to another host than the one allowed");
            FUZZ_CHECK(!parsed->has_userinfo() && !parsed->has_port(), "allowed SNS URL carries userinfo or a port");
        }
    }

    FuzzedDataProvider fdp(data, size);
    auto const which = fdp.ConsumeIntegralInRange<int>(0, 2);
    auto const signature = fdp.ConsumeRandomLengthString(200);
    auto const message = fdp.ConsumeRandomLengthString(200);
    auto const key = fdp.ConsumeRemainingBytesAsString();
    switch (which) {
    case 0:
        // A hostile key (base64 DER or PEM), as a misconfiguration could give.
        (void)verify::ecdsa_sha256_verify(key, message, signature);
        break;
    case 1:
        // The real key, a hostile signature: only a real signature passes, and
        // the fuzzer cannot forge one.
        FUZZ_CHECK(!verify::ecdsa_sha256_verify(fuzz::sendgrid_public_key, message + key, signature),
                   "ECDSA accepted a forged signature");
        break;
    default:
        // A hostile "certificate", as a compromised fetch could return.
        (void)verify::rsa_cert_verify(key, message, signature, signature.size() % 2 == 0);
        FUZZ_CHECK(!verify::rsa_cert_verify(fuzz::sns_cert_pem, message + key, signature, true),
                   "RSA accepted a forged signature");
        break;
    }
    return 0;
}
