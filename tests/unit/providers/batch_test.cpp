// The shared batch walk and the wrapped-batch splitter: each event's element
// must be the one its raw slice holds, whichever way the DOM is reached (the
// whole-body pass, or the array parsed alone when escaped keys could make the
// two JSON readers disagree), and the walk must keep order and reasons.
#include "providers/batch.hpp"
#include "providers/registry.hpp"
#include "providers/request_rules.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

using namespace rebound;
using namespace rebound::providers;

namespace {

/// Each slice next to its element, minified, so a mismatch shows.
std::vector<std::pair<std::string, std::string>>
pairs_of(std::string const& body, std::string_view pointer)
{
    json::document doc;
    auto events = json::split_parsed_events_at(doc, body, pointer, 100);
    REQUIRE(events.has_value());
    std::vector<std::pair<std::string, std::string>> out;
    for (auto const& [raw, element] : *events) out.emplace_back(std::string(raw), json::minified(element));
    return out;
}

}  // namespace

TEST_CASE("split_parsed_events_at pairs each slice with its own element", "[providers][shared]")
{
    using list = std::vector<std::pair<std::string, std::string>>;
    // Plain keys: the whole-body DOM pass is reused. (Raw objects and arrays
    // keep the whitespace after them, as on-demand's raw_json() gives them.)
    CHECK(pairs_of(R"({"x":1,"events":[ {"a":1} , [2,3] ,"s", 4 ]})", "/events") ==
          list{{R"({"a":1} )", R"({"a":1})"}, {"[2,3] ", "[2,3]"}, {R"("s")", R"("s")"}, {"4", "4"}});
    CHECK(pairs_of(R"({"event":{"bounces":[{"a":1}]}})", "/event/bounces") == list{{R"({"a":1})", R"({"a":1})"}});
    CHECK(pairs_of(R"({"events":[]})", "/events").empty());
    // An escaped key the DOM would match but on-demand (raw bytes) does not:
    // the events are the array on-demand found.
    CHECK(pairs_of(R"({"\u0065vents":[{"wrong":1}],"events":[[{"right":2}]]})", "/events") ==
          list{{R"([{"right":2}])", R"([{"right":2}])"}});
    // Pointers with escapes take the same path.
    CHECK(pairs_of(R"({"a/b":[1,2]})", "/a~1b") == list{{"1", "1"}, {"2", "2"}});
}

TEST_CASE("split_parsed_events_at refuses malformed bodies and too many events", "[providers][shared]")
{
    json::document doc;
    CHECK(json::split_parsed_events_at(doc, R"({"events":{}})", "/events", 10).error() == errc::malformed_body);
    CHECK(json::split_parsed_events_at(doc, R"({"events":[1]} x)", "/events", 10).error() == errc::malformed_body);
    CHECK(json::split_parsed_events_at(doc, R"({"events":[1,2,3]})", "/events", 2).error() == errc::too_many_events);
    // Malformed wins over too many, as before.
    CHECK(json::split_parsed_events_at(doc, R"({"events":[1,2,3]}])", "/events", 2).error() == errc::malformed_body);
}

