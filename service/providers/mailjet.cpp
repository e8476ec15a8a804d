// Mailjet Event API (event callback URL).
//
// Body: a JSON array when "group events" (callback Version 2) is on, otherwise
// one bare object per request; both are accepted. No signature: Mailjet's
// advice is Basic credentials in the URL (check_transport_auth). No event id
// either: the dedup key is derived from event, recipient, MessageID, time and
// error, which a retry repeats verbatim. MessageID exceeds 2^53, so it is read
// as text and never passes through a double.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

/// Events whose type needs no further look; `bounce` is decided by its flags
/// in map_event, and open, click, unsub are counted as ignored.
constexpr type_rule fixed_types[] = {
    {"sent", event_type::delivered},     // accepted by the receiving server
    {"blocked", event_type::drop},       // Mailjet did not send, e.g. "preblocked"
    {"spam", event_type::complaint},     // feedback-loop report
};

std::optional<event_type>
map_event(std::string_view event, dom::element ev)
{
    if (event == "bounce") {
        // error_related_to "spam" (sender blocked, content blocked, policy
        // issue) says the refusal is about the sender, not the address.
        if (json::str(ev, "error_related_to") == "spam") return event_type::block;
        // Without the flag there is no evidence the address is dead; the soft
        // reading cannot wrongly trigger an address-change notice.
        return json::bool_field(ev, "hard_bounce").value_or(false) ? event_type::bounce : event_type::deferred;
    }
    return find_type(fixed_types, event);
}

/// The user reference: a key of the JSON object in Payload or CustomID, or,
/// when user_ref_field names a top-level field such as "CustomID", its value.
std::string
user_ref_of(dom::element ev, std::string const& field)
{
    for (char const* holder : {"Payload", "CustomID"})
        if (auto v = json::custom_var(ev, holder, field); !v.empty()) return v;
    return json::scalar_text(ev, field).value_or("");
}

class mailjet_provider final : public transport_auth_provider {
public:
    std::string_view name() const noexcept override { return "mailjet"; }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        return parse_batch(name(), req, settings, json::shape::array_or_object, [&](std::string_view, dom::element ev, model::normalized_event& e, model::text_arena& text) -> verdict {
            auto const event_name = json::str(ev, "event");
            if (event_name.empty()) return reject{"missing_event_type"};
            auto const type = map_event(event_name, ev);
            if (!type) return ignore{};

            if (!model::normalize_address(json::str(ev, "email"), text, e.recipient, e.recipient_domain))
                return reject{"missing_recipient"};
            auto const when = json::epoch_field(ev, "time");
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            // MessageID is a number above 2^53; mj_message_id is the same
            // value as a string in older payloads.
            e.esp_message_id = text.copy(json::scalar_text(ev, "MessageID").value_or(""));
            if (e.esp_message_id.empty()) e.esp_message_id = text.copy(json::str(ev, "mj_message_id"));
            e.esp_class = json::str(ev, "error_related_to");
            e.esp_type = json::str(ev, "error");
            e.provider_event_id = text.copy(json::derived_event_id(
                {event_name, e.recipient, e.esp_message_id, std::to_string(e.occurred_at), e.esp_type}));
            // comment carries the remote reply of a bounce, smtp_reply the
            // "sent (250 ...)" of a delivery.
            e.diagnostic = text.copy(json::str(ev, "comment"));
            if (e.diagnostic.empty()) e.diagnostic = text.copy(json::str(ev, "smtp_reply"));
            e.smtp_code = json::reply_code_in(e.diagnostic);
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.user_ref = user_ref_of(ev, settings.user_ref_field);
            return keep{};
        });
    }
};

}  // namespace

provider const&
mailjet()
{
    static mailjet_provider const instance;
    return instance;
}

}  // namespace rebound::providers
