// OpenSSL-backed implementations of the checks in verify.hpp.
#include "verify/verify.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace rebound::verify {

namespace {

struct bio_free { void operator()(BIO* p) const noexcept { BIO_free(p); } };
struct pkey_free { void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); } };
struct md_ctx_free { void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); } };
struct x509_free { void operator()(X509* p) const noexcept { X509_free(p); } };

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

bool
verify_with(EVP_PKEY* key, EVP_MD const* md, std::string_view message, std::string_view sig)
{
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx{EVP_MD_CTX_new()};
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(sig.data()), sig.size(),
                            reinterpret_cast<unsigned char const*>(message.data()), message.size()) == 1;
}

pkey_ptr
load_public_key(std::string_view key)
{
    if (key.find("-----BEGIN") != std::string_view::npos) {
        std::unique_ptr<BIO, bio_free> bio{BIO_new_mem_buf(key.data(), static_cast<int>(key.size()))};
        if (!bio) return nullptr;
        return pkey_ptr{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)};
    }
    auto const der = base64_decode(key);
    if (!der) return nullptr;
    auto const* p = reinterpret_cast<unsigned char const*>(der->data());
    return pkey_ptr{d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size()))};
}

std::string_view
auth_scheme_value(std::string_view header, std::string_view scheme)
{
    if (header.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        char c = header[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != scheme[i]) return {};
    }
    auto rest = header.substr(scheme.size());
    if (rest.empty() || rest.front() != ' ') return {};
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return rest;
}

}  // namespace

std::optional<std::string>
base64_decode(std::string_view in)
{
    std::string clean;
    clean.reserve(in.size());
    for (char c : in)
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean.push_back(c);
    // Base64url as some SDKs emit it.
    for (char& c : clean) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
    }
    while (clean.size() % 4 != 0) clean.push_back('=');
    if (clean.empty()) return std::string{};

    std::string out(clean.size() / 4 * 3, '\0');
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts padding as zero bytes; trim them.
    std::size_t pad = 0;
    if (clean.size() >= 1 && clean[clean.size() - 1] == '=') ++pad;
    if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::string
base64_encode(std::string_view in)
{
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

bool
constant_time_equal(std::string_view a, std::string_view b) noexcept
{
    // Compare digests so the time depends on neither secret's length.
    unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
    unsigned int la = 0, lb = 0;
    if (EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr) != 1) return false;
    if (EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr) != 1) return false;
    return la == lb && CRYPTO_memcmp(da, db, la) == 0 && a.size() == b.size();
}

std::string
hmac_sha256_raw(std::string_view key, std::string_view message)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(message.data()),
         message.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

namespace {

std::string
to_hex(std::string_view raw)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
    return out;
}

}  // namespace

std::string
sha256_hex(std::string_view data)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

std::string
hmac_sha256_hex(std::string_view key, std::string_view message)
{
    return to_hex(hmac_sha256_raw(key, message));
}

bool
ecdsa_sha256_verify(std::string_view public_key, std::string_view message, std::string_view signature_b64)
{
    auto const key = load_public_key(public_key);
    auto const sig = base64_decode(signature_b64);
    if (!key || !sig || sig->empty()) return false;
    return verify_with(key.get(), EVP_sha256(), message, *sig);
}

bool
rsa_cert_verify(std::string_view cert_pem, std::string_view message, std::string_view signature_b64, bool sha256)
{
    std::unique_ptr<BIO, bio_free> bio{BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()))};
    if (!bio) return false;
    std::unique_ptr<X509, x509_free> cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
    if (!cert) return false;
    pkey_ptr key{X509_get_pubkey(cert.get())};
    auto const sig = base64_decode(signature_b64);
    if (!key || !sig || sig->empty()) return false;
    return verify_with(key.get(), sha256 ? EVP_sha256() : EVP_sha1(), message, *sig);
}

namespace {

/// Splits "https://host/path" into host and path; false for anything else.
bool
split_https(std::string_view url, std::string_view& host, std::string_view& path) noexcept
{
    constexpr std::string_view scheme = "https://";
    if (!url.starts_with(scheme)) return false;
    url.remove_prefix(scheme.size());
    auto const slash = url.find('/');
    if (slash == std::string_view::npos) return false;
    host = url.substr(0, slash);
    path = url.substr(slash);
    return true;
}

}  // namespace

bool
is_sns_url(std::string_view url) noexcept
{
    std::string_view host, path;
    if (!split_https(url, host, path)) return false;
    if (host.ends_with(".amazonaws.com.cn")) host.remove_suffix(17);
    else if (host.ends_with(".amazonaws.com")) host.remove_suffix(14);
    else return false;
    if (!host.starts_with("sns.")) return false;
    auto const region = host.substr(4);
    // The character check also refuses userinfo ('@'), ports (':') and escapes.
    if (region.size() < 3) return false;
    for (char c : region)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

bool
is_sns_certificate_url(std::string_view url) noexcept
{
    std::string_view host, path;
    if (!is_sns_url(url) || !split_https(url, host, path)) return false;
    return path.find_first_of("?#") == std::string_view::npos && path.ends_with(".pem");
}

bool
basic_auth_matches(std::string_view authorization_header, std::string_view user_colon_password)
{
    auto const value = auth_scheme_value(authorization_header, "basic");
    if (value.empty()) return false;
    auto const decoded = base64_decode(value);
    return decoded && constant_time_equal(*decoded, user_colon_password);
}

bool
bearer_matches(std::string_view authorization_header, std::string_view token)
{
    auto const value = auth_scheme_value(authorization_header, "bearer");
    return !value.empty() && constant_time_equal(value, token);
}

}  // namespace rebound::verify
