// Amazon SES event notifications, delivered through Amazon SNS over HTTPS.
//
// Body: the SNS JSON envelope (sent as text/plain) whose `Message` string holds
// one SES notification, in either the identity form (`notificationType`) or
// the event-publishing form (`eventType`). Subscription and unsubscribe
// confirmations become side notices. A bare SES notification (SNS "raw message
// delivery") is parsed too, but it carries no signature. Auth: the SNS RSA
// signature (v1 SHA1, v2 SHA256) checked with the certificate at
// SigningCertURL, which the service fetches; optional TopicArn allow-list and
// transport auth. Dedup key: SNS MessageId + recipient, because one SES
// notification lists several recipients and SNS repeats MessageId on retries.
#include "providers/json_util.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string>

namespace rebound::providers {

namespace {

namespace dom = simdjson::dom;
using model::event_type;

std::string_view
secret(provider_settings const& settings, std::string const& key)
{
    auto const it = settings.secrets.find(key);
    return it == settings.secrets.end() ? std::string_view{} : std::string_view{it->second};
}

bool
is_envelope(dom::element root)
{
    return !json::str(root, "Type").empty();
}

bool
is_confirmation(std::string_view type)
{
    return type == "SubscriptionConfirmation" || type == "UnsubscribeConfirmation";
}

/// The text SNS signs: "Key\nValue\n" for each signed key in byte order, with
/// JSON-decoded values. Subject is signed only when present as a string.
std::optional<std::string>
string_to_sign(dom::element envelope)
{
    static constexpr std::array<std::string_view, 6> notification_keys{
        "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"};
    static constexpr std::array<std::string_view, 7> confirmation_keys{
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};

    auto const type = json::str(envelope, "Type");
    std::span<std::string_view const> keys;
    if (type == "Notification") keys = notification_keys;
    else if (is_confirmation(type)) keys = confirmation_keys;
    else return std::nullopt;

    std::string out;
    for (auto const key : keys) {
        std::string_view value;
        if (envelope[key].get_string().get(value)) {
            if (key == "Subject") continue;
            return std::nullopt;
        }
        out.append(key).append("\n").append(value).append("\n");
    }
    return out;
}

bool
topic_allowed(std::string_view allow_list, std::string_view topic)
{
    while (!allow_list.empty()) {
        auto const comma = allow_list.find(',');
        auto item = allow_list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty() && item == topic) return true;
        if (comma == std::string_view::npos) break;
        allow_list.remove_prefix(comma + 1);
    }
    return false;
}

/// SES timestamps are ISO-8601; the SES docs also show "2018-10-08T14:05:45 +0000".
std::optional<model::unix_micros>
ses_time(std::string_view text)
{
    if (auto const t = json::parse_iso8601(text)) return t;
    auto const space = text.rfind(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::string joined(text.substr(0, space));
    joined.append(text.substr(space + 1));
    return json::parse_iso8601(joined);
}

/// DSN diagnostics name their type first ("smtp; 550 5.1.1 user unknown");
/// the reply follows it.
std::string_view
reply_text(std::string_view diagnostic) noexcept
{
    if (diagnostic.starts_with("smtp;")) diagnostic.remove_prefix(5);
    return diagnostic;
}

/// Where each SES notification kind keeps its details, recipients and time.
struct kind_rule {
    std::string_view kind;        // notificationType / eventType value
    std::string_view section;     // the object holding the details
    std::string_view recipients;  // array inside `section`; "" = mail.destination
    std::string_view type_field;  // -> esp_type ("" = the kind itself)
    std::string_view class_field; // -> esp_class
};

constexpr std::array<kind_rule, 6> kind_rules{{
    {"Bounce", "bounce", "bouncedRecipients", "bounceType", "bounceSubType"},
    {"Complaint", "complaint", "complainedRecipients", "complaintFeedbackType", "complaintSubType"},
    {"Delivery", "delivery", "recipients", "", ""},
    {"DeliveryDelay", "deliveryDelay", "delayedRecipients", "delayType", ""},
    {"Reject", "reject", "", "", ""},
    {"Rendering Failure", "failure", "", "", ""},
}};

/// Bounce mapping by bounceType/bounceSubType (esp-webhooks.md §2.2). An empty
/// sub-type is the default for its bounceType, so new sub-types land there.
struct bounce_rule {
    std::string_view type;
    std::string_view sub_type;
    event_type mapped;
};

constexpr std::array<bounce_rule, 6> bounce_rules{{
    {"Permanent", "Suppressed", event_type::drop},  // SES did not even try
    {"Permanent", "OnAccountSuppressionList", event_type::drop},
    {"Permanent", "", event_type::bounce},  // General, NoEmail
    {"Transient", "ContentRejected", event_type::block},
    {"Transient", "AttachmentRejected", event_type::block},
    {"Transient", "", event_type::deferred},  // General (auto-replies too), MailboxFull, MessageTooLarge
}};

/// The common type of a notification, or why it has none. Neither set means
/// the notification is well-formed but not stored (counted as ignored).
struct decision {
    std::optional<event_type> type;
    char const* why = nullptr;
};

decision
decide(kind_rule const& rule, dom::element section)
{
    if (rule.kind == "Bounce") {
        auto const type = json::str(section, "bounceType");
        auto const sub = json::str(section, "bounceSubType");
        for (auto const& r : bounce_rules)
            if (r.type == type && (r.sub_type == sub || r.sub_type.empty())) return {r.mapped};
        // Undetermined: SES could not tell what happened. Kept for review
        // rather than guessed, so it never suppresses an address.
        return {std::nullopt, type == "Undetermined" ? "ses_undetermined_bounce" : "unknown_bounce_type"};
    }
    if (rule.kind == "Complaint")
        return json::str(section, "complaintFeedbackType") == "not-spam" ? decision{} : decision{event_type::complaint};
    if (rule.kind == "Delivery") return {event_type::delivered};
    if (rule.kind == "DeliveryDelay") return {event_type::deferred};
    return {event_type::drop};  // Reject, Rendering Failure: SES never sent it
}

/// The user reference from event-publishing tags: {"user_id": ["42"]}.
/// Identity notifications carry no tags, so they have none.
std::string
user_ref_of(dom::element mail, std::string const& field)
{
    dom::array values;
    dom::element first;
    if (mail["tags"][field].get_array().get(values) || values.at(0).get(first)) return {};
    return json::scalar_text(first).value_or("");
}

class ses_provider final : public provider {
public:
    std::string_view name() const noexcept override { return "ses"; }

    std::vector<std::string> prerequisites(request_view const& req, provider_settings const& settings) const override
    {
        // verify() checks no signature for this source: nothing to fetch.
        if (secret(settings, "verify_signature") == "false") return {};
        json::document doc;
        auto body = json::parse_object(doc, req.body);
        if (!body) return {};
        auto const url = json::str(body->element, "SigningCertURL");
        // Only a well-formed AWS URL is worth fetching; verify() refuses the rest.
        if (!verify::is_sns_certificate_url(url)) return {};
        return {std::string(url)};
    }

    boost::system::error_code verify(request_view const& req, provider_settings const& settings) const override
    {
        // Basic auth in the subscription URL is common for SNS endpoints.
        if (auto const ec = check_transport_auth(req, settings)) return ec;

        json::document doc;
        auto body = json::parse_object(doc, req.body);
        if (!body) return body.error();
        dom::element const root = body->element;
        bool const enveloped = is_envelope(root);

        if (auto const allowed = secret(settings, "topic_arn"); !allowed.empty()) {
            // Raw delivery has no envelope; SNS still names the topic in a header.
            auto const topic = enveloped ? json::str(root, "TopicArn") : req.headers.get("x-amz-sns-topic-arn");
            if (!topic_allowed(allowed, topic)) return errc::bad_credentials;
        }
        if (secret(settings, "verify_signature") == "false") return {};
        if (!enveloped) return errc::missing_credentials;  // raw delivery signs nothing

        auto const version = json::str(root, "SignatureVersion");
        auto const signature = json::str(root, "Signature");
        auto const url = json::str(root, "SigningCertURL");
        if (signature.empty() || url.empty()) return errc::missing_credentials;
        if ((version != "1" && version != "2") || !verify::is_sns_certificate_url(url)) return errc::bad_credentials;
        auto const cert = settings.fetched.find(std::string(url));
        if (cert == settings.fetched.end()) return errc::missing_credentials;
        auto const message = string_to_sign(root);
        if (!message) return errc::bad_credentials;
        if (!verify::rsa_cert_verify(cert->second, *message, signature, version == "2")) return errc::bad_credentials;
        return {};
    }

    boost::system::result<parse_result> parse(request_view const& req, provider_settings const& settings) const override
    {
        json::document doc;
        auto body = json::parse_object(doc, req.body);
        if (!body) return body.error();
        std::string_view const raw = body->raw;
        dom::element const root = body->element;

        parse_result out;
        if (!is_envelope(root)) {
            // Raw message delivery: the SES notification itself.
            if (json::str(root, "notificationType").empty() && json::str(root, "eventType").empty())
                return errc::malformed_body;
            if (auto const ec = map_notification(root, {}, raw, req, settings, out)) return ec;
            return out;
        }

        auto const type = json::str(root, "Type");
        if (is_confirmation(type)) {
            out.notices.push_back({type == "SubscriptionConfirmation" ? "sns_subscription_confirmation"
                                                                      : "sns_unsubscribe_confirmation",
                                   std::string(json::str(root, "TopicArn")),
                                   std::string(json::str(root, "SubscribeURL")), std::string(raw)});
            return out;
        }
        if (type != "Notification") return errc::malformed_body;

        auto const message_id = json::str(root, "MessageId");
        // The Message string is parsed with its own parser: views into the
        // envelope (message_id) must stay valid meanwhile.
        dom::parser inner;
        simdjson::padded_string holder;
        dom::element ses;
        if (message_id.empty() || json::parse_text(inner, holder, json::str(root, "Message")).get(ses) ||
            !ses.is_object()) {
            // A topic shared with other publishers: valid SNS, not SES. Kept raw.
            out.rejected.push_back({std::string(name()), std::string(req.source), "not_an_ses_notification",
                                    std::string(raw)});
            return out;
        }
        if (auto const ec = map_notification(ses, message_id, raw, req, settings, out)) return ec;
        return out;
    }

private:
    /// Appends one event per recipient of an SES notification. `sns_id` is the
    /// envelope's MessageId, "" for raw delivery; `raw` is what every event keeps.
    boost::system::error_code map_notification(dom::element ses, std::string_view sns_id, std::string_view raw,
                                               request_view const& req, provider_settings const& settings,
                                               parse_result& out) const
    {
        auto reject = [&](char const* why) {
            out.rejected.push_back({std::string(name()), std::string(req.source), why, std::string(raw)});
            return boost::system::error_code{};  // a bad notification never fails the request
        };

        auto kind = json::str(ses, "notificationType");
        if (kind.empty()) kind = json::str(ses, "eventType");
        if (kind.empty()) return reject("missing_event_type");
        auto const rule = std::find_if(kind_rules.begin(), kind_rules.end(), [&](auto const& r) { return r.kind == kind; });
        if (rule == kind_rules.end()) {
            ++out.ignored;  // Send, Open, Click, Subscription
            return {};
        }

        dom::element mail, section;
        if (ses["mail"].get(mail) || !mail.is_object() || ses[rule->section].get(section) || !section.is_object())
            return reject("missing_details");
        auto const decided = decide(*rule, section);
        if (decided.why) return reject(decided.why);
        if (!decided.type) {
            ++out.ignored;  // a not-spam feedback report
            return {};
        }

        // Reject and Rendering Failure have no time of their own: SES refused
        // the message when it was sent.
        auto const time_text = json::str(rule->recipients.empty() ? mail : section, "timestamp");
        auto const when = ses_time(time_text);
        if (!when) return reject("bad_timestamp");

        dom::array recipients;
        auto const list = rule->recipients.empty() ? mail["destination"] : section[rule->recipients];
        if (list.get_array().get(recipients) || recipients.size() == 0)
            return reject("missing_recipient");
        if (recipients.size() > settings.max_events) return errc::too_many_events;

        auto const message_id = json::str(mail, "messageId");
        // Section-wide text: the delivery reply, reject reason, template error.
        auto section_text = json::str(section, "smtpResponse");
        if (section_text.empty()) section_text = json::str(section, "reason");
        if (section_text.empty()) section_text = json::str(section, "errorMessage");

        model::shared_text const shared_raw{raw};  // one copy for all of the notification's recipients
        model::text_arena text{recipients.size() * 192};  // and one arena for their longer texts
        for (dom::element r : recipients) {
            model::normalized_event e;
            // Bounce, complaint and delay list objects; delivery and
            // mail.destination list plain addresses.
            auto const address = r.is_string() ? std::string_view(r.get_string().value_unsafe()) : json::str(r, "emailAddress");
            if (!model::normalize_address(address, text, e.recipient, e.recipient_domain)) {
                reject("missing_recipient");
                continue;
            }
            e.provider = name();
            e.source = req.source;
            e.type = *decided.type;
            e.occurred_at = *when;
            // Raw delivery has no SNS MessageId: the SES message, kind,
            // recipient and time (SES may report several delays per recipient).
            e.provider_event_id = text.copy(sns_id.empty() ? json::derived_event_id({message_id, kind, e.recipient, time_text})
                                                           : std::string(sns_id) + ":" + e.recipient.str());
            e.diagnostic = text.copy(r.is_object() ? json::str(r, "diagnosticCode") : std::string_view{});
            if (e.diagnostic.empty()) e.diagnostic = text.copy(section_text);
            e.smtp_code = json::reply_code_in(reply_text(e.diagnostic));
            e.enhanced_status = r.is_object() ? json::str(r, "status") : std::string_view{};
            if (e.enhanced_status.empty()) e.enhanced_status = json::enhanced_status_in(reply_text(e.diagnostic));
            e.esp_message_id = text.copy(message_id);
            e.esp_type = rule->type_field.empty() ? kind : json::str(section, rule->type_field);
            if (!rule->class_field.empty()) e.esp_class = json::str(section, rule->class_field);
            // reportingMTA is SES's own host in every sample; only
            // remoteMtaIp names the receiving side.
            e.remote_mta = json::str(section, "remoteMtaIp");
            e.user_ref = user_ref_of(mail, settings.user_ref_field);
            e.raw_json = shared_raw;
            out.events.push_back(std::move(e));
        }
        return {};
    }
};

}  // namespace

provider const&
ses()
{
    static ses_provider const instance;
    return instance;
}

}  // namespace rebound::providers
