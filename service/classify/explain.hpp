// The body of the explain API (GET/POST /v1/explain): what one diagnostic
// means and what the sender should do about it.
//
//   {"reply": {"code": 550, "enhanced": "5.1.1", "text": "..."},
//    "reason": "userunknown", "severity": "hard", "confidence": 0.95,
//    "matched": "text:user unknown; status-agrees:5.1.1",
//    "action": "ask_for_new_address", "address_dead": true,
//    "explanation": {"en": "...", "ja": "..."}, "classifier_version": 1}
//
// Missing values are JSON null (no reply code, no enhanced status, no reason
// for a delivered event). "reply" gains "classes_disagree": true when the
// reply code and the enhanced status disagree on the class.
#pragma once

#include "classify/actions.hpp"
#include "classify/classifier.hpp"

#include <boost/json/object.hpp>

namespace rebound::classify {

boost::json::object explain(classify_input const& in, action_table const& actions = action_table::defaults());

}  // namespace rebound::classify
