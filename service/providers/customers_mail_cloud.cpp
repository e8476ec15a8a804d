// Customers Mail Cloud (CMC, smtps.jp) Event Webhook, registered as "cmc".
//
// Body: an envelope of api_key (optional), server_composition, event_type
// (deliveries, bounces, blocks) and event, which holds {"<event_type>": [...]}.
// CMC posts the envelope as form fields with `event` as JSON text, or as one
// JSON object when "use JSON format" is ticked (API version 2); both are read.
// Auth: the api_key CMC echoes, compared with secret "api_key", plus
// check_transport_auth. No event id: the dedup key is derived from
// event_type, status, recipient, messageId and created. `created` carries no
// zone and is read as JST (+09:00), the console's time zone setting; unverified.
#include "providers/batch.hpp"
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <boost/url/parse_query.hpp>

#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

constexpr int jst_offset_minutes = 9 * 60;

/// The envelope fields, from either encoding.
struct envelope {
    std::string event_type;
    std::optional<std::string> api_key;
    std::string events_text;      // the text holding {"<event_type>": [...]}
    std::string events_pointer;   // where the item array sits inside events_text
};

/// RFC 6901 escaping, so an unexpected event_type cannot point elsewhere.
std::string
pointer_token(std::string_view s)
{
    std::string out;
    for (char c : s) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

bool
starts_with_icase(std::string_view s, std::string_view prefix) noexcept
{
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

/// application/x-www-form-urlencoded: every field percent-encoded, `event`
/// holding the JSON text.
boost::system::result<envelope>
read_form(std::string_view body)
{
    auto const params = boost::urls::parse_query(body);
    if (!params) return errc::malformed_body;

    boost::urls::encoding_opts form;
    form.space_as_plus = true;  // HTML forms encode spaces as '+'
    envelope env;
    bool has_event = false;
    for (auto const param : *params) {
        if (!param.has_value) continue;
        auto const key = param.key.decode(form);
        if (key == "event_type") env.event_type = param.value.decode(form);
        else if (key == "api_key") env.api_key = param.value.decode(form);
        else if (key == "event") {
            env.events_text = param.value.decode(form);
            has_event = true;
        }
    }
    if (env.event_type.empty() || !has_event) return errc::malformed_body;
    env.events_pointer = std::string("/").append(pointer_token(env.event_type));
    return env;
}

/// The JSON variant. `event` is normally an object; a string holding the JSON
/// (the form field carried over verbatim) is accepted as well.
boost::system::result<envelope>
read_json(std::string_view body)
{
    dom::parser parser;
    simdjson::padded_string padded;
    dom::element root;
    if (json::parse_text(parser, padded, body).get(root) || !root.is_object()) return errc::malformed_body;

    envelope env;
    env.event_type = json::str(root, "event_type");
    if (env.event_type.empty()) return errc::malformed_body;
    if (auto key = json::scalar_text(root, "api_key")) env.api_key = std::move(*key);

    dom::element event;
    if (root["event"].get(event)) return errc::malformed_body;
    if (event.is_object()) {
        env.events_text = body;
        env.events_pointer = std::string("/event/").append(pointer_token(env.event_type));
    } else if (event.is_string()) {
        env.events_text = event.get_string().value_unsafe();
        env.events_pointer = std::string("/").append(pointer_token(env.event_type));
    } else {
        return errc::malformed_body;
    }
    return env;
}

boost::system::result<envelope>
read_envelope(request_view const& req)
{
    auto const content_type = req.headers.get("content-type");
    if (starts_with_icase(content_type, "application/x-www-form-urlencoded")) return read_form(req.body);
    if (starts_with_icase(content_type, "multipart/")) return errc::unsupported_media_type;
    return read_json(req.body);
}

/// Bounces API error statuses (smtps.jp/docs-en/apiv2/te/bounces). Whether
/// webhook bounce items carry them in `status` is unverified; when they do not,
/// a bounce item is a bounce. 6 and 7 are faults on the receiving side that
/// its owner can fix, hence soft.
struct status_rule {
    int status;
    event_type type;
};

constexpr status_rule bounce_statuses[] = {
    {1, event_type::bounce},    // unknown host
    {2, event_type::bounce},    // unknown user
    {3, event_type::deferred},  // retransmission timeout
    {4, event_type::block},     // rejected by the receiving server's policy
    {5, event_type::deferred},  // over capacity
    {6, event_type::deferred},  // forward error
    {7, event_type::deferred},  // receiving server error
    {8, event_type::deferred},  // oversized
    {9, event_type::bounce},    // address format error
    {10, event_type::drop},     // blocked address (suppressed after earlier errors)
    {11, event_type::drop},     // unsubscribed address
    {99, event_type::bounce},   // other permanent error
};

std::optional<event_type>
map_item(std::string_view event_type_name, dom::element item)
{
    auto const status = json::str(item, "status");
    if (event_type_name == "deliveries") {
        if (status == "succeeded") return event_type::delivered;
        if (status == "deferred") return event_type::deferred;  // placed in the resend queue
        if (status == "failed") return event_type::bounce;      // SMTP delivery failed for good
        return std::nullopt;                                    // queued
    }
    if (event_type_name == "bounces") {
        if (auto const number = json::int_field(item, "status"))
            for (auto const& rule : bounce_statuses)
                if (rule.status == *number) return rule.type;
        return event_type::bounce;  // "bounced"
    }
    if (event_type_name == "blocks") return event_type::drop;  // CMC held the message back
    return std::nullopt;
}

/// The user reference: a key of apiData when it holds JSON, or, when
/// user_ref_field names an item field such as "apiData", its whole value.
std::string
user_ref_of(dom::element item, std::string const& field)
{
    if (auto v = json::custom_var(item, "apiData", field); !v.empty()) return v;
    return json::scalar_text(item, field).value_or("");
}

class cmc_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "cmc"; }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        auto const key = settings.secrets.find("api_key");
        if (key != settings.secrets.end() && !key->second.empty()) {
            auto const env = read_envelope(req);
            if (!env || !env->api_key || env->api_key->empty()) return errc::missing_credentials;
            if (!verify::constant_time_equal(*env->api_key, key->second)) return errc::bad_credentials;
        }
        return check_transport_auth(req, settings);
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        auto const env = read_envelope(req);
        if (!env) return env.error();

        json::document doc;
        auto items = json::split_parsed_events_at(doc, env->events_text, env->events_pointer, settings.max_events);
        if (!items) return items.error();

        return map_events(doc, *items, name(), req.source, objects::only, [&](std::string_view, dom::element item, model::normalized_event& e, model::text_arena& text) -> verdict {
            auto const type = map_item(env->event_type, item);
            if (!type) return ignore{};

            auto to = json::str(item, "to");
            if (to.empty()) to = json::str(item, "envelopeTo");  // API version 1 items
            if (!model::normalize_address(to, text, e.recipient, e.recipient_domain)) return reject{"missing_recipient"};
            auto const created = json::str(item, "created");
            auto const when = json::parse_iso8601(created, jst_offset_minutes);
            if (!when) return reject{"bad_timestamp"};

            e.type = *type;
            e.occurred_at = *when;
            e.esp_message_id = text.copy(json::str(item, "messageId"));
            e.esp_type = env->event_type;
            e.esp_class = json::scalar_text(item, "status").value_or("");
            e.provider_event_id = text.copy(
                json::derived_event_id({e.esp_type, e.esp_class, e.recipient, e.esp_message_id, created}));
            e.diagnostic = text.copy(json::str(item, "reason"));
            e.smtp_code = json::reply_code_in(e.diagnostic);
            e.enhanced_status = json::enhanced_status_in(e.diagnostic);
            e.user_ref = user_ref_of(item, settings.user_ref_field);
            return keep{};
        });
    }
};

}  // namespace

provider const&
customers_mail_cloud()
{
    static cmc_provider const instance;
    return instance;
}

}  // namespace rebound::providers
