// The read API on a real PostgreSQL, with scenarios built to tell right from
// wrong: a streak broken by a delivery, deliveries out of order, duplicates,
// a block that must not open a notice, a notice resolved by a later delivery,
// token scopes, CSV, pagination, stats, and the OpenAPI contract.
#include "harness.hpp"

#include "../support/fixtures.hpp"
#include "verify/verify.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>

using namespace rebound;
using rebound::test::running_service;

using rebound::test::sendgrid_event;

namespace {

constexpr char const* read_token = "read-token-for-tests";
constexpr char const* notices_token = "notices-token-for-tests";

config::config
with_tokens()
{
    config::config cfg;
    cfg.api_tokens.push_back({"reader", verify::sha256_hex(read_token), {"read"}});
    cfg.api_tokens.push_back({"app", verify::sha256_hex(notices_token), {"read", "notices"}});
    return cfg;
}

struct api_client {
    running_service& svc;

    boost::json::value get(std::string const& target, unsigned expect = 200, char const* token = read_token)
    {
        auto const r = test::http_call(svc.port(), "GET", target, {}, {{"Authorization", std::string("Bearer ") + token}});
        INFO(target << " -> " << r.status << " " << r.body);
        REQUIRE(r.status == expect);
        return boost::json::parse(r.body);
    }
    boost::json::value post(std::string const& target, std::string const& body, unsigned expect = 200,
                            char const* token = notices_token)
    {
        auto const r = test::http_call(svc.port(), "POST", target, body,
                                       {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}});
        INFO(target << " -> " << r.status << " " << r.body);
        REQUIRE(r.status == expect);
        return boost::json::parse(r.body);
    }
};

