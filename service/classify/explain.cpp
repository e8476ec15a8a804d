// Builds the explain API's JSON from a classification and the action table.
#include "classify/explain.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace rebound::classify {

namespace {

boost::json::value
string_or_null(std::string_view s)
{
    if (s.empty()) return nullptr;
    return boost::json::string(s);
}

boost::json::object
reply_json(smtp_reply const& reply)
{
    boost::json::object out;
    if (reply.code)
        out["code"] = *reply.code;
    else
        out["code"] = nullptr;
    out["enhanced"] = string_or_null(reply.enhanced);
    out["text"] = reply.text;
    if (reply.classes_disagree) out["classes_disagree"] = true;
    return out;
}

}  // namespace

boost::json::object
explain(classify_input const& in, action_table const& actions)
{
    auto const c = classify(in);
    auto const name = to_string(c.reason);

    boost::json::object out;
    out["reply"] = reply_json(c.reply);
    out["reason"] = string_or_null(name);
    out["severity"] = model::to_string(c.sev);
    // Two decimals: the numbers are rule weights, not measured probabilities.
    out["confidence"] = std::round(c.confidence * 100.0) / 100.0;
    out["matched"] = c.matched;

    auto const* entry = actions.find(name);
    out["action"] = entry ? string_or_null(entry->action) : boost::json::value(nullptr);
    out["address_dead"] = entry && entry->address_dead;
    if (entry)
        out["explanation"] = {{"en", entry->en}, {"ja", entry->ja}};
    else
        out["explanation"] = nullptr;
    out["classifier_version"] = classifier_version;
    return out;
}

}  // namespace rebound::classify
