// The one interface every ESP implements.
//
// A provider is pure: the raw body and headers come in, normalised events and
// counts go out. No sockets, no database, no clock (the time is passed in), so
// every provider is unit-tested straight from fixture files and fuzzed without
// a harness. Adding an ESP means one file in this folder and one line in
// registry.cpp.
#pragma once

#include "model/event.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rebound::providers {

/// Request headers, names compared case-insensitively. Kept free of Beast so
/// providers stay cheap to compile and easy to fuzz.
class header_list {
public:
    void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
    /// The first value of `name`, or "" when absent.
    std::string_view get(std::string_view name) const noexcept;
    auto const& items() const noexcept { return items_; }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

/// Everything a provider may look at.
struct request_view {
    std::string_view body;
    header_list const& headers;
    std::string_view source;  // "" for /v1/webhooks/{provider}, else the {source} segment
};

/// Per provider-and-source settings, resolved from configuration by the caller.
struct provider_settings {
    std::string user_ref_field = "user_id";      // custom argument that carries the app's user id
    std::map<std::string, std::string> secrets;  // e.g. "public_key", "signing_key", "basic_auth", "token"
    std::int64_t now_unix = 0;                    // for replay windows; passed in to keep providers pure
    std::size_t max_events = 10000;              // events per request beyond which the body is refused
    /// Documents fetched for this request before verify() runs, by URL (see
    /// provider::prerequisites). The service fetches and caches them; the
    /// provider only reads this map, so it stays free of I/O.
    std::map<std::string, std::string> fetched;
};

/// Something the operator must see that is not an event, such as an SNS
/// subscription request.
struct side_notice {
    std::string kind;     // "sns_subscription_confirmation", "sns_unsubscribe_confirmation"
    std::string topic;    // e.g. the TopicArn
    std::string url;      // e.g. the SubscribeURL
    std::string raw_json;
};

struct parse_result {
    std::vector<model::normalized_event> events;
    std::vector<model::rejected_event> rejected;
    std::size_t ignored = 0;  // well-formed events of types rebound does not store (open, click, ...)
    std::vector<side_notice> notices;
};

/// Why a whole request was refused. Each maps to one HTTP status in the
/// http layer (see http/errors.cpp), so providers never speak HTTP.
enum class errc {
    malformed_body = 1,     // not JSON, or not the shape this ESP sends        -> 400
    unsupported_media_type, // e.g. form-encoded where JSON is required          -> 415
    missing_credentials,    // no signature/auth where one is configured         -> 401
    bad_credentials,        // signature or password does not match              -> 401
    stale_signature,        // timestamp outside the replay window               -> 401
    too_many_events,        // more events than provider_settings::max_events    -> 413
    replayed,               // a signed token seen before (replay cache)          -> 401
};

boost::system::error_category const& provider_category() noexcept;

inline boost::system::error_code
make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), provider_category()};
}

class provider {
public:
    virtual ~provider() = default;

    /// The path segment: /v1/webhooks/{name}.
    virtual std::string_view name() const noexcept = 0;

    /// URLs whose content verify() needs with this source's settings, e.g.
    /// SNS's SigningCertURL (none when the source turns the check off). The
    /// service checks each against its allow-list, fetches it (cached) and
    /// passes it in provider_settings::fetched. Most ESPs need none.
    virtual std::vector<std::string> prerequisites(request_view const& req, provider_settings const& settings) const
    {
        return {};
    }

    /// A key that must not be accepted twice, with how long to remember it,
    /// for ESPs whose signature does not cover the body (Mailgun's token).
    /// The service remembers it only after the request succeeded, so an ESP
    /// retry of a failed delivery is never refused.
    struct replay_guard {
        std::string key;
        std::int64_t ttl_seconds = 0;
    };
    virtual std::optional<replay_guard> replay_key(request_view const& req, provider_settings const& settings) const
    {
        return std::nullopt;
    }

    /// Checks the signature or transport credentials the way this ESP intends.
    /// Returns success when no credential is configured for this source; the
    /// service logs that at startup.
    virtual boost::system::error_code verify(request_view const& req, provider_settings const& settings) const = 0;

    /// Maps the body to events. Only fails for the request as a whole (not
    /// JSON, wrong shape); a single bad event becomes a rejected_event instead.
    virtual boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const = 0;
};

/// The check for ESPs that rely on transport credentials rather than a
/// signature. Secrets "basic_auth" ("user:password") and "token" (sent as
/// `Authorization: Bearer ...`) are each optional; when both are configured
/// either one is enough. No secret configured means no check.
boost::system::error_code check_transport_auth(request_view const& req, provider_settings const& settings);

/// The base of ESPs that sign nothing, so transport credentials are all
/// there is to check.
class transport_auth_provider : public provider {
public:
    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        return check_transport_auth(req, settings);
    }
};

}  // namespace rebound::providers

namespace boost::system {
template <>
struct is_error_code_enum<rebound::providers::errc> : std::true_type {};
}  // namespace boost::system