namespace {

/// The slices simdjson's on-demand reader gives (raw_json() of objects and
/// arrays, the trimmed token of scalars): what the splitter handed out
/// before its scan replaced that pass, and what ids derived from an event's
/// bytes were computed from.
std::vector<std::string>
on_demand_slices(std::string const& body)
{
    simdjson::padded_string padded{body};
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    std::vector<std::string> out;
    if (parser.iterate(padded).get(doc)) return {"<error>"};
    simdjson::ondemand::json_type type;
    if (doc.type().get(type)) return {"<error>"};
    std::string_view raw;
    if (type == simdjson::ondemand::json_type::object) {
        if (doc.raw_json().get(raw)) return {"<error>"};
        return {std::string(raw)};
    }
    simdjson::ondemand::array arr;
    if (doc.get_array().get(arr)) return {"<error>"};
    for (auto element : arr) {
        simdjson::ondemand::value v;
        if (element.get(v) || v.type().get(type)) return {"<error>"};
        if (type == simdjson::ondemand::json_type::object) {
            simdjson::ondemand::object o;
            if (v.get_object().get(o) || o.raw_json().get(raw)) return {"<error>"};
        } else if (type == simdjson::ondemand::json_type::array) {
            simdjson::ondemand::array a;
            if (v.get_array().get(a) || a.raw_json().get(raw)) return {"<error>"};
        } else {
            raw = v.raw_json_token();
            while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
                raw.remove_suffix(1);
        }
        out.emplace_back(raw);
    }
    return out;
}

std::vector<std::string>
split_slices(std::string const& body)
{
    json::document doc;
    auto events = json::split_parsed_events(doc, body, json::shape::array_or_object, 10000);
    REQUIRE(events.has_value());
    std::vector<std::string> out;
    for (auto const& e : *events) out.emplace_back(e.raw);
    return out;
}

}  // namespace

TEST_CASE("split_parsed_events gives the bytes the on-demand splitter gave", "[providers][shared]")
{
    using list = std::vector<std::string>;
    CHECK(split_slices("[ {\"a\":1} , [2,3] ,\"s\", 4 , {\"b\":\"x\\\"}\"}\n]") ==
          list{"{\"a\":1} ", "[2,3] ", "\"s\"", "4", "{\"b\":\"x\\\"}\"}\n"});
    CHECK(split_slices("  {\"a\":1}  \n") == list{"{\"a\":1}  \n"});
    CHECK(split_slices("[]").empty());

    // Strings of every length around the scan's 8-byte steps, with quotes,
    // backslashes, brackets and commas inside, nested at several depths.
    std::string const pieces[] = {"\\\\", "\\\"", "]", "}", ",", "[", "{", "x", "\u00e9", "\\u0022", " "};
    std::uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1664525U + 1013904223U; };
    for (int round = 0; round < 2000; ++round) {
        std::string body = "[";
        int const elements = static_cast<int>(next() % 6);
        for (int k = 0; k < elements; ++k) {
            if (k > 0) body += (next() % 2) ? " , " : ",";
            std::string text;
            for (auto n = next() % 24; n > 0; --n) text += pieces[next() % std::size(pieces)];
            switch (next() % 5) {
            case 0: body += "\"" + text + "\""; break;
            case 1: body += "{\"k\":\"" + text + "\",\"n\":[1,{\"d\":\"" + text + "\"}]}"; break;
            case 2: body += "[\"" + text + "\", null ,true]"; break;
            case 3: body += std::to_string(next() % 1000) + std::string(next() % 3, ' '); break;
            default: body += "{\"e\":{}}\t"; break;
            }
        }
        body += (next() % 2) ? "]" : " ]\n";
        INFO(body);
        CHECK(split_slices(body) == on_demand_slices(body));
    }
}

TEST_CASE("map_events keeps order, reasons and the shared fields", "[providers][shared]")
{
    json::document doc;
    auto events = json::split_parsed_events(doc, R"([{"k":"keep"},7,{"k":"skip"},{"k":"no"}])", json::shape::array_only, 10);
    REQUIRE(events.has_value());
    auto const out = map_events(doc, *events, "p", "src", objects::only, [](std::string_view, simdjson::dom::element ev, model::normalized_event& e, model::text_arena& text) -> verdict {
        auto const k = json::str(ev, "k");
        e.recipient = text.copy(k);  // filled in before the verdict, as mappings do
        if (k == "skip") return ignore{};
        if (k == "no") return reject{"said_no"};
        return keep{};
    });
    REQUIRE(out.events.size() == 1);
    CHECK(out.events[0].provider == "p");
    CHECK(out.events[0].source == "src");
    CHECK(out.events[0].raw_json == R"({"k":"keep"})");
    CHECK(out.events[0].recipient == "keep");
    CHECK(out.ignored == 1);
    REQUIRE(out.rejected.size() == 2);
    CHECK(out.rejected[0].why == "not_an_object");
    CHECK(out.rejected[0].raw_json == "7");
    CHECK(out.rejected[1].why == "said_no");
    CHECK(find_type(std::vector<type_rule>{{"x", model::event_type::drop}}, "x") == model::event_type::drop);
}

