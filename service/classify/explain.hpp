// The body of the explain API (GET/POST /v1/explain): what one diagnostic
// means and what the sender should do about it.
//
//   {"reply": {"code": 550, "enhanced": "5.1.1", "text": "..."},
//    "reason": "userunknown", "severity": "hard", "confidence": 0.95,
//    "matched": "text:user unknown; status-agrees:5.1.1",
//    "action": "ask_for_new_address", "address_dead": true,
//    "explanation": {"en": "...", "ja": "..."}, "classifier_version": 3}
//
// Missing values are JSON null (no reply code, no enhanced status, no reason
// for a delivered event). "reply" gains "classes_disagree": true when the
// reply code and the enhanced status disagree on the class.
#pragma once

#include "classify/actions.hpp"
#include "classify/classifier.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace rebound::classify {

boost::json::object explain(classify_input const& in, action_table const& actions = action_table::defaults());

/// One line of `rebound explain --jsonl`: a JSON object with `diagnostic`,
/// `smtp_code` (number or text), `status` and, optionally, `event_type`,
/// `rhost`, `command`, `provider`, `esp_class` and `esp_type` (Sisimai's
/// `action`, failed/delayed/delivered, stands in for a missing
/// `event_type`, so labelled sets can be fed as they are). Returns the
/// explain object, with the line's `id` copied in when it has one, or an
/// error message for a line that is not such an object.
boost::system::result<boost::json::object, std::string> explain_json_line(std::string_view line,
                                                                          action_table const& actions = action_table::defaults());

}  // namespace rebound::classify
