// The explain API's JSON document.
#include "classify/explain.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

using namespace rebound;

TEST_CASE("explain documents a diagnostic", "[classify][explain]")
{
    classify::classify_input in;
    in.diagnostic = "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown";
    auto const doc = classify::explain(in);

    auto const& reply = doc.at("reply").as_object();
    CHECK(reply.at("code").as_int64() == 550);
    CHECK(reply.at("enhanced").as_string() == "5.1.1");
    CHECK(reply.at("text").as_string() == "<bob@example.org>: Recipient address rejected: User unknown");
    CHECK_FALSE(reply.contains("classes_disagree"));

    CHECK(doc.at("reason").as_string() == "userunknown");
    CHECK(doc.at("severity").as_string() == "hard");
    CHECK(doc.at("confidence").as_double() >= 0.9);
    CHECK(doc.at("confidence").as_double() <= 1.0);
    CHECK(doc.at("matched").as_string() == "text:user unknown; status-agrees:5.1.1");
    CHECK(doc.at("action").as_string() == "ask_for_new_address");
    CHECK(doc.at("address_dead").as_bool());
    auto const& explanation = doc.at("explanation").as_object();
    CHECK(explanation.at("en").as_string().size() > 10);
    CHECK(explanation.at("ja").as_string().size() > 10);
    CHECK(doc.at("classifier_version").as_int64() == classify::classifier_version);
}

TEST_CASE("explain uses nulls for what is missing", "[classify][explain]")
{
    classify::classify_input in;
    in.type = model::event_type::delivered;
    in.diagnostic = "OK";
    auto const doc = classify::explain(in);
    CHECK(doc.at("reply").at("code").is_null());
    CHECK(doc.at("reply").at("enhanced").is_null());
    CHECK(doc.at("reason").is_null());
    CHECK(doc.at("severity").as_string() == "none");
    CHECK(doc.at("action").is_null());
    CHECK(doc.at("explanation").is_null());
    CHECK_FALSE(doc.at("address_dead").as_bool());
}

TEST_CASE("explain takes hints and a custom action table", "[classify][explain]")
{
    auto const table = classify::action_table::parse(R"({"reasons": {"mailboxfull": {"action": "wait"}}})");
    REQUIRE(table.has_value());

    classify::classify_input in;
    in.type = model::event_type::bounce;
    in.smtp_code = 550;
    in.enhanced_status = "4.2.2";
    in.provider = "ses";
    in.esp_type = "Transient";
    in.diagnostic = "mailbox full";
    auto const doc = classify::explain(in, *table);
    CHECK(doc.at("reason").as_string() == "mailboxfull");
    CHECK(doc.at("action").as_string() == "wait");
    CHECK(doc.at("reply").at("classes_disagree").as_bool());
    CHECK_FALSE(doc.at("address_dead").as_bool());
    // The document serialises (it goes straight into an HTTP response).
    CHECK(boost::json::serialize(doc).find("\"reason\":\"mailboxfull\"") != std::string::npos);
}
