// Mailgun webhooks (the JSON form introduced in 2018).
//
// Body: one event per request, {"signature": {timestamp, token, signature},
// "event-data": {...}}. A bare event-data object, as the Events API and the
// docs show it, is parsed too. Legacy form-encoded webhooks are refused (415).
// Auth: hex HMAC-SHA256 of timestamp+token with the webhook signing key, plus
// a replay window on that timestamp; the body itself is not signed. Dedup key:
// event-data id + event time, since Mailgun only promises ids unique per day.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

/// Mailgun retries for about 8 hours (5 m, 10 m, 15 m, 1 h, 2 h, 4 h; older
/// docs add a few more minutes) and it is not documented whether a retry is
/// signed afresh. A refused retry is lost for good, so the default window
/// covers the whole schedule; set max_age_seconds lower once verified.
constexpr std::int64_t default_max_age_seconds = 8 * 3600 + 30 * 60;

std::string_view
secret(provider_settings const& settings, std::string const& key)
{
    auto const it = settings.secrets.find(key);
    return it == settings.secrets.end() ? std::string_view{} : std::string_view{it->second};
}

std::int64_t
max_age_seconds(provider_settings const& settings)
{
    auto const text = secret(settings, "max_age_seconds");
    std::int64_t v = 0;
    auto const [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || v < 0) return default_max_age_seconds;
    return v;
}

/// Legacy webhooks post form fields; they are configured separately in
/// Mailgun and can simply be switched to the JSON form.
bool
is_form(request_view const& req)
{
    std::string type(req.headers.get("content-type"));
    model::ascii_lower(type);
    return type.starts_with("application/x-www-form-urlencoded") || type.starts_with("multipart/form-data");
}

/// The event object: "event-data" in a webhook, or the body itself when it is
/// a bare event (it then has an "event" name).
std::optional<dom::element>
event_of(dom::element root)
{
    dom::element ev;
    if (!root["event-data"].get(ev)) return ev;
    if (!json::str(root, "event").empty()) return root;
    return std::nullopt;
}

/// The common type, per esp-webhooks.md's mapping table. `why` is set when
/// the event should be stored but cannot be classified.
struct decision {
    std::optional<event_type> type;
    char const* why = nullptr;
};

decision
decide(std::string_view event, std::string_view severity, std::string_view reason)
{
    if (event == "delivered") return {event_type::delivered};
    if (event == "complained") return {event_type::complaint};
    if (event == "rejected") return {event_type::drop};
    if (event != "failed") return {};  // accepted, opened, clicked, unsubscribed, stored, list events
    if (severity == "temporary") return {event_type::deferred};
    if (severity != "permanent") return {std::nullopt, "unknown_severity"};
    // suppress-bounce, suppress-unsubscribe, suppress-complaint: Mailgun did
    // not try because of its own suppression list.
    return {reason.starts_with("suppress-") ? event_type::drop : event_type::bounce};
}

