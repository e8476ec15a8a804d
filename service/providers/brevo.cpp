// Brevo (ex-Sendinblue) transactional email webhooks.
//
// Body: one event object per request, or an array when the webhook was
// created with batched=true; both are accepted. No signature: Basic
// credentials in the URL or a bearer token header (check_transport_auth). No
// event id (`id` is the webhook's, the same on every event), so the dedup key
// is derived from event, recipient, message-id and the event time.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

/// Everything else (request, opened, unique_opened, click, proxy_open,
/// unsubscribed, error, ...) is counted as ignored.
constexpr type_rule event_types[] = {
    {"hard_bounce", event_type::bounce},
    {"invalid_email", event_type::bounce},
    {"soft_bounce", event_type::deferred},
    // Brevo also labels some permanent refusals "deferred" (a 550 5.1.1 has
    // been seen). It says it will retry, so the event stays a soft failure;
    // the classifier still names the reason from the text (userunknown),
    // and Brevo's hard_bounce, if it gives up, is what makes it hard.
    {"deferred", event_type::deferred},
    {"blocked", event_type::drop},  // Brevo refused to send: blacklisted or blocked address
    {"spam", event_type::complaint},
    {"complaint", event_type::complaint},
    {"delivered", event_type::delivered},
};

/// ts_epoch (milliseconds, UTC) is the only field known to be exact. ts_event
/// and ts are seconds and may follow the account's time zone; `date` is the
/// account's local time without a zone, so as a last resort it is read as UTC.
std::optional<model::unix_micros>
occurred_at(dom::element ev)
{
    for (char const* key : {"ts_epoch", "ts_event", "ts"})
        if (auto const t = json::epoch_field(ev, key)) return t;
    return json::parse_iso8601(json::str(ev, "date"));
}

/// `reason` as the remote server gave it: Brevo sometimes prefixes a space or
/// the literal "undefined ".
std::string_view
clean_reason(std::string_view reason) noexcept
{
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        return s;
    };
    reason = trim(reason);
    if (reason.starts_with("undefined ")) reason = trim(reason.substr(10));
    return reason;
}

/// The user reference: a key of X-Mailin-custom (a string, JSON when the
/// sender set JSON), or a top-level field named user_ref_field.
std::string
user_ref_of(dom::element ev, std::string const& field)
{
    if (auto v = json::custom_var(ev, "X-Mailin-custom", field); !v.empty()) return v;
    return json::scalar_text(ev, field).value_or("");
}

class brevo_provider final : public transport_auth_provider {
public:
    std::string_view name() const noexcept override { return "brevo"; }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        return parse_batch(name(), req, settings, json::shape::array_or_object, [&](std::string_view, dom::element ev, model::normalized_event& e, model::text_arena& text) -> verdict {
            auto const event_name = json::str(ev, "event");
            if (event_name.empty()) return reject{"missing_event_type"};
            auto const type = find_type(event_types, event_name);
            if (!type) return ignore{};

            if (!model::normalize_address(json::str(ev, "email"), text, e.recipient, e.recipient_domain))
                return reject{"missing_recipient"};
            auto const when = occurred_at(ev);
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            e.esp_message_id = text.copy(json::str(ev, "message-id"));
            e.provider_event_id = text.copy(
                json::derived_event_id({event_name, e.recipient, e.esp_message_id, std::to_string(e.occurred_at)}));
            e.diagnostic = text.copy(clean_reason(json::str(ev, "reason")));
            e.smtp_code = json::reply_code_in(e.diagnostic);
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.esp_type = event_name;
            e.user_ref = user_ref_of(ev, settings.user_ref_field);
            return keep{};
        });
    }
};

}  // namespace

provider const&
brevo()
{
    static brevo_provider const instance;
    return instance;
}

}  // namespace rebound::providers
