// Twilio SendGrid Event Webhook.
//
// Body: always a JSON array of events. Signature: ECDSA P-256 over the
// timestamp header followed by the raw body (the Signed Event Webhook), with
// a timestamp window, or an OAuth bearer token. Dedup key: sg_event_id. Custom arguments are flattened
// into the top level of each event, so the user reference is a top-level key.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <charconv>
#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

bool
equals_ignoring_case(std::string_view text, std::string_view lower) noexcept
{
    if (text.size() != lower.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != lower[i]) return false;
    }
    return true;
}

std::optional<event_type>
map_event(std::string_view event, std::string_view type)
{
    if (equals_ignoring_case(event, "delivered")) return event_type::delivered;
    if (equals_ignoring_case(event, "deferred")) return event_type::deferred;
    if (equals_ignoring_case(event, "dropped")) return event_type::drop;
    if (equals_ignoring_case(event, "spamreport")) return event_type::complaint;
    if (equals_ignoring_case(event, "bounce")) return type == "blocked" ? event_type::block : event_type::bounce;
    return std::nullopt;  // processed, open, click, unsubscribe, group_*: counted as ignored
}

/// The user reference: a flattened custom argument, or (older SMTPAPI
/// payloads) inside unique_args/custom_args.
std::string
user_ref_of(dom::element ev, std::string const& field)
{
    if (auto v = json::scalar_text(ev, field)) return *v;
    for (char const* nested : {"unique_args", "custom_args"}) {
        dom::element obj;
        if (!ev[nested].get(obj) && obj.is_object())
            if (auto v = json::scalar_text(obj, field)) return *v;
    }
    return {};
}

/// SendGrid retries for 24 hours and does not document whether retries are
/// re-signed, so the default window covers the whole retry schedule with a
/// margin: a shorter one would refuse legitimate late retries, losing them.
/// `max_age_seconds` overrides it; 0 turns the check off.
constexpr std::int64_t default_max_age_seconds = 36 * 3600;

std::int64_t
max_age_seconds(provider_settings const& settings)
{
    auto const it = settings.secrets.find("max_age_seconds");
    if (it == settings.secrets.end()) return default_max_age_seconds;
    std::int64_t v = 0;
    auto const [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return (ec != std::errc{} || v < 0) ? default_max_age_seconds : v;
}

class sendgrid_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "sendgrid"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        auto const key = settings.secrets.find("public_key");
        if (key != settings.secrets.end() && !key->second.empty()) {
            auto const sig = req.headers.get("x-twilio-email-event-webhook-signature");
            auto const ts = req.headers.get("x-twilio-email-event-webhook-timestamp");
            if (sig.empty() || ts.empty()) return errc::missing_credentials;
            std::string signed_payload;
            signed_payload.reserve(ts.size() + req.body.size());
            signed_payload.append(ts).append(req.body);
            if (!verify::ecdsa_sha256_verify(key->second, signed_payload, sig)) return errc::bad_credentials;
            // Only an authentic timestamp is judged for age.
            std::int64_t signed_at = 0;
            auto const [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), signed_at);
            if (ec != std::errc{} || p != ts.data() + ts.size()) return errc::bad_credentials;
            auto const window = max_age_seconds(settings);
            auto const age = settings.now_unix > signed_at ? settings.now_unix - signed_at : signed_at - settings.now_unix;
            if (window > 0 && age > window) return errc::stale_signature;
            return {};
        }
        return check_transport_auth(req, settings);
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        // One validating parse of the whole batch; each event's fields are
        // read from it, its raw bytes kept beside it.
        return parse_batch(name(), req, settings, json::shape::array_only, [&](std::string_view raw, dom::element ev) -> verdict {
            auto const event_name = json::str(ev, "event");
            if (event_name.empty()) return reject{"missing_event_type"};
            auto const type = map_event(event_name, json::str(ev, "type"));
            if (!type) return ignore{};

            model::normalized_event e;
            if (!model::normalize_address(json::str(ev, "email"), e.recipient, e.recipient_domain))
                return reject{"missing_recipient"};
            auto const when = json::epoch_field(ev, "timestamp");
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            auto id = json::scalar_text(ev, "sg_event_id");
            // Without sg_event_id (very old payloads), the event's own bytes are
            // the only stable identity a retry will repeat.
            e.provider_event_id = (id && !id->empty()) ? std::move(*id) : "sha256:" + verify::sha256_hex(raw);
            e.enhanced_status = json::str(ev, "status");
            // `reason` carries the bounce/drop text, `response` the
            // delivered/deferred reply.
            e.diagnostic = json::str(ev, "reason");
            if (e.diagnostic.empty()) e.diagnostic = json::str(ev, "response");
            e.smtp_code = json::reply_code_in(e.diagnostic);
            e.esp_message_id = json::str(ev, "sg_message_id");
            e.esp_class = json::str(ev, "bounce_classification");
            e.esp_type = json::str(ev, "type");
            e.user_ref = user_ref_of(ev, settings.user_ref_field);
            return e;
        });
    }
};

}  // namespace

provider const&
sendgrid()
{
    static sendgrid_provider const instance;
    return instance;
}

}  // namespace rebound::providers
