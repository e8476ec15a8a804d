// Signature and credential checks, on OpenSSL 3.
//
// Pure functions over bytes: providers call them with the raw body and the
// secrets from configuration. Every comparison of secret material is constant
// time so a webhook endpoint cannot be used as a timing oracle.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rebound::verify {

/// Standard base64 (with or without padding, whitespace ignored).
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

/// Constant-time equality for secrets of possibly different lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// SHA-256 of `data` as lowercase hex; used to derive stable dedup keys for
/// ESPs that send no event id.
std::string sha256_hex(std::string_view data);

/// HMAC-SHA256 / HMAC-SHA1 as lowercase hex, and raw bytes.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
std::string hmac_sha256_raw(std::string_view key, std::string_view message);

/// ECDSA verification as SendGrid's Signed Event Webhook does it:
/// `public_key` is base64 SubjectPublicKeyInfo (or PEM), `signature_b64` is a
/// base64 DER (r,s), the digest is SHA-256 over `message`.
bool ecdsa_sha256_verify(std::string_view public_key, std::string_view message, std::string_view signature_b64);

/// RSA PKCS#1 v1.5 verification with a PEM X.509 certificate's key (SNS).
/// `sha256` selects SignatureVersion 2 (SHA-256) over version 1 (SHA-1).
bool rsa_cert_verify(std::string_view cert_pem, std::string_view message, std::string_view signature_b64, bool sha256);

/// `Authorization: Basic ...` against "user:password"; `Authorization: Bearer ...` against a token.
bool basic_auth_matches(std::string_view authorization_header, std::string_view user_colon_password);
bool bearer_matches(std::string_view authorization_header, std::string_view token);

/// https://sns.<region>.amazonaws.com[.cn]/<path>: the only hosts Amazon SNS
/// signs from and sends confirmations for. Anything looser would let a
/// forger choose the key that checks its own signature.
bool is_sns_url(std::string_view url) noexcept;

/// An SNS URL whose path ends in .pem, with no query or fragment: a
/// SigningCertURL that may be fetched.
bool is_sns_certificate_url(std::string_view url) noexcept;

}  // namespace rebound::verify
