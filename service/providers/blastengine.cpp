// blastengine (Japan) webhooks.
//
// Body: {"events":[{"event":{"type","datetime","detail":{...}}}]}. Only
// failures are reported: HARDERROR, SOFTERROR and DROP. blastengine publishes
// no signature or auth scheme, so only transport credentials can be checked
// (check_transport_auth). No event id: the dedup key is derived from type,
// recipient, delivery_id and datetime.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

constexpr int jst_offset_minutes = 9 * 60;

struct type_rule {
    std::string_view name;
    event_type type;
};

constexpr type_rule event_types[] = {
    {"HARDERROR", event_type::bounce},   // permanent, e.g. no such address
    {"SOFTERROR", event_type::deferred}, // temporary; blastengine may still deliver
    {"DROP", event_type::drop},          // the address is on blastengine's error-stop list
};

std::optional<event_type>
map_event(std::string_view type)
{
    for (auto const& rule : event_types)
        if (rule.name == type) return rule.type;
    return std::nullopt;
}

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

class blastengine_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "blastengine"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        return check_transport_auth(req, settings);
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        json::document doc;
        auto slices = json::split_events_at(doc, req.body, "/events");
        if (!slices) return slices.error();
        if (slices->size() > settings.max_events) return errc::too_many_events;

        parse_result out;
        out.events.reserve(slices->size());
        for (auto const raw : *slices) {
            auto reject = [&](char const* why) {
                out.rejected.push_back({std::string(name()), std::string(req.source), why, std::string(raw)});
            };

            dom::element wrapper, ev, detail;
            if (json::parse_slice(doc, raw).get(wrapper) || wrapper["event"].get(ev) || !ev.is_object()) {
                reject("not_an_event");
                continue;
            }
            auto const event_name = json::str(ev, "type");
            if (event_name.empty()) {
                reject("missing_event_type");
                continue;
            }
            auto const type = map_event(event_name);
            if (!type) {
                ++out.ignored;
                continue;
            }
            if (ev["detail"].get(detail) || !detail.is_object()) {
                reject("missing_detail");
                continue;
            }

            model::normalized_event e;
            if (!model::normalize_address(json::str(detail, "mailaddress"), e.recipient, e.recipient_domain)) {
                reject("missing_recipient");
                continue;
            }
            // ISO-8601 with +09:00 in every sample; JST if the zone is ever missing.
            auto const datetime = json::str(ev, "datetime");
            auto const when = json::parse_iso8601(datetime, jst_offset_minutes);
            if (!when) {
                reject("bad_timestamp");
                continue;
            }

            e.provider = name();
            e.source = req.source;
            e.type = *type;
            e.occurred_at = *when;
            // delivery_id names the send job (one per message, or one per bulk
            // delivery); it is the id blastengine's API and console use.
            e.esp_message_id = json::scalar_text(detail, "delivery_id").value_or("");
            e.provider_event_id = json::derived_event_id({event_name, e.recipient, e.esp_message_id, datetime});
            // error_code is "554(errors)": the reply code, then a category of
            // blastengine's own, kept whole as the ESP's class.
            e.esp_class = json::str(detail, "error_code");
            e.smtp_code = json::reply_code_in(e.esp_class);
            e.esp_type = event_name;
            // error_message is blastengine's own analysis (in Japanese), not
            // the remote server's reply, but it is the only text there is.
            e.diagnostic = json::str(detail, "error_message");
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.user_ref = user_ref_of(detail, settings.user_ref_field);
            e.raw_json = raw;
            out.events.push_back(std::move(e));
        }
        return out;
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
