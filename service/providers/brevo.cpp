// Brevo (ex-Sendinblue) transactional email webhooks.
//
// Body: one event object per request, or an array when the webhook was
// created with batched=true; both are accepted. No signature: Basic
// credentials in the URL or a bearer token header (check_transport_auth). No
// event id (`id` is the webhook's, the same on every event), so the dedup key
// is derived from event, recipient, message-id and the event time.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

struct type_rule {
    std::string_view name;
    event_type type;
};

/// Everything else (request, opened, unique_opened, click, proxy_open,
/// unsubscribed, error, ...) is counted as ignored.
constexpr type_rule event_types[] = {
    {"hard_bounce", event_type::bounce},
    {"invalid_email", event_type::bounce},
    {"soft_bounce", event_type::deferred},
    // Brevo also labels some permanent refusals "deferred" (a 550 5.1.1 has
    // been seen); the classifier corrects that from the reason text.
    {"deferred", event_type::deferred},
    {"blocked", event_type::drop},  // Brevo refused to send: blacklisted or blocked address
    {"spam", event_type::complaint},
    {"complaint", event_type::complaint},
    {"delivered", event_type::delivered},
};

std::optional<event_type>
map_event(std::string_view event)
{
    for (auto const& rule : event_types)
        if (rule.name == event) return rule.type;
    return std::nullopt;
}

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

class brevo_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "brevo"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        return check_transport_auth(req, settings);
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        json::document doc;
        auto slices = json::split_events(doc, req.body, json::shape::array_or_object);
        if (!slices) return slices.error();
        if (slices->size() > settings.max_events) return errc::too_many_events;

        parse_result out;
        out.events.reserve(slices->size());
        for (auto const raw : *slices) {
            auto reject = [&](char const* why) {
                out.rejected.push_back({std::string(name()), std::string(req.source), why, std::string(raw)});
            };

            dom::element ev;
            if (json::parse_slice(doc, raw).get(ev) || !ev.is_object()) {
                reject("not_an_object");
                continue;
            }
            auto const event_name = json::str(ev, "event");
            if (event_name.empty()) {
                reject("missing_event_type");
                continue;
            }
            auto const type = map_event(event_name);
            if (!type) {
                ++out.ignored;
                continue;
            }

            model::normalized_event e;
            if (!model::normalize_address(json::str(ev, "email"), e.recipient, e.recipient_domain)) {
                reject("missing_recipient");
                continue;
            }
            auto const when = occurred_at(ev);
            if (!when) {
                reject("bad_timestamp");
                continue;
            }

            e.provider = name();
            e.source = req.source;
            e.type = *type;
            e.occurred_at = *when;
            e.esp_message_id = json::str(ev, "message-id");
            e.provider_event_id =
                json::derived_event_id({event_name, e.recipient, e.esp_message_id, std::to_string(e.occurred_at)});
            e.diagnostic = clean_reason(json::str(ev, "reason"));
            e.smtp_code = json::reply_code_in(e.diagnostic);
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.esp_type = event_name;
            e.user_ref = user_ref_of(ev, settings.user_ref_field);
            e.raw_json = raw;
            out.events.push_back(std::move(e));
        }
        return out;
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