class mailgun_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "mailgun"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        if (is_form(req)) return errc::unsupported_media_type;
        if (auto const ec = check_transport_auth(req, settings)) return ec;
        auto const key = secret(settings, "signing_key");
        if (key.empty()) return {};

        json::document doc;
        auto body = json::parse_object(doc, req.body);
        if (!body) return body.error();
        dom::element const root = body->element;
        dom::element sig;
        if (root["signature"].get(sig) || !sig.is_object()) return errc::missing_credentials;

        // The timestamp is a string in real payloads; accept a number too.
        auto const timestamp = json::scalar_text(sig, "timestamp").value_or("");
        auto const token = json::str(sig, "token");
        if (timestamp.empty() || token.empty() || json::str(sig, "signature").empty()) return errc::missing_credentials;
        // Events of a subaccount also carry parent-signature, made with the
        // primary account's key, so either account's key may be configured.
        auto const expected = verify::hmac_sha256_hex(key, timestamp + std::string(token));
        auto signed_with = [&](std::string_view field) {
            std::string given(json::str(sig, field));
            model::ascii_lower(given);
            return !given.empty() && verify::constant_time_equal(expected, given);
        };
        if (!signed_with("signature") && !signed_with("parent-signature")) return errc::bad_credentials;

        // Only an authentic timestamp is judged for age. The body is not
        // signed, so the window bounds how long a leaked signature is useful.
        auto const signed_at = json::int_field(sig, "timestamp");
        auto const window = max_age_seconds(settings);
        if (!signed_at || *signed_at < 0) return errc::bad_credentials;
        auto const age = settings.now_unix >= *signed_at ? settings.now_unix - *signed_at : *signed_at - settings.now_unix;
        if (window > 0 && age > window) return errc::stale_signature;
        return {};
    }

    /// Mailgun's advice: remember tokens and refuse a second use. Only a
    /// token that verify() authenticated is worth remembering.
    std::optional<replay_guard> replay_key(request_view const& req, provider_settings const& settings) const override
    {
        if (secret(settings, "signing_key").empty() || is_form(req)) return std::nullopt;
        json::document doc;
        auto body = json::parse_object(doc, req.body);
        dom::element sig;
        if (!body || body->element["signature"].get(sig)) return std::nullopt;
        auto const token = json::str(sig, "token");
        if (token.empty()) return std::nullopt;
        auto const window = max_age_seconds(settings);
        return replay_guard{"mailgun:" + std::string(token), window > 0 ? window : default_max_age_seconds};
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        if (is_form(req)) return errc::unsupported_media_type;
        json::document doc;
        model::text_arena text{256};  // the one event's longer texts
        auto body = json::parse_object(doc, req.body);
        if (!body) return body.error();
        // Plain names, not a structured binding: lambdas below capture them (clang 14 cannot).
        std::string_view const raw = body->raw;
        dom::element const root = body->element;
        auto const found = event_of(root);
        if (!found || !found->is_object()) return errc::malformed_body;
        auto const ev = *found;
        if (settings.max_events < 1) return errc::too_many_events;

        parse_result out;
        // One event per request, so the event's JSON is the whole body, which
        // also keeps the signature block for audit.
        auto reject = [&](char const* why) {
            out.rejected.push_back({std::string(name()), std::string(req.source), why, std::string(raw)});
            return std::move(out);
        };

        std::string event(json::str(ev, "event"));
        if (event.empty()) return reject("missing_event_type");
        model::ascii_lower(event);
        auto const decided = decide(event, json::str(ev, "severity"), json::str(ev, "reason"));
        if (decided.why) return reject(decided.why);
        if (!decided.type) {
            ++out.ignored;
            return out;
        }

        model::normalized_event e;
        if (!model::normalize_address(json::str(ev, "recipient"), text, e.recipient, e.recipient_domain))
            return reject("missing_recipient");
        // A float such as 1521472262.908181, read from its digits, not a double.
        auto const when = json::epoch_field(ev, "timestamp");
        if (!when) return reject("bad_timestamp");

        e.provider = name();
        e.source = req.source;
        e.type = *decided.type;
        e.occurred_at = *when;
        auto const id = json::scalar_text(ev, "id");
        auto const when_text = std::to_string(*when);
        if (dom::element headers; !ev["message"]["headers"].get(headers))
            e.esp_message_id = text.copy(json::str(headers, "message-id"));
        // Without an id, the event's own fields; never the signature block,
        // which may differ between attempts.
        e.provider_event_id = text.copy((id && !id->empty()) ? *id + ":" + when_text
                                                             : json::derived_event_id({event, e.recipient, when_text, e.esp_message_id}));

        dom::element status;
        if (!ev["delivery-status"].get(status) && status.is_object()) {
            // Codes outside 2xx-5xx are Mailgun's own (605 = suppressed); the
            // description carries their meaning.
            if (auto const code = json::int_field(status, "code"); code && *code >= 200 && *code <= 599)
                e.smtp_code = static_cast<int>(*code);
            e.enhanced_status = json::str(status, "enhanced-code");
            if (e.enhanced_status.empty()) e.enhanced_status = json::str(status, "bounce-code");
            e.diagnostic = text.copy(json::str(status, "message"));
            if (e.diagnostic.empty()) e.diagnostic = text.copy(json::str(status, "description"));
            e.remote_mta = json::str(status, "mx-host");
        }
        if (dom::element rejected; e.diagnostic.empty() && !ev["reject"].get(rejected) && rejected.is_object())
            e.diagnostic = text.copy(json::str(rejected, "reason"));
        e.esp_type = json::str(ev, "severity");
        e.esp_class = json::str(ev, "reason");
        // user-variables is an object, or a JSON string when Mailgun passed
        // X-Mailgun-Variables through unparsed.
        e.user_ref = json::custom_var(ev, "user-variables", settings.user_ref_field);
        e.raw_json = raw;
        out.events.push_back(std::move(e));
        return out;
    }
};

}  // namespace

provider const&
mailgun()
{
    static mailgun_provider const instance;
    return instance;
}

}  // namespace rebound::providers
