// Bounce classification: from what an ESP reported about one failed delivery
// to a reason (classify/reason.hpp), hard or soft, a confidence and the rule
// that decided.
//
// Evidence, strongest first (docs/classification.md has the full list):
//   1. what the event is (delivered, complaint) and ESP classes that decide
//      by themselves (suppression lists);
//   2. the diagnostic text: provider-specific wording, then generic wording;
//   3. ESP classes that suggest a reason, then the enhanced status and the
//      reply code;
//   4. fallbacks from the event type and the status class; "onhold" when
//      nothing decided.
// ESP hints that a failure is temporary (SES Transient, Mailgun temporary)
// never let the result be hard.
//
// Pure and thread-safe: the rule automaton is built once, on first use.
#pragma once

#include "classify/reason.hpp"
#include "classify/smtp_reply.hpp"
#include "model/event.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rebound::classify {

/// Stored with every classified event. Bump it whenever a rule table or the
/// precedence changes, so old classifications can be found and re-run.
constexpr int classifier_version = 4;

struct classify_input {
    std::optional<model::event_type> type;  // nullopt when unknown (the explain API)
    std::string_view provider;              // registry name, e.g. "sendgrid"
    // ESP classification: SendGrid bounce_classification, SES bounceSubType,
    // SparkPost bounce_class, Mailgun reason, Customers Mail Cloud status
    // (Postmark TypeCode and Mailjet error_related_to are stored here but
    // carry no hint).
    std::string_view esp_class;
    // ESP sub-type: SendGrid type, SES bounceType, Mailgun severity, Postmark
    // Type, Mailjet error, Brevo event, blastengine type.
    std::string_view esp_type;
    std::optional<int> smtp_code;
    std::string_view enhanced_status;
    std::string_view diagnostic;    // the receiving server's text as forwarded
    std::string_view remote_host;   // receiving MTA, when known
    std::string_view smtp_command;  // "RCPT", "DATA", ... when the ESP says
};

struct classification {
    bounce_reason reason = bounce_reason::none;
    model::severity sev = model::severity::none;
    double confidence = 0.0;  // 0..1
    // Which rule decided and what else weighed in, "; "-separated, e.g.
    // "text:user unknown; status-agrees:5.1.1".
    std::string matched;
    smtp_reply reply;  // code, status and text as parsed, gaps filled from the text
};

classification classify(classify_input const& in);

/// Classifies a stored event in place: sets reason, sev and
/// classifier_version, and fills smtp_code / enhanced_status from the
/// diagnostic when the provider left them empty.
void classify_event(model::normalized_event& e);

}  // namespace rebound::classify
