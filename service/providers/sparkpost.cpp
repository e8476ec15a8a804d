// SparkPost (now Bird Email) event webhooks.
//
// Body: always a JSON array of {"msys": {"<class>_event": {...}}}; the ping
// SparkPost posts when a webhook is created or tested is [{"msys":{}}] and is
// counted as ignored. No signature: Basic or OAuth2 Bearer credentials
// (check_transport_auth) and/or the deprecated X-MessageSystems-Webhook-Token
// header. Dedup key: event_id. Bounces are typed by bounce_class, not by the
// event name, because SparkPost sends soft and blocked failures as "bounce" too.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <optional>
#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

/// Event types whose meaning does not depend on bounce_class. Anything not
/// here and not a bounce (injection, open, click, unsubscribes, relay, ...)
/// is counted as ignored.
constexpr type_rule fixed_types[] = {
    {"delivery", event_type::delivered},
    {"spam_complaint", event_type::complaint},
    {"delay", event_type::deferred},
    // SparkPost refused the message itself (policy, template errors): nothing
    // reached the recipient's server.
    {"policy_rejection", event_type::drop},
    {"generation_failure", event_type::drop},
    {"generation_rejection", event_type::drop},
};

/// bounce_class ranges (support.sparkpost.com "Bounce Classification Codes"),
/// grouped as in the mapping table of esp-webhooks.md: hard -> bounce, soft ->
/// deferred, block -> block, admin -> drop. nullopt: not a failure, ignored.
struct class_rule {
    int first;
    int last;
    std::optional<event_type> type;
};

constexpr class_rule bounce_classes[] = {
    {10, 10, event_type::bounce},     // Invalid Recipient
    {20, 24, event_type::deferred},   // Soft, DNS Failure, Mailbox Full, Too Large, Timeout
    {25, 26, event_type::drop},       // Admin Failure, Smart Send Suppression
    {30, 30, event_type::bounce},     // Generic Bounce: No RCPT
    {40, 40, event_type::deferred},   // Generic Bounce
    {50, 54, event_type::block},      // Mail Block, Spam Block, Spam Content, Attachment, Relaying Denied
    {60, 60, event_type::deferred},   // Auto-Reply
    {70, 70, event_type::deferred},   // Transient Failure
    {80, 80, std::nullopt},           // Subscribe
    {90, 90, event_type::bounce},     // Unsubscribe
    {100, 100, event_type::deferred}, // Challenge-Response
};

/// A bounce or out_of_band event by its class. Class 1 (Undetermined), an
/// unknown class or none at all is stored as deferred rather than dropped:
/// SparkPost calls undetermined failures "usually temporary", and keeping the
/// row lets the classifier judge the diagnostic text.
std::optional<event_type>
map_bounce_class(std::optional<std::int64_t> bounce_class)
{
    if (bounce_class)
        for (auto const& rule : bounce_classes)
            if (*bounce_class >= rule.first && *bounce_class <= rule.last) return rule.type;
    return event_type::deferred;
}

std::optional<event_type>
map_event(std::string_view type, dom::element ev)
{
    if (type == "bounce" || type == "out_of_band") return map_bounce_class(json::int_field(ev, "bounce_class"));
    return find_type(fixed_types, type);
}

enum class unwrapped { event, ping, no_msys };

/// Finds the one "<class>_event" object inside msys; the class itself adds
/// nothing that `type` does not already say.
unwrapped
unwrap(dom::element wrapper, dom::element& ev)
{
    dom::object msys;
    if (wrapper["msys"].get(msys)) return unwrapped::no_msys;
    for (auto field : msys) {
        if (field.value.is_object()) {
            ev = field.value;
            return unwrapped::event;
        }
    }
    return unwrapped::ping;  // {"msys":{}}: sent when a webhook is created or tested
}

/// The user reference: per-recipient metadata first, then transmission metadata.
std::string
user_ref_of(dom::element ev, std::string const& field)
{
    if (auto v = json::custom_var(ev, "rcpt_meta", field); !v.empty()) return v;
    return json::custom_var(ev, "metadata", field);
}

class sparkpost_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "sparkpost"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        // Each configured credential must be present: SparkPost sends the
        // legacy token and the Authorization header independently.
        auto const token = settings.secrets.find("webhook_token");
        if (token != settings.secrets.end() && !token->second.empty()) {
            auto const sent = req.headers.get("x-messagesystems-webhook-token");
            if (sent.empty()) return errc::missing_credentials;
            if (!verify::constant_time_equal(sent, token->second)) return errc::bad_credentials;
        }
        return check_transport_auth(req, settings);
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        return parse_batch(name(), req, settings, json::shape::array_only, [&](std::string_view, dom::element wrapper, model::normalized_event& e, model::text_arena& text) -> verdict {
            dom::element ev;
            auto const kind = unwrap(wrapper, ev);
            if (kind == unwrapped::no_msys) return reject{"missing_msys"};
            if (kind == unwrapped::ping) return ignore{};
            auto const event_name = json::str(ev, "type");
            if (event_name.empty()) return reject{"missing_event_type"};
            auto const type = map_event(event_name, ev);
            if (!type) return ignore{};

            auto rcpt = json::str(ev, "rcpt_to");
            if (rcpt.empty()) rcpt = json::str(ev, "raw_rcpt_to");
            if (!model::normalize_address(rcpt, text, e.recipient, e.recipient_domain)) return reject{"missing_recipient"};
            // A number in the docs, a numeric string in real posts, ISO-8601
            // on some generation events: epoch_field reads all three.
            auto const when = json::epoch_field(ev, "timestamp");
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            e.esp_message_id = text.copy(json::str(ev, "message_id"));
            if (e.esp_message_id.empty()) e.esp_message_id = text.copy(json::scalar_text(ev, "transmission_id").value_or(""));
            auto id = json::scalar_text(ev, "event_id");
            e.provider_event_id = text.copy((id && !id->empty())
                ? std::move(*id)
                : json::derived_event_id({event_name, e.recipient, e.esp_message_id, std::to_string(e.occurred_at)}));
            // raw_reason is the remote server's exact reply; reason is the
            // same text with addresses redacted, the fallback.
            e.diagnostic = text.copy(json::str(ev, "raw_reason"));
            if (e.diagnostic.empty()) e.diagnostic = text.copy(json::str(ev, "reason"));
            if (auto const code = json::int_field(ev, "error_code"); code && *code >= 200 && *code <= 599)
                e.smtp_code = static_cast<int>(*code);
            else
                e.smtp_code = json::reply_code_in(e.diagnostic);
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.esp_class = json::scalar_text(ev, "bounce_class").value_or("");
            if (e.esp_class.empty()) e.esp_class = json::str(ev, "fbtype");  // complaints: abuse, fraud, ...
            e.esp_type = event_name;
            e.remote_mta = json::str(ev, "ip_address");
            e.user_ref = user_ref_of(ev, settings.user_ref_field);
            return keep{};
        });
    }
};

}  // namespace

provider const&
sparkpost()
{
    static sparkpost_provider const instance;
    return instance;
}

}  // namespace rebound::providers
