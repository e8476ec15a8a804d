// Whether to keep sending to an address: a rule table, written as data.
//
// The first rule whose conditions all hold decides: send, notify (keep
// sending but tell the user, e.g. a full mailbox) or stop. The built-in
// table follows ../shared/reference/bounce-taxonomy.md and established
// practice; a JSON file can replace it:
//
//   {"rules": [
//     {"name": "complaint",   "when": {"complained": true},  "decision": "stop"},
//     {"name": "dns_failure", "when": {"reason_in": ["networkerror"], "streak_at_least": 3},
//      "decision": "stop"},
//     {"name": "default",     "when": {},                    "decision": "send"}]}
//
// Conditions: "hard_bounced" (a hard bounce not followed by a delivery),
// "complained", "reason_in" (the reason of the current soft streak),
// "streak_at_least" (soft failures since the last delivery).
#pragma once

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rebound::classify {

enum class send_decision { send, notify, stop };
std::string_view to_string(send_decision d) noexcept;

/// What the rules look at, from recipient_state.
struct send_facts {
    bool hard_bounced = false;
    bool complained = false;
    int soft_streak = 0;
    std::string_view streak_reason;  // the latest soft failure's reason
};

struct send_rule {
    std::string name;
    std::optional<bool> hard_bounced;
    std::optional<bool> complained;
    std::vector<std::string> reason_in;  // empty: any reason
    int streak_at_least = 0;
    send_decision decision = send_decision::send;
};

struct send_verdict {
    send_decision decision = send_decision::send;
    std::string_view rule;  // the deciding rule's name
};

class send_rules {
public:
    static send_rules const& defaults();
    static boost::system::result<send_rules, std::string> parse(std::string_view json);
    /// An empty path (REBOUND_SEND_RULES_FILE unset) is the defaults.
    static boost::system::result<send_rules, std::string> load_file(std::string const& path);

    send_verdict decide(send_facts const& facts) const noexcept;
    std::vector<send_rule> const& rules() const noexcept { return rules_; }

private:
    std::vector<send_rule> rules_;
};

}  // namespace rebound::classify
