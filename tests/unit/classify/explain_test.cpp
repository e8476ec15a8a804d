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

TEST_CASE("explain reads one JSON line as rebound explain --jsonl does", "[classify][explain]")
{
    // The fields of a labelled set: code as text or number, Sisimai's action
    // for the event type, and the id echoed first so results join back.
    auto const a = classify::explain_json_line(
        R"({"id": "x-1", "smtp_code": "550", "status": "5.1.1", "diagnostic": "User unknown", "action": "failed",
            "rhost": "mx.example.org", "command": "RCPT"})");
    REQUIRE(a.has_value());
    CHECK(a->begin()->key() == "id");
    CHECK(a->at("id") == "x-1");
    CHECK(a->at("reason") == "userunknown");
    CHECK(a->at("severity") == "hard");
    CHECK(a->at("reply").at("code") == 550);
    CHECK(a->at("action") == "ask_for_new_address");

    auto const b = classify::explain_json_line(R"({"id": 7, "smtp_code": 421, "diagnostic": "4.7.0 Try again later", "event_type": "deferred"})");
    REQUIRE(b.has_value());
    CHECK(b->at("id") == 7);
    CHECK(b->at("severity") == "soft");
    CHECK(b->at("reply").at("code") == 421);

    // The event type decides a delivered event whatever the text says.
    auto const c = classify::explain_json_line(R"({"diagnostic": "250 2.0.0 OK", "event_type": "delivered"})");
    REQUIRE(c.has_value());
    CHECK(c->at("reason").is_null());
    CHECK_FALSE(c->contains("id"));

    CHECK_FALSE(classify::explain_json_line("not json").has_value());
    CHECK_FALSE(classify::explain_json_line("[1, 2]").has_value());
    CHECK_FALSE(classify::explain_json_line(R"({"event_type": "bogus"})").has_value());
}
