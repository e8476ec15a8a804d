// The recommended-actions table: built-in defaults and the override file.
#include "classify/actions.hpp"
#include "classify/reason.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

using rebound::classify::action_table;

namespace {

/// A file under the system temp directory, removed when the test ends.
class temp_file {
public:
    explicit temp_file(std::string_view content)
        : path_(std::filesystem::temp_directory_path() /
                ("rebound-actions-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".json"))
    {
        std::ofstream(path_) << content;
    }
    ~temp_file() { std::filesystem::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

}  // namespace

TEST_CASE("default actions cover the whole vocabulary", "[classify][actions]")
{
    auto const& table = action_table::defaults();
    REQUIRE(table.entries().size() == rebound::classify::all_reasons().size());
    for (auto const r : rebound::classify::all_reasons()) {
        auto const name = rebound::classify::to_string(r);
        INFO(name);
        auto const* e = table.find(name);
        REQUIRE(e);
        CHECK(e->reason == name);
        CHECK_FALSE(e->action.empty());
        CHECK_FALSE(e->en.empty());
        CHECK_FALSE(e->ja.empty());
    }
    CHECK(table.find("") == nullptr);
    CHECK(table.find("nosuchreason") == nullptr);
}

TEST_CASE("default actions follow the issue's plan", "[classify][actions]")
{
    auto const& t = action_table::defaults();
    auto action = [&](std::string_view reason) { return t.find(reason)->action; };

    for (auto const r : {"userunknown", "hostunknown", "hasmoved", "notaccept"}) {
        INFO(r);
        CHECK(action(r) == "ask_for_new_address");
        CHECK(t.find(r)->address_dead);
    }
    CHECK(action("mailboxfull") == "notify_after_repeated");
    CHECK(action("networkerror") == "stop_after_repeated");
    CHECK(action("expired") == "stop_after_repeated");
    CHECK(action("blocked") == "fix_sender_reputation");
    CHECK(action("badreputation") == "fix_sender_reputation");
    CHECK(action("authfailure") == "fix_authentication");
    CHECK(action("spamdetected") == "fix_content");
    CHECK(action("emailtoolarge") == "shrink_message");
    CHECK(action("ratelimited") == "throttle");

    // Only dead addresses open an address-change notice; dead_reasons() is
    // the list the writer's notice statement gets.
    std::set<std::string> dead;
    for (auto const& e : t.entries())
        if (e.address_dead) dead.insert(e.reason);
    CHECK(dead == std::set<std::string>{"hasmoved", "hostunknown", "notaccept", "userunknown"});
    CHECK(t.dead_reasons() == std::vector<std::string>{"hasmoved", "hostunknown", "notaccept", "userunknown"});

    // Sender-side problems never blame the recipient.
    CHECK(t.find("blocked")->en.find("not the recipient's fault") != std::string::npos);
    CHECK(t.find("badreputation")->en.find("not the recipient's fault") != std::string::npos);
}

TEST_CASE("an override's address_dead decides which hard bounces open notices", "[classify][actions]")
{
    temp_file const file(R"({"reasons": {
        "userunknown": {"address_dead": false},
        "MailboxFull": {"address_dead": true}
    }})");
    auto const loaded = action_table::load_file(file.path());
    REQUIRE(loaded.has_value());
    CHECK(loaded->dead_reasons() == std::vector<std::string>{"hasmoved", "hostunknown", "mailboxfull", "notaccept"});
}

TEST_CASE("reason lookups accept old names and any case", "[classify][actions]")
{
    auto const& t = action_table::defaults();
    CHECK(t.find("MailboxFull") == t.find("mailboxfull"));
    CHECK(t.find("mesgtoobig") == t.find("emailtoolarge"));
    CHECK(t.find("speeding") == t.find("ratelimited"));
}

TEST_CASE("the override file replaces fields of the entries it names", "[classify][actions]")
{
    temp_file const file(R"({"reasons": {
        "mailboxfull": {"action": "email_the_user", "en": "Tell them.", "ja": "伝えてください。"},
        "Blocked": {"en": "Call the postmaster."},
        "toomanyconn": {"address_dead": false, "action": "slow_down"}
    }})");
    auto const loaded = action_table::load_file(file.path());
    REQUIRE(loaded.has_value());
    auto const& t = *loaded;

    CHECK(t.find("mailboxfull")->action == "email_the_user");
    CHECK(t.find("mailboxfull")->en == "Tell them.");
    CHECK(t.find("mailboxfull")->ja == "伝えてください。");
    CHECK(t.find("blocked")->en == "Call the postmaster.");
    CHECK(t.find("blocked")->action == "fix_sender_reputation");  // not overridden
    CHECK(t.find("ratelimited")->action == "slow_down");
    CHECK(t.find("userunknown")->action == "ask_for_new_address");  // untouched entries keep defaults
    CHECK(action_table::defaults().find("mailboxfull")->action == "notify_after_repeated");
}

TEST_CASE("override file errors name the offending key", "[classify][actions]")
{
    auto error_of = [](std::string_view json) {
        auto const r = action_table::parse(json);
        REQUIRE(r.has_error());
        return r.error();
    };

    CHECK(error_of(R"({"reasons": {"mailboxfull": {"action": "x"}, "nosuchreason": {}}})") ==
          "reasons.nosuchreason: unknown reason");
    CHECK(error_of(R"({"reasons": {"mailboxfull": {"en": 42}}})") == "reasons.mailboxfull.en: expected a string");
    CHECK(error_of(R"({"reasons": {"mailboxfull": {"address_dead": "yes"}}})") ==
          "reasons.mailboxfull.address_dead: expected true or false");
    CHECK(error_of(R"({"reasons": {"mailboxfull": {"colour": "red"}}})").rfind("reasons.mailboxfull.colour:", 0) ==
          0);
    CHECK(error_of(R"({"reasons": {"mailboxfull": "notify"}})") == "reasons.mailboxfull: expected an object");
    CHECK(error_of(R"({"reasons": {"mailboxfull": {"action": "Not A Code"}}})")
              .rfind("reasons.mailboxfull.action: must be lower_snake_case", 0) == 0);
    CHECK(error_of(R"({"reasons": {"mailboxfull": {"ja": ""}}})") == "reasons.mailboxfull.ja: must not be empty");
    CHECK(error_of(R"({"reasons": [], "extra": 1})") == "reasons: expected an object");
    CHECK(error_of(R"({"extra": {}})") == "extra: unknown key (expected \"reasons\")");
    CHECK(error_of("[1, 2]").find("expected a JSON object") != std::string::npos);
    CHECK(error_of("{not json").rfind("not valid JSON", 0) == 0);
}

TEST_CASE("override file problems are reported with the path", "[classify][actions]")
{
    auto const missing = action_table::load_file("/nonexistent/rebound-actions.json");
    REQUIRE(missing.has_error());
    CHECK(missing.error().rfind("cannot read /nonexistent/rebound-actions.json", 0) == 0);

    temp_file const bad(R"({"reasons": {"nosuchreason": {}}})");
    auto const r = action_table::load_file(bad.path());
    REQUIRE(r.has_error());
    CHECK(r.error() == bad.path() + ": reasons.nosuchreason: unknown reason");

    // No file configured: the built-in table.
    auto const none = action_table::load_file("");
    REQUIRE(none.has_value());
    CHECK(none->find("userunknown")->action == action_table::defaults().find("userunknown")->action);
}
