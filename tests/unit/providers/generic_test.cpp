// Generic provider: every fixture in tests/fixtures/generic is checked field
// by field against the mapping documented in docs/generic-event.schema.json;
// events meant to fail name their expected rejection in "expect_rejected".
#include "providers/registry.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <filesystem>
#include <map>

using namespace rebound;
using rebound::model::event_type;

namespace {

providers::parse_result
parse(std::string_view body, std::string_view source = "")
{
    providers::header_list headers;
    providers::request_view req{body, headers, source};
    auto r = providers::generic().parse(req, {});
    REQUIRE(r.has_value());
    return std::move(*r);
}

/// A string field of `ev`, "" when absent or null.
std::string
text(simdjson::dom::element ev, char const* key)
{
    std::string_view s;
    if (ev[key].get_string().get(s)) return {};
    return std::string(s);
}

/// The expected occurred_at of each valid fixture event, worked out by hand.
std::map<std::string, model::unix_micros> const expected_times{
    {"mx1-4F2A1C0D9E", 1700000000250000LL},  // 2023-11-14T22:13:20.250Z
    {"b-1", 1700000001LL * 1000000},         // 2023-11-15T07:13:21+09:00
    {"b-2", 1700000002LL * 1000000},         // seconds
    {"b-3", 1700000003LL * 1000000},         // milliseconds
    {"b-4", 1700000004LL * 1000000},         // numeric string
    {"5", 1700000005123456LL},               // fractional seconds
    {"b-6", 1700000006LL * 1000000},         // zone-less ISO: UTC
};

}  // namespace

TEST_CASE("generic fixtures match the documented mapping", "[providers][generic]")
{
    std::vector<std::filesystem::path> files;
    for (auto const& entry : std::filesystem::directory_iterator(test::own_fixtures() / "generic"))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    REQUIRE(files.size() >= 3);

    std::size_t stored = 0, rejected = 0;
    for (auto const& path : files) {
        INFO(path.filename().string());
        auto const body = test::read_file(path);
        auto const r = parse(body, "mx1");
        CHECK(r.ignored == 0);  // generic has nothing to ignore

        simdjson::dom::parser parser;
        for (auto const& e : r.events) {
            simdjson::dom::element ev;
            REQUIRE_FALSE(parser.parse(simdjson::padded_string(e.raw_json.view())).get(ev));
            simdjson::dom::element ignore;
            CHECK(ev["expect_rejected"].get(ignore));  // no event meant to fail was stored

            simdjson::dom::element id_value;
            REQUIRE_FALSE(ev["event_id"].get(id_value));
            auto const id = id_value.is_string() ? text(ev, "event_id") : simdjson::to_string(id_value);
            INFO(id);
            CHECK(e.provider == "generic");
            CHECK(e.source == "mx1");
            CHECK(e.provider_event_id == id);
            CHECK(model::to_string(e.type) == text(ev, "type"));
            std::string lowered = text(ev, "recipient");
            model::ascii_lower(lowered);
            CHECK(e.recipient == lowered);
            CHECK(e.recipient_domain == lowered.substr(lowered.rfind('@') + 1));
            REQUIRE(expected_times.contains(id));
            CHECK(e.occurred_at == expected_times.at(id));

            std::int64_t code = 0;
            if (!ev["smtp_code"].get_int64().get(code)) CHECK(e.smtp_code == code);
            else CHECK_FALSE(e.smtp_code);
            CHECK(e.enhanced_status == text(ev, "enhanced_status"));
            CHECK(e.diagnostic == text(ev, "diagnostic"));
            CHECK(e.esp_message_id == text(ev, "message_id"));
            CHECK(e.esp_class == text(ev, "esp_class"));
            CHECK(e.esp_type == text(ev, "esp_type"));
            CHECK(e.remote_mta == text(ev, "remote_mta"));
            std::int64_t numeric_ref = 0;
            if (!ev["user_ref"].get_int64().get(numeric_ref)) CHECK(e.user_ref == std::to_string(numeric_ref));
            else CHECK(e.user_ref == text(ev, "user_ref"));
            ++stored;
        }
        for (auto const& rej : r.rejected) {
            simdjson::dom::element ev;
            REQUIRE_FALSE(parser.parse(rej.raw_json).get(ev));
            INFO(rej.raw_json);
            CHECK(rej.provider == "generic");
            CHECK(rej.why == text(ev, "expect_rejected"));
            ++rejected;
        }
    }
    CHECK(stored == 7);
    CHECK(rejected == 13);
}

TEST_CASE("generic single object keeps every optional field", "[providers][generic]")
{
    auto const r = parse(test::read_file(test::own_fixtures() / "generic" / "single-bounce.json"));
    REQUIRE(r.events.size() == 1);
    auto const& e = r.events[0];
    CHECK(e.type == event_type::bounce);
    CHECK(e.provider_event_id == "mx1-4F2A1C0D9E");
    CHECK(e.recipient == "alice@example.com");
    CHECK(e.recipient_domain == "example.com");
    CHECK(e.occurred_at == 1700000000250000LL);
    CHECK(e.smtp_code == 550);
    CHECK(e.enhanced_status == "5.1.1");
    CHECK(e.esp_message_id == "<20231114221320.4F2A1C0D9E@mx1.example.org>");
    CHECK(e.esp_class == "hard");
    CHECK(e.esp_type == "postfix-bounce");
    CHECK(e.remote_mta == "mx.example.com");
    CHECK(e.user_ref == "u-1");
    CHECK(e.raw_json.view().find("\"origin\": \"postfix@mx1\"") != std::string::npos);  // extra fields kept raw
}

TEST_CASE("generic refuses bodies that are not JSON objects or arrays", "[providers][generic]")
{
    providers::header_list headers;
    for (std::string_view body : {"", "1", "\"bounce\"", "[{}", "{} {}"}) {
        auto r = providers::generic().parse({body, headers, ""}, {});
        INFO(body);
        REQUIRE(r.has_error());
        CHECK(r.error() == providers::errc::malformed_body);
    }
}

TEST_CASE("generic limits events per request", "[providers][generic]")
{
    providers::provider_settings s;
    s.max_events = 2;
    providers::header_list headers;
    std::string_view body = "[{},{},{}]";
    auto r = providers::generic().parse({body, headers, ""}, s);
    REQUIRE(r.has_error());
    CHECK(r.error() == providers::errc::too_many_events);
}

TEST_CASE("generic checks the bearer token when configured", "[providers][generic][verify]")
{
    providers::provider_settings s;
    s.secrets["token"] = "mta-token";
    std::string_view body = "[]";
    providers::header_list ok;
    ok.add("Authorization", "Bearer mta-token");
    providers::header_list bad;
    bad.add("Authorization", "Bearer nope");
    CHECK_FALSE(providers::generic().verify({body, ok, "mx1"}, s));
    CHECK(providers::generic().verify({body, bad, "mx1"}, s) == providers::errc::bad_credentials);
}
