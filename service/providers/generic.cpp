// Generic: rebound's own normalised event JSON (docs/generic-event.schema.json).
//
// For ESPs without a provider of their own, an organisation's MTA log shipper
// and backfills. Body: one event object or an array of them; the fields mirror
// model::normalized_event. Auth: Basic or Bearer (check_transport_auth). Dedup
// key: the sender's event_id, verbatim, so re-posting a backfill is a no-op.
// Being the sender's own format, it is read strictly: a field of the wrong
// type rejects the event instead of being skipped silently.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::normalized_event;

/// Optional text fields copied as they are, into the event's short strings
/// or its shared texts (model/event.hpp says which are which).
template <class Text>
struct text_field {
    std::string_view key;
    Text normalized_event::*member;
    char const* why;  // the rejection when the value is not a string
};

constexpr text_field<model::shared_text> shared_text_fields[] = {
    {"diagnostic", &normalized_event::diagnostic, "bad_diagnostic"},
    {"message_id", &normalized_event::esp_message_id, "bad_message_id"},
};

constexpr text_field<std::string> string_fields[] = {
    {"esp_class", &normalized_event::esp_class, "bad_esp_class"},
    {"esp_type", &normalized_event::esp_type, "bad_esp_type"},
    {"remote_mta", &normalized_event::remote_mta, "bad_remote_mta"},
};

/// An id-like value: a non-empty string or an integer, as text.
std::optional<std::string>
id_text(dom::element ev, std::string_view key)
{
    dom::element v;
    if (ev[key].get(v) || !(v.is_string() || v.is_int64() || v.is_uint64())) return std::nullopt;
    auto text = json::scalar_text(v);
    if (!text || text->empty()) return std::nullopt;
    return text;
}

/// Fills the optional fields; returns the rejection reason or nullptr.
char const*
read_optional(dom::element ev, normalized_event& e, model::text_arena& text)
{
    // Each table in turn; `keep` stores a string value in its member.
    auto read_texts = [&](auto const& fields, auto&& keep) -> char const* {
        for (auto const& field : fields) {
            dom::element v;
            if (ev[field.key].get(v) || v.is_null()) continue;
            if (!v.is_string()) return field.why;
            keep(e.*field.member, v.get_string().value_unsafe());
        }
        return nullptr;
    };
    if (auto const why = read_texts(shared_text_fields, [&](model::shared_text& m, std::string_view s) { m = text.copy(s); }))
        return why;
    if (auto const why = read_texts(string_fields, [](std::string& m, std::string_view s) { m = s; })) return why;

    dom::element v;
    if (!ev["smtp_code"].get(v) && !v.is_null()) {
        std::int64_t code = 0;
        if (v.get_int64().get(code) || code < 200 || code > 599) return "bad_smtp_code";
        e.smtp_code = static_cast<int>(code);
    }
    if (!ev["enhanced_status"].get(v) && !v.is_null()) {
        std::string_view status;
        // The status must be exactly one RFC 3463 code, e.g. "5.1.1".
        if (v.get_string().get(status) || json::enhanced_status_in(status) != status || status.empty())
            return "bad_enhanced_status";
        e.enhanced_status = status;
    }
    if (!ev["user_ref"].get(v) && !v.is_null()) {
        auto ref = id_text(ev, "user_ref");
        if (!ref) return "bad_user_ref";
        e.user_ref = std::move(*ref);
    }
    return nullptr;
}

class generic_provider final : public transport_auth_provider {
public:
    std::string_view name() const noexcept override { return "generic"; }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        return parse_batch(name(), req, settings, json::shape::array_or_object, [](std::string_view, dom::element ev, normalized_event& e, model::text_arena& text) -> verdict {
            auto id = id_text(ev, "event_id");
            if (!id) return reject{"missing_event_id"};
            auto const type_name = json::str(ev, "type");
            if (type_name.empty()) return reject{"missing_event_type"};
            // Unlike an ESP's engagement events, an unknown type here is a
            // sender's mistake, so it is kept for review rather than ignored.
            auto const type = model::parse_event_type(type_name);
            if (!type) return reject{"unknown_event_type"};

            if (!model::normalize_address(json::str(ev, "recipient"), text, e.recipient, e.recipient_domain))
                return reject{"missing_recipient"};
            // Epoch seconds or milliseconds (number or numeric string), or
            // ISO-8601; a zone-less ISO time is read as UTC.
            auto const when = json::epoch_field(ev, "occurred_at");
            if (!when) return reject{"bad_timestamp"};
            if (auto const why = read_optional(ev, e, text)) return reject{why};

            e.provider_event_id = text.copy(std::move(*id));
            e.type = *type;
            e.occurred_at = *when;
            return keep{};
        });
    }
};

}  // namespace

provider const&
generic()
{
    static generic_provider const instance;
    return instance;
}

}  // namespace rebound::providers