void
post_events(running_service& svc, std::vector<std::string> const& events)
{
    std::string body = "[";
    for (std::size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
    auto const r = svc.post("/v1/webhooks/sendgrid", body + "]");
    INFO(r.body);
    REQUIRE(r.status == 200);
}

long long
now_s()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("API tokens: 401 without, 403 with the wrong scope", "[integration][api][auth]")
{
    running_service svc{with_tokens()};
    auto const none = svc.get("/v1/recipients/a@example.com");
    CHECK(none.status == 401);
    CHECK(none.body.find(R"("code":"missing_token")") != std::string::npos);
    auto const bad = test::http_call(svc.port(), "GET", "/v1/recipients/a@example.com", {}, {{"Authorization", "Bearer nope"}});
    CHECK(bad.status == 401);
    auto const wrong_scope = test::http_call(svc.port(), "POST", "/v1/notices/1/notified", {},
                                             {{"Authorization", std::string("Bearer ") + read_token}});
    CHECK(wrong_scope.status == 403);
    CHECK(wrong_scope.body.find(R"("code":"insufficient_scope")") != std::string::npos);
}

TEST_CASE("status, streaks and send decisions", "[integration][api]")
{
    running_service svc{with_tokens()};
    api_client api{svc};
    auto const t = now_s() - 3600;

    SECTION("an unknown address may be mailed")
    {
        auto const s = api.get("/v1/recipients/nobody@example.com");
        CHECK(s.at("known") == false);
        CHECK(s.at("should_send") == true);
    }

    SECTION("a streak broken by a delivery restarts after it")
    {
        post_events(svc, {sendgrid_event("a1", "full@example.com", "deferred", t), sendgrid_event("a2", "full@example.com", "deferred", t + 10),
                          sendgrid_event("a3", "full@example.com", "deferred", t + 20)});
        auto s = api.get("/v1/recipients/full@example.com");
        CHECK(s.at("soft_bounce_streak") == 3);
        CHECK(s.at("reason").at("code") == "mailboxfull");
        CHECK(s.at("decision") == "notify");  // mailbox full, 3 in a row
        CHECK(s.at("should_send") == true);
        CHECK_FALSE(s.at("reason").at("ja").as_string().empty());
        CHECK_FALSE(s.at("reason").at("en").as_string().empty());

        post_events(svc, {sendgrid_event("a4", "full@example.com", "delivered", t + 30), sendgrid_event("a5", "full@example.com", "deferred", t + 40)});
        s = api.get("/v1/recipients/full@example.com");
        CHECK(s.at("soft_bounce_streak") == 1);
        CHECK(s.at("decision") == "send");

        // Consecutive mode sees 1 now; the 7-day window still sees all 4.
        auto const k = api.get("/v1/soft-bounces?mode=consecutive&min_streak=2");
        CHECK(k.at("items").as_array().empty());
        auto const n = api.get("/v1/soft-bounces?mode=window&min_failures=4&window=7d");
        REQUIRE(n.at("items").as_array().size() == 1);
        auto const& row = n.at("items").as_array()[0];
        CHECK(row.at("recipient") == "full@example.com");
        CHECK(row.at("failures") == 4);
        CHECK(row.at("top_reasons").as_array()[0].at("reason") == "mailboxfull");
        CHECK(row.at("action") == "notify_after_repeated");
        CHECK(api.get("/v1/soft-bounces?mode=window&min_failures=5&window=7d").at("items").as_array().empty());
        // A window that ends before the first failure finds nothing.
        CHECK(api.get("/v1/soft-bounces?mode=window&min_failures=1&window=1m").at("items").as_array().empty());
    }

    SECTION("deliveries out of order and duplicates")
    {
        post_events(svc, {sendgrid_event("b1", "late@example.com", "deferred", t + 100), sendgrid_event("b2", "late@example.com", "deferred", t + 200)});
        post_events(svc, {sendgrid_event("b0", "late@example.com", "delivered", t + 50)});   // older than the streak
        post_events(svc, {sendgrid_event("b2", "late@example.com", "deferred", t + 200)});   // a retry
        auto const s = api.get("/v1/recipients/late@example.com");
        CHECK(s.at("soft_bounce_streak") == 2);
        CHECK(s.at("last_delivered_at") != nullptr);
        auto const k = api.get("/v1/soft-bounces?mode=consecutive&min_streak=2");
        REQUIRE(k.at("items").as_array().size() == 1);
        CHECK(k.at("items").as_array()[0].at("failures") == 2);
    }

    SECTION("complaints stop sending")
    {
        post_events(svc, {sendgrid_event("c1", "angry@example.com", "delivered", t), sendgrid_event("c2", "angry@example.com", "spamreport", t + 5)});
        auto const s = api.get("/v1/recipients/angry@example.com");
        CHECK(s.at("should_send") == false);
        CHECK(s.at("decision_rule") == "complaint");
    }
}

TEST_CASE("address-change notices: opened by dead addresses only, resolved by delivery or by hand", "[integration][api][notices]")
{
    running_service svc{with_tokens()};
    api_client api{svc};
    auto const t = now_s() - 7200;

    post_events(svc, {sendgrid_event("n1", "gone@example.com", "bounce", t, "user-1"),
                      sendgrid_event("n2", "blocked@example.com", "blocked", t, "user-2"),
                      sendgrid_event("n3", "moved@example.com", "bounce", t, "user-3")});

    SECTION("a block never opens a notice and does not stop sending")
    {
        auto const s = api.get("/v1/recipients/blocked@example.com");
        CHECK(s.at("needs_address_change") == false);
        CHECK(s.at("should_send") == true);
        CHECK(svc.db().scalar("SELECT count(*) FROM notices WHERE recipient = 'blocked@example.com'") == "0");
    }

    SECTION("the hard bounce opens one pending notice, shown per user")
    {
        auto const u = api.get("/v1/users/user-1");
        CHECK(u.at("needs_address_change") == true);
        CHECK(u.at("should_send") == false);
        auto const& a = u.at("addresses").as_array()[0];
        CHECK(a.at("notice").at("state") == "pending");
        CHECK(a.at("reason").at("code") == "userunknown");
        CHECK(a.at("reason").at("action") == "ask_for_new_address");

        auto const list = api.get("/v1/notices?state=pending");
        CHECK(list.at("items").as_array().size() == 2);

        // A retry of the bounce does not open a second notice.
        post_events(svc, {sendgrid_event("n1", "gone@example.com", "bounce", t, "user-1"), sendgrid_event("n1b", "gone@example.com", "bounce", t + 60, "user-1")});
        CHECK(svc.db().scalar("SELECT count(*) FROM notices WHERE recipient = 'gone@example.com'") == "1");
    }

    SECTION("mark notified, then resolve; every change is recorded with its actor")
    {
        auto const id = svc.db().scalar("SELECT id FROM notices WHERE recipient = 'gone@example.com'");
        auto const first = api.post("/v1/notices/" + id + "/notified", R"({"actor":"mypage"})");
        CHECK(first.at("changed") == true);
        CHECK(first.at("state") == "notified");
        auto const again = api.post("/v1/notices/" + id + "/notified", "");
        CHECK(again.at("changed") == false);  // idempotent for page views
        api.post("/v1/notices/" + id + "/resolved", R"({"note":"user changed the address"})");
        api.post("/v1/notices/" + id + "/notified", "", 409);  // no way back from resolved
        api.post("/v1/notices/999999/notified", "", 404);

        auto const n = api.get("/v1/notices/" + id);
        CHECK(n.at("state") == "resolved");
        CHECK(n.at("resolution") == "address_changed");
        auto const& h = n.at("history").as_array();
        REQUIRE(h.size() == 3);
        CHECK(h[0].at("to") == "pending");
        CHECK(h[0].at("actor") == "system:ingest");
        CHECK(h[1].at("to") == "notified");
        CHECK(h[1].at("actor") == "token:app (mypage)");
        CHECK(h[2].at("to") == "resolved");
        CHECK(h[2].at("note") == "user changed the address");
        CHECK(api.get("/v1/recipients/gone@example.com").at("needs_address_change") == false);
    }

    SECTION("a later delivery resolves the notice by itself; an older one does not")
    {
        post_events(svc, {sendgrid_event("m0", "moved@example.com", "delivered", t - 100)});
        CHECK(api.get("/v1/recipients/moved@example.com").at("needs_address_change") == true);
        post_events(svc, {sendgrid_event("m1", "moved@example.com", "delivered", t + 100)});
        auto const s = api.get("/v1/recipients/moved@example.com");
        CHECK(s.at("needs_address_change") == false);
        CHECK(s.at("should_send") == true);
        CHECK(svc.db().scalar("SELECT resolution FROM notices WHERE recipient = 'moved@example.com'") == "delivered");
    }
}

TEST_CASE("bulk lookups, timeline pagination and CSV", "[integration][api]")
{
    running_service svc{with_tokens()};
    api_client api{svc};
    auto const t = now_s() - 600;
    std::vector<std::string> events;
    for (int i = 0; i < 5; ++i) events.push_back(sendgrid_event("t" + std::to_string(i), "busy@example.com", i % 2 ? "delivered" : "deferred", t + i));
    events.push_back(sendgrid_event("x1", "dead@example.com", "bounce", t, "u-dead"));
    post_events(svc, events);

    auto const bulk = api.post("/v1/recipients/lookup", R"({"addresses":["dead@example.com","Busy@Example.com","new@example.com"]})",
                               200, read_token);
    auto const& results = bulk.at("results").as_array();
    REQUIRE(results.size() == 3);
    CHECK(results[0].at("should_send") == false);
    CHECK(results[1].at("address") == "busy@example.com");
    CHECK(results[1].at("known") == true);
    CHECK(results[2].at("known") == false);
    api.post("/v1/recipients/lookup", R"({"addresses":[]})", 400, read_token);
    api.post("/v1/recipients/lookup", "not json", 400, read_token);
    auto const users = api.post("/v1/users/lookup", R"({"user_refs":["u-dead","u-none"]})", 200, read_token);
    CHECK(users.at("results").as_array()[0].at("needs_address_change") == true);
    CHECK(users.at("results").as_array()[1].at("known") == false);

    auto page1 = api.get("/v1/recipients/busy@example.com/events?limit=3");
    REQUIRE(page1.at("items").as_array().size() == 3);
    CHECK(page1.at("items").as_array()[0].at("occurred_at").as_string() >
          page1.at("items").as_array()[2].at("occurred_at").as_string());  // newest first
    auto const cursor = std::string(page1.at("next_cursor").as_string());
    auto page2 = api.get("/v1/recipients/busy@example.com/events?limit=3&cursor=" + cursor);
    CHECK(page2.at("items").as_array().size() == 2);
    CHECK(page2.at("next_cursor") == nullptr);
    api.get("/v1/recipients/busy@example.com/events?cursor=garbage", 400);

    auto const csv = test::http_call(svc.port(), "GET", "/v1/recipients/busy@example.com/events", {},
                                     {{"Authorization", std::string("Bearer ") + read_token}, {"Accept", "text/csv"}});
    CHECK(csv.status == 200);
    CHECK(csv.headers.at("content-type").find("text/csv") == 0);
    CHECK(csv.body.rfind("id,provider,source,event_type,occurred_at", 0) == 0);
    CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 6);  // header + 5 events
}

