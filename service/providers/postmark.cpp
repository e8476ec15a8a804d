// Postmark Bounce, Delivery and SpamComplaint webhooks.
//
// Body: one JSON object per request, discriminated by RecordType; a Bounce's
// `Type` decides between bounce, deferred, block, drop and complaint. Auth:
// nothing in the payload, so transport credentials: Basic auth in the webhook
// URL, a bearer token, and/or a custom header set on the webhook. Dedup key:
// the record's ID (a 64-bit integer, kept as exact text) for bounces and
// complaints; MessageID + Recipient + DeliveredAt for deliveries, which have
// no ID.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

std::string_view
secret(provider_settings const& settings, std::string const& key)
{
    auto const it = settings.secrets.find(key);
    return it == settings.secrets.end() ? std::string_view{} : std::string_view{it->second};
}

/// Every bounce Type/TypeCode Postmark defines (postmark.js Bounce.ts), per
/// esp-webhooks.md's mapping table. No type = a well-formed record that is
/// not a delivery outcome (auto-replies, subscribe requests, ...).
struct bounce_kind {
    std::string_view type;
    std::int64_t code;
    std::optional<event_type> mapped;
};

constexpr std::array<bounce_kind, 22> bounce_kinds{{
    {"HardBounce", 1, event_type::bounce},
    {"Transient", 2, event_type::deferred},
    {"Unsubscribe", 16, std::nullopt},
    {"Subscribe", 32, std::nullopt},
    {"AutoResponder", 64, std::nullopt},
    {"AddressChange", 128, std::nullopt},
    {"DnsError", 256, event_type::deferred},
    {"SpamNotification", 512, event_type::complaint},
    {"OpenRelayTest", 1024, std::nullopt},
    {"Unknown", 2048, std::nullopt},
    {"SoftBounce", 4096, event_type::deferred},
    {"VirusNotification", 8192, event_type::block},
    {"ChallengeVerification", 16384, std::nullopt},
    {"BadEmailAddress", 100000, event_type::bounce},
    {"SpamComplaint", 100001, event_type::complaint},
    {"ManuallyDeactivated", 100002, event_type::drop},
    {"Unconfirmed", 100003, event_type::drop},
    {"Blocked", 100006, event_type::block},
    {"SMTPApiError", 100007, std::nullopt},
    {"InboundError", 100008, std::nullopt},
    {"DMARCPolicy", 100009, event_type::block},
    {"TemplateRenderingFailed", 100010, event_type::drop},
}};

/// The Type string decides; TypeCode only when Type is absent, because the
/// docs' own SpamComplaint example says TypeCode 512 (SpamNotification).
bounce_kind const*
find_bounce_kind(dom::element record)
{
    auto const type = json::str(record, "Type");
    auto const code = json::int_field(record, "TypeCode");
    auto const it = std::find_if(bounce_kinds.begin(), bounce_kinds.end(), [&](bounce_kind const& k) {
        return type.empty() ? (code && k.code == *code) : k.type == type;
    });
    return it == bounce_kinds.end() ? nullptr : &*it;
}

/// Real bounces carry the remote reply in Details after its DSN type:
/// "smtp;550 5.1.1 The email account ...".
std::string_view
reply_text(std::string_view details) noexcept
{
    if (details.starts_with("smtp;")) details.remove_prefix(5);
    return details;
}

class postmark_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "postmark"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        if (auto const ec = check_transport_auth(req, settings)) return ec;
        // A custom header configured on the webhook (HttpHeaders), e.g. a
        // shared secret, for setups that avoid credentials in the URL.
        auto const header = secret(settings, "header_name");
        if (header.empty()) return {};
        auto const sent = req.headers.get(header);
        if (sent.empty()) return errc::missing_credentials;
        if (!verify::constant_time_equal(sent, secret(settings, "header_value"))) return errc::bad_credentials;
        return {};
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        json::document doc;
        model::text_arena text{256};  // the one event's longer texts
        auto body = json::parse_object(doc, req.body);
        if (!body) return body.error();
        if (settings.max_events < 1) return errc::too_many_events;
        // Plain names, not a structured binding: lambdas below capture them (clang 14 cannot).
        std::string_view const raw = body->raw;
        dom::element const record = body->element;

        parse_result out;
        auto reject = [&](char const* why) {
            out.rejected.push_back({std::string(name()), std::string(req.source), why, std::string(raw)});
            return std::move(out);
        };

        auto const record_type = json::str(record, "RecordType");
        if (record_type.empty()) return reject("missing_event_type");
        std::optional<event_type> type;
        if (record_type == "Delivery") {
            type = event_type::delivered;
        } else if (record_type == "SpamComplaint") {
            type = event_type::complaint;
        } else if (record_type == "Bounce") {
            auto const kind = find_bounce_kind(record);
            if (!kind) return reject("unknown_bounce_type");  // kept raw: a new Type needs a mapping
            type = kind->mapped;
        }
        if (!type) {
            ++out.ignored;  // Open, Click, SubscriptionChange, non-delivery bounce types
            return out;
        }

        // Deliveries name the address Recipient, bounces and complaints Email.
        bool const delivery = record_type == "Delivery";
        model::normalized_event e;
        if (!model::normalize_address(json::str(record, delivery ? "Recipient" : "Email"), text, e.recipient,
                                      e.recipient_domain))
            return reject("missing_recipient");
        auto const time_text = json::str(record, delivery ? "DeliveredAt" : "BouncedAt");
        // Up to 7 fractional digits; the 7th is below the model's resolution.
        auto const when = json::parse_iso8601(time_text);
        if (!when) return reject("bad_timestamp");

        e.provider = name();
        e.source = req.source;
        e.type = *type;
        e.occurred_at = *when;
        e.esp_message_id = text.copy(json::str(record, "MessageID"));
        // ID exceeds 2^53 in the docs' own example: read as an integer, never
        // a double. Deliveries have none; their fields are repeated on retry.
        auto const id = json::scalar_text(record, "ID");
        if (!delivery && id && !id->empty()) {
            std::string record_key(record_type);
            model::ascii_lower(record_key);
            e.provider_event_id = text.copy(record_key + ":" + *id);
        } else {
            e.provider_event_id = text.copy(json::derived_event_id({record_type, e.esp_message_id, e.recipient, time_text}));
        }
        e.diagnostic = text.copy(json::str(record, "Details"));
        if (e.diagnostic.empty()) e.diagnostic = text.copy(json::str(record, "Description"));
        e.smtp_code = json::reply_code_in(reply_text(e.diagnostic));
        e.enhanced_status = json::enhanced_status_in(reply_text(e.diagnostic));
        e.esp_type = delivery ? std::string_view{} : json::str(record, "Type");
        if (auto const code = json::scalar_text(record, "TypeCode"); code && !delivery) e.esp_class = *code;
        e.user_ref = json::custom_var(record, "Metadata", settings.user_ref_field);
        e.raw_json = raw;
        out.events.push_back(std::move(e));
        return out;
    }
};

}  // namespace

provider const&
postmark()
{
    static postmark_provider const instance;
    return instance;
}

}  // namespace rebound::providers
