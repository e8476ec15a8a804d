// blastengine (Japan) webhooks.
//
// Body: {"events":[{"event":{"type","datetime","detail":{...}}}]}. Only
// failures are reported: HARDERROR, SOFTERROR and DROP. blastengine publishes
// no signature or auth scheme, so only transport credentials can be checked
// (check_transport_auth). No event id: the dedup key is derived from type,
// recipient, delivery_id and datetime.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

constexpr int jst_offset_minutes = 9 * 60;

constexpr type_rule event_types[] = {
    {"HARDERROR", event_type::bounce},   // permanent, e.g. no such address
    {"SOFTERROR", event_type::deferred}, // temporary; blastengine may still deliver
    {"DROP", event_type::drop},          // the address is on blastengine's error-stop list
};

/// The user reference: the insert code (差し込みコード) whose key is the
/// configured field, from insert_codes [{"key": ..., "value": ...}].
std::string
user_ref_of(dom::element detail, std::string const& field)
{
    dom::array codes;
    if (detail["insert_codes"].get(codes)) return {};
    for (auto code : codes)
        if (code.is_object() && json::str(code, "key") == field) return json::scalar_text(code, "value").value_or("");
    return {};
}

class blastengine_provider final : public transport_auth_provider {
public:
    std::string_view name() const noexcept override { return "blastengine"; }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        json::document doc;
        auto wrappers = json::split_parsed_events_at(doc, req.body, "/events", settings.max_events);
        if (!wrappers) return wrappers.error();

        // The wrapper is refused by a reason of its own, so non-objects reach the mapping.
        return map_events(doc, *wrappers, name(), req.source, objects::any, [&](std::string_view, dom::element wrapper, model::normalized_event& e, model::text_arena& text) -> verdict {
            dom::element ev, detail;
            if (wrapper["event"].get(ev) || !ev.is_object()) return reject{"not_an_event"};
            auto const event_name = json::str(ev, "type");
            if (event_name.empty()) return reject{"missing_event_type"};
            auto const type = find_type(event_types, event_name);
            if (!type) return ignore{};
            if (ev["detail"].get(detail) || !detail.is_object()) return reject{"missing_detail"};

            if (!model::normalize_address(json::str(detail, "mailaddress"), text, e.recipient, e.recipient_domain))
                return reject{"missing_recipient"};
            // ISO-8601 with +09:00 in every sample; JST if the zone is ever missing.
            auto const datetime = json::str(ev, "datetime");
            auto const when = json::parse_iso8601(datetime, jst_offset_minutes);
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            // delivery_id names the send job (one per message, or one per bulk
            // delivery); it is the id blastengine's API and console use.
            e.esp_message_id = text.copy(json::scalar_text(detail, "delivery_id").value_or(""));
            e.provider_event_id = text.copy(json::derived_event_id({event_name, e.recipient, e.esp_message_id, datetime}));
            // error_code is "554(errors)": the reply code, then a category of
            // blastengine's own, kept whole as the ESP's class.
            e.esp_class = json::str(detail, "error_code");
            e.smtp_code = json::reply_code_in(e.esp_class);
            e.esp_type = event_name;
            // error_message is blastengine's own analysis (in Japanese), not
            // the remote server's reply, but it is the only text there is.
            e.diagnostic = text.copy(json::str(detail, "error_message"));
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.user_ref = user_ref_of(detail, settings.user_ref_field);
            return keep{};
        });
    }
};

}  // namespace

provider const&
blastengine()
{
    static blastengine_provider const instance;
    return instance;
}

}  // namespace rebound::providers
