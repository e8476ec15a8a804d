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

#include <array>
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

/// The fields rebound reads from an event, found in one walk over its keys:
/// SendGrid sends about twenty, and looking each of a dozen up by name
/// walked them a dozen times. The first occurrence of a key wins, as a
/// lookup by name finds it.
class event_fields {
public:
    enum field : unsigned {
        event, type, email, timestamp, sg_event_id, status, reason, response,
        sg_message_id, bounce_classification, unique_args, custom_args, user_ref, count_
    };

    event_fields(dom::object ev, std::string_view user_ref_field) noexcept
    {
        for (auto [key, value] : ev) {
            if (key == user_ref_field) keep(user_ref, value);
            switch (key.size()) {
            case 4: if (key == "type") keep(type, value); break;
            case 5: if (key == "event") keep(event, value); else if (key == "email") keep(email, value); break;
            case 6: if (key == "status") keep(status, value); else if (key == "reason") keep(reason, value); break;
            case 8: if (key == "response") keep(response, value); break;
            case 9: if (key == "timestamp") keep(timestamp, value); break;
            case 11:
                if (key == "sg_event_id") keep(sg_event_id, value);
                else if (key == "unique_args") keep(unique_args, value);
                else if (key == "custom_args") keep(custom_args, value);
                break;
            case 13: if (key == "sg_message_id") keep(sg_message_id, value); break;
            case 21: if (key == "bounce_classification") keep(bounce_classification, value); break;
            default: break;
            }
        }
    }

    bool has(field f) const noexcept { return (seen_ >> f) & 1U; }
    dom::element get(field f) const noexcept { return values_[f]; }
    /// The string at `f`, or "" when missing or not a string.
    std::string_view str(field f) const noexcept { return has(f) ? json::str(values_[f]) : std::string_view{}; }

private:
    void keep(field f, dom::element v) noexcept
    {
        if (has(f)) return;
        values_[f] = v;
        seen_ |= 1U << f;
    }

    std::array<dom::element, count_> values_{};
    unsigned seen_ = 0;
};

/// The user reference: a flattened custom argument, or (older SMTPAPI
/// payloads) inside unique_args/custom_args.
std::string
user_ref_of(event_fields const& f, std::string const& field)
{
    if (f.has(event_fields::user_ref))
        if (auto v = json::scalar_text(f.get(event_fields::user_ref))) return *v;
    for (auto const nested : {event_fields::unique_args, event_fields::custom_args}) {
        if (!f.has(nested) || !f.get(nested).is_object()) continue;
        if (auto v = json::scalar_text(f.get(nested), field)) return *v;
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
        return parse_batch(name(), req, settings, json::shape::array_only, [&](std::string_view raw, dom::element ev, model::normalized_event& e, model::text_arena& text) -> verdict {
            event_fields const f(ev.get_object().value_unsafe(), settings.user_ref_field);
            auto const event_name = f.str(event_fields::event);
            if (event_name.empty()) return reject{"missing_event_type"};
            auto const type = map_event(event_name, f.str(event_fields::type));
            if (!type) return ignore{};

            if (!model::normalize_address(f.str(event_fields::email), text, e.recipient, e.recipient_domain))
                return reject{"missing_recipient"};
            auto const when = f.has(event_fields::timestamp) ? json::epoch_value(f.get(event_fields::timestamp))
                                                             : std::nullopt;
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            // Without sg_event_id (very old payloads), the event's own bytes are
            // the only stable identity a retry will repeat.
            if (auto const id = f.str(event_fields::sg_event_id); !id.empty())
                e.provider_event_id = text.copy(id);  // the usual case, without a temporary string
            else if (auto n = f.has(event_fields::sg_event_id) ? json::scalar_text(f.get(event_fields::sg_event_id))
                                                                : std::nullopt;
                     n && !n->empty())
                e.provider_event_id = text.copy(*n);  // a numeric id
            else
                e.provider_event_id = text.copy("sha256:" + verify::sha256_hex(raw));
            e.enhanced_status = f.str(event_fields::status);
            // `reason` carries the bounce/drop text, `response` the
            // delivered/deferred reply.
            e.diagnostic = text.copy(f.str(event_fields::reason));
            if (e.diagnostic.empty()) e.diagnostic = text.copy(f.str(event_fields::response));
            e.smtp_code = json::reply_code_in(e.diagnostic);
            e.esp_message_id = text.copy(f.str(event_fields::sg_message_id));
            e.esp_class = f.str(event_fields::bounce_classification);
            e.esp_type = f.str(event_fields::type);
            e.user_ref = user_ref_of(f, settings.user_ref_field);
            return keep{};
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