TEST_CASE("stats: rates per day and domain, flagged over the threshold", "[integration][api][stats]")
{
    running_service svc{with_tokens()};
    api_client api{svc};
    auto const t = now_s() - 60;
    std::vector<std::string> events;
    for (int i = 0; i < 18; ++i) events.push_back(sendgrid_event("d" + std::to_string(i), "u" + std::to_string(i) + "@good.example", "delivered", t));
    events.push_back(sendgrid_event("h1", "x@bad.example", "bounce", t));
    events.push_back(sendgrid_event("h2", "y@bad.example", "delivered", t));
    events.push_back(sendgrid_event("s1", "z@good.example", "deferred", t));
    events.push_back(sendgrid_event("p1", "u1@good.example", "spamreport", t));
    post_events(svc, events);
    post_events(svc, events);  // duplicates must not count twice

    auto const by_day = api.get("/v1/stats?group_by=day");
    auto const& days = by_day.at("items").as_array();
    REQUIRE(days.size() == 1);
    CHECK(days[0].at("delivered") == 19);
    CHECK(days[0].at("hard_bounces") == 1);
    CHECK(days[0].at("attempts") == 20);
    CHECK(days[0].at("hard_bounce_rate").as_double() == Approx(0.05));
    CHECK(days[0].at("deferrals") == 1);
    CHECK(days[0].at("complaints") == 1);
    CHECK(days[0].at("over_threshold") == false);  // exactly 5 % is not over 5 %

    auto const by_domain = api.get("/v1/stats?group_by=domain");
    bool saw_bad = false;
    for (auto const& row : by_domain.at("items").as_array()) {
        if (row.at("domain") == "bad.example") {
            saw_bad = true;
            CHECK(row.at("hard_bounce_rate").as_double() == Approx(0.5));
            CHECK(row.at("over_threshold") == true);
        }
    }
    CHECK(saw_bad);
    api.get("/v1/stats?group_by=color", 400);
    api.get("/v1/stats?from=yesterday", 400);
}

