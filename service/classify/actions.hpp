// What the sender should do about each bounce reason, for humans.
//
// Every reason maps to a machine-readable action code (what the UI or a
// notification does) and a short explanation in English and Japanese written
// for the sender. The wording never blames the recipient for problems on the
// sending side (blocks, reputation, content). Built-in defaults cover the
// whole vocabulary; a JSON file can override any of them:
//
//   {"reasons": {"mailboxfull": {"action": "...", "en": "...", "ja": "...",
//                                "address_dead": false}, ...}}
//
// Fields left out keep their default. Unknown reasons, unknown fields and
// wrongly typed values are errors that name the offending key.
#pragma once

#include "classify/reason.hpp"

#include <boost/system/result.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rebound::classify {

struct action_entry {
    std::string reason;  // e.g. "mailboxfull"
    std::string action;  // e.g. "notify_after_repeated"
    std::string en;
    std::string ja;
    // The address itself is dead (unknown user or domain, moved, accepts no
    // mail): open an address-change notice. Never set for blocks, reputation,
    // policy, content or rate reasons, where the address is fine.
    bool address_dead = false;
};

class action_table {
public:
    /// The built-in table.
    static action_table const& defaults();

    /// The defaults with a JSON file's entries applied; the error names the
    /// file or the offending key. An empty path (REBOUND_ACTIONS_FILE unset)
    /// is the defaults.
    static boost::system::result<action_table, std::string> load_file(std::string const& path);

    /// Same as load_file, from JSON text.
    static boost::system::result<action_table, std::string> parse(std::string_view json);

    /// The entry for a reason name (case-insensitive; old Sisimai names
    /// accepted), or nullptr for "" and unknown names.
    action_entry const* find(std::string_view reason) const noexcept;

    /// One entry per reason of the vocabulary, in alphabetical order.
    std::span<action_entry const> entries() const noexcept { return entries_; }

    /// The reasons whose hard bounce means the address is dead (address_dead),
    /// in entries() order: they open an address-change notice.
    std::vector<std::string> dead_reasons() const;

private:
    action_table();
    action_entry& entry_for(bounce_reason reason) noexcept;

    std::vector<action_entry> entries_;
};

}  // namespace rebound::classify
