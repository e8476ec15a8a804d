// The send-decision rule table as a file: no file is the built-in table, a
// file that cannot be read is an error naming it.
#include "classify/send_rules.hpp"

#include <catch2/catch.hpp>

using rebound::classify::send_rules;

TEST_CASE("send rules load from a file, or are the defaults without one", "[classify][send_rules]")
{
    auto const none = send_rules::load_file("");
    REQUIRE(none.has_value());
    REQUIRE(none->rules().size() == send_rules::defaults().rules().size());
    for (std::size_t i = 0; i < none->rules().size(); ++i) CHECK(none->rules()[i].name == send_rules::defaults().rules()[i].name);

    rebound::classify::send_facts hard;
    hard.hard_bounced = true;
    CHECK(none->decide(hard).decision == send_rules::defaults().decide(hard).decision);

    auto const missing = send_rules::load_file("/nonexistent/rebound-send-rules.json");
    REQUIRE(missing.has_error());
    CHECK(missing.error().find("/nonexistent/rebound-send-rules.json") != std::string::npos);
}