TEST_CASE("explain answers in Japanese and English", "[integration][api]")
{
    running_service svc{with_tokens()};
    api_client api{svc};
    auto const e = api.get("/v1/explain?diagnostic=550%205.1.1%20user%20unknown");
    CHECK(e.at("reason") == "userunknown");
    CHECK(e.at("severity") == "hard");
    CHECK_FALSE(e.at("explanation").at("ja").as_string().empty());
    api.get("/v1/explain", 400);

    // The short form: code, status and text as separate parameters.
    auto const parts = api.get("/v1/explain?code=452&status=4.2.2&text=Mailbox%20full");
    CHECK(parts.at("reason") == "mailboxfull");
    CHECK(parts.at("severity") == "soft");
    CHECK(parts.at("reply").at("code") == 452);
    CHECK(parts.at("reply").at("enhanced") == "4.2.2");
    api.get("/v1/explain?code=999&text=x", 400);

    // The JSON body takes the same names.
    auto const posted = api.post("/v1/explain", R"({"code": 550, "status": "5.1.1", "text": "User unknown", "command": "RCPT"})");
    CHECK(posted.at("reason") == "userunknown");
    CHECK(posted.at("severity") == "hard");
}

TEST_CASE("docs/openapi.yaml lists exactly the routes the router serves", "[integration][api][docs]")
{
    running_service svc{with_tokens()};
    auto const doc = test::read_file(test::source_dir() / "docs" / "openapi.yaml");

    // paths:  "  /v1/x:" then "    get:" / "    post:" lines until the next path.
    std::set<std::pair<std::string, std::string>> documented;
    std::istringstream in(doc);
    std::string line, current;
    bool in_paths = false;
    std::regex const path_re(R"(^  (/[^:]*):\s*$)"), method_re(R"(^    (get|post|put|delete|patch):)");
    while (std::getline(in, line)) {
        if (line.rfind("paths:", 0) == 0) { in_paths = true; continue; }
        if (in_paths && !line.empty() && line[0] != ' ') in_paths = false;
        if (!in_paths) continue;
        std::smatch m;
        if (std::regex_search(line, m, path_re)) current = m[1];
        else if (std::regex_search(line, m, method_re) && !current.empty()) {
            std::string method = m[1];
            for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            documented.insert({method, current});
        }
    }

    std::set<std::pair<std::string, std::string>> served;
    for (auto const& r : svc.service().routes())
        if (r.second.rfind("/dashboard", 0) != 0) served.insert(r);  // the page itself is not API

    for (auto const& r : served) {
        INFO("served but not documented: " << r.first << " " << r.second);
        CHECK(documented.count(r) == 1);
    }
    for (auto const& r : documented) {
        INFO("documented but not served: " << r.first << " " << r.second);
        CHECK(served.count(r) == 1);
    }
}