TEST_CASE("kept events share one copy of the body, which outlives the parser's buffer", "[providers][shared]")
{
    auto const& sendgrid = providers::sendgrid();
    providers::header_list const headers;
    providers::provider_settings const settings;
    std::string const first = R"([{"event":"delivered","email":"a@x.test","timestamp":1700000000,"sg_event_id":"a"},)"
                              R"({"event":"open","email":"b@x.test","timestamp":1700000000,"sg_event_id":"b"},)"
                              R"({"event":"bounce","email":"c@x.test","timestamp":1700000001,"sg_event_id":"c"}])";
    std::vector<model::normalized_event> kept;
    {
        auto parsed = sendgrid.parse({first, headers, ""}, settings);
        REQUIRE(parsed.has_value());
        REQUIRE(parsed->events.size() == 2);
        kept = parsed->events;  // copies; the parse result goes away
    }
    // The next body on this thread fits the same buffer, which must not be
    // written over while events view it.
    std::string second(first.size(), ' ');
    second.front() = '[';
    second.back() = ']';
    REQUIRE(sendgrid.parse({second, headers, ""}, settings).has_value());

    auto const a = first.find(R"({"event":"delivered")");
    auto const c = first.find(R"({"event":"bounce")");
    CHECK(kept[0].raw_json == std::string_view(first).substr(a, first.find('}') + 1 - a));
    CHECK(kept[1].raw_json == std::string_view(first).substr(c, first.size() - 1 - c));
    // One block: the second event's bytes sit where they sat in the body.
    CHECK(kept[1].raw_json.data() - kept[0].raw_json.data() == static_cast<std::ptrdiff_t>(c - a));
}

TEST_CASE("shared_text owns what it is built from", "[model]")
{
    model::shared_text t;
    CHECK(t.empty());
    {
        std::string s = "{\"k\":1}";
        t = s;
        s.assign(s.size(), 'x');
    }
    model::shared_text const copy = t;
    t = model::shared_text{};
    CHECK(copy == R"({"k":1})");
    CHECK(copy.size() == 7);
}

TEST_CASE("admit checks provider, source and media type in order", "[providers][shared]")
{
    using params = std::map<std::string, std::string, std::less<>>;
    auto const unknown = admit(params{{"provider", "nope"}}, "text/html");
    REQUIRE(unknown.refused);
    CHECK(unknown.refused->status == 404);
    CHECK(unknown.refused->code == "unknown_provider");
    auto const bad_source = admit(params{{"provider", "sendgrid"}, {"source", "A B"}}, "text/html");
    REQUIRE(bad_source.refused);
    CHECK(bad_source.refused->code == "bad_source");
    auto const media = admit(params{{"provider", "sendgrid"}, {"source", "eu-1"}}, "text/html; charset=utf-8");
    REQUIRE(media.refused);
    CHECK(media.refused->status == 415);
    CHECK(media.target != nullptr);
    for (auto type : {"", "application/json", "Application/JSON ; charset=utf-8", "text/plain", "application/cloudevents+json",
                      "application/x-www-form-urlencoded"}) {
        auto const ok = admit(params{{"provider", "sendgrid"}, {"source", "eu-1"}}, type);
        CHECK_FALSE(ok.refused);
        CHECK(ok.source == "eu-1");
    }
    auto const challenged = refusal_for(errc::missing_credentials, true);
    CHECK(challenged.status == 401);
    REQUIRE(challenged.headers.size() == 1);
    CHECK(challenged.headers[0].first == "WWW-Authenticate");
    CHECK(refusal_for(errc::missing_credentials, false).headers.empty());
    CHECK(refusal_for(errc::too_many_events, false).status == 413);
    CHECK(refusal_for(errc::unsupported_media_type, false).code == "unsupported_media_type");
}
