// SendGrid webhooks over real HTTP into a real PostgreSQL: rows, dedup,
// concurrency, bad input, and a database outage.
#include "harness.hpp"

#include "../support/fixtures.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <sstream>
#include <thread>

using namespace rebound;
using rebound::test::running_service;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::string
sendgrid_event(std::string const& id, std::string const& email, std::string const& event, long ts,
               std::string const& extra = "")
{
    std::ostringstream o;
    o << R"({"email":")" << email << R"(","timestamp":)" << ts << R"(,"event":")" << event << R"(","sg_event_id":")"
      << id << '"' << extra << "}";
    return o.str();
}

std::string
batch(std::vector<std::string> const& events)
{
    std::string out = "[";
    for (std::size_t i = 0; i < events.size(); ++i) out += (i ? ",\r\n" : "") + events[i];
    return out + "]\r\n";
}

/// The value of an unlabelled counter in a /metrics text; 0 when absent.
std::uint64_t
metric_value(std::string const& text, std::string const& name)
{
    auto const at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("health and readiness", "[integration][http]")
{
    running_service svc;
    auto const h = svc.get("/healthz");
    CHECK(h.status == 200);
    CHECK(h.body == R"({"status":"ok"})");
    auto const r = svc.get("/readyz");
    CHECK(r.status == 200);
    CHECK(r.body.find(R"("status":"ready")") != std::string::npos);
    auto const nf = svc.get("/nope");
    CHECK(nf.status == 404);
    CHECK(nf.body.find(R"("error")") != std::string::npos);
    CHECK(svc.get("/v1/webhooks/sendgrid").status == 405);
}

TEST_CASE("a SendGrid batch lands as normalised rows, once", "[integration][sendgrid]")
{
    running_service svc;
    auto const body = test::read_file(test::own_fixtures() / "sendgrid" / "batch-mixed.json");

    auto const first = svc.post("/v1/webhooks/sendgrid", body);
    REQUIRE(first.status == 200);
    CHECK(first.body == R"({"accepted":7,"duplicates":0,"ignored":2,"rejected":2})");
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "7");
    CHECK(svc.db().scalar("SELECT count(*) FROM rejected_events") == "2");

    auto const row = svc.db().query(
        "SELECT provider, provider_event_id, event_type, recipient, recipient_domain, "
        "       extract(epoch FROM occurred_at)::bigint, smtp_code, enhanced_status, diagnostic, esp_class, "
        "       esp_type, user_ref, raw->>'sg_event_id', severity "
        "FROM events WHERE provider_event_id = 'ev-bnc-1'");
    REQUIRE(row.size() == 1);
    CHECK(row[0][0].as<std::string>() == "sendgrid");
    CHECK(row[0][2].as<std::string>() == "bounce");
    CHECK(row[0][3].as<std::string>() == "carol@example.net");
    CHECK(row[0][4].as<std::string>() == "example.net");
    CHECK(row[0][5].as<long>() == 1700000002);
    CHECK(row[0][6].as<int>() == 550);
    CHECK(row[0][7].as<std::string>() == "5.1.1");
    CHECK(row[0][8].as<std::string>().find("does not exist") != std::string::npos);
    CHECK(row[0][9].as<std::string>() == "Invalid Address");
    CHECK(row[0][10].as<std::string>() == "bounce");
    CHECK(row[0][11].as<std::string>() == "u-3");
    CHECK(row[0][12].as<std::string>() == "ev-bnc-1");
    CHECK(row[0][13].as<std::string>() == "hard");

    CHECK(svc.db().scalar("SELECT string_agg(event_type, ',' ORDER BY occurred_at) FROM events") ==
          "delivered,deferred,bounce,block,drop,complaint,delivered");
    CHECK(svc.db().scalar("SELECT why FROM rejected_events WHERE raw->>'sg_event_id' = 'ev-badts-1'") == "bad_timestamp");
    CHECK(svc.db().scalar("SELECT hard_bounced_at IS NOT NULL FROM recipient_state WHERE recipient = 'carol@example.net'") == "t");

    SECTION("posting the same batch again adds nothing and reports duplicates")
    {
        auto const again = svc.post("/v1/webhooks/sendgrid", body);
        REQUIRE(again.status == 200);
        CHECK(again.body == R"({"accepted":0,"duplicates":7,"ignored":2,"rejected":2})");
        CHECK(svc.db().scalar("SELECT count(*) FROM events") == "7");
    }

    SECTION("outcomes are counted in /metrics")
    {
        auto const m = svc.get("/metrics").body;
        CHECK(m.find(R"(rebound_webhook_events_total{provider="sendgrid",source="",outcome="accepted"})") != std::string::npos);
        CHECK(m.find(R"(outcome="ignored"})") != std::string::npos);
    }
}

TEST_CASE("overlapping batches sent concurrently store each event once", "[integration][sendgrid]")
{
    running_service svc;
    // 8 requests of 200 events; request k overlaps request k+1 by half.
    constexpr int requests = 8, per_request = 200;
    std::vector<std::string> bodies;
    for (int k = 0; k < requests; ++k) {
        std::vector<std::string> events;
        for (int i = 0; i < per_request; ++i) {
            int const n = k * per_request / 2 + i;
            events.push_back(sendgrid_event("ev-" + std::to_string(n), "user" + std::to_string(n % 37) + "@example.com",
                                            n % 3 ? "deferred" : "delivered", 1700000000 + n));
        }
        bodies.push_back(batch(events));
    }
    std::vector<std::future<test::http_result>> futures;
    for (auto const& b : bodies)
        futures.push_back(std::async(std::launch::async, [&svc, &b] { return svc.post("/v1/webhooks/sendgrid", b); }));

    std::size_t accepted = 0, duplicates = 0;
    for (auto& f : futures) {
        auto const r = f.get();
        REQUIRE(r.status == 200);
        auto const a = r.body.find("\"accepted\":");
        auto const d = r.body.find("\"duplicates\":");
        accepted += std::stoul(r.body.substr(a + 11));
        duplicates += std::stoul(r.body.substr(d + 13));
    }
    int const distinct = (requests - 1) * per_request / 2 + per_request;
    CHECK(accepted == static_cast<std::size_t>(distinct));
    CHECK(duplicates == static_cast<std::size_t>(requests * per_request - distinct));
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == std::to_string(distinct));
    CHECK(svc.db().scalar("SELECT count(DISTINCT provider_event_id) FROM events") == std::to_string(distinct));
}

TEST_CASE("writers vacuum their staging tables as staged rows pile up, and go on storing", "[integration][sendgrid]")
{
    // Autovacuum never visits temporary tables: without the writers' own
    // VACUUM every ~4,000 staged rows (store/batch_session.hpp) the deleted rows
    // of each batch would pile up for the session's life.
    running_service svc;
    auto const before = metric_value(svc.get("/metrics").body, "rebound_db_staging_vacuums_total");
    constexpr int requests = 12, per_request = 1000;
    for (int k = 0; k < requests; ++k) {
        std::vector<std::string> events;
        for (int i = 0; i < per_request; ++i) {
            int const n = k * per_request + i;
            events.push_back(sendgrid_event("vac-" + std::to_string(n), "user" + std::to_string(n % 501) + "@example.com",
                                            n % 4 ? "delivered" : "deferred", 1700000000 + n));
        }
        auto const r = svc.post("/v1/webhooks/sendgrid", batch(events));
        REQUIRE(r.status == 200);
    }
    // The recipients split between the writers, each of which staged
    // about 6,000 rows: at least one vacuum each.
    auto const after = metric_value(svc.get("/metrics").body, "rebound_db_staging_vacuums_total");
    CHECK(after - before >= 2);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == std::to_string(requests * per_request));
    CHECK(svc.db().scalar("SELECT count(*) FROM recipient_state") == "501");
    CHECK(svc.db().scalar("SELECT sum(events) FROM daily_totals") == std::to_string(requests * per_request));
}

TEST_CASE("bodies larger and smaller than the read-ahead room arrive whole on one connection", "[integration][http]")
{
    // The session reserves up to 64 kB of room for an announced body before
    // reading it. Pipelined requests leave the next one's bytes in the
    // buffer when that happens; a chunked body announces no length. With
    // many connections open, the room is given back between requests.
    running_service svc;
    auto body_of = [](std::string const& prefix, int events) {
        std::vector<std::string> evs;
        for (int i = 0; i < events; ++i)
            evs.push_back(sendgrid_event(prefix + std::to_string(i), "u" + std::to_string(i) + "@example.com", "delivered",
                                         1700000000 + i, R"(,"pad":")" + std::string(i % 97, 'p') + '"'));
        return batch(evs);
    };
    auto request = [](std::string const& body, std::string const& extra_headers = "") {
        return "POST /v1/webhooks/sendgrid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    auto const large = body_of("large-", 1500);
    auto const small = body_of("small-", 3);
    auto const chunked_body = body_of("chunked-", 700);
    auto const last = body_of("last-", 600);
    REQUIRE(large.size() > 2 * 64 * 1024);
    REQUIRE(last.size() > 64 * 1024);

    std::string chunked = "POST /v1/webhooks/sendgrid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t at = 0; at < chunked_body.size(); at += 30000) {
        auto const piece = chunked_body.substr(at, 30000);
        std::ostringstream size;
        size << std::hex << piece.size();
        chunked += size.str() + "\r\n" + piece + "\r\n";
    }
    chunked += "0\r\n\r\n";

    net::io_context ioc;
    std::vector<tcp::socket> idle;
    bool one_at_a_time = false;  // else pipelined: all four requests in one write
    SECTION("pipelined, with a few connections open") {}
    SECTION("one at a time, with a few connections open") { one_at_a_time = true; }
    SECTION("one at a time, with more connections open than keep their read-ahead room")
    {
        one_at_a_time = true;
        for (int i = 0; i < 280; ++i) {
            idle.emplace_back(ioc);
            idle.back().connect({net::ip::make_address("127.0.0.1"), svc.port()});
        }
        auto open_connections = [&] {
            std::string_view const gauge = "\nrebound_http_connections ";
            auto const m = svc.get("/metrics").body;
            auto const at = m.find(gauge);
            return at == std::string::npos ? 0 : std::stoi(m.substr(at + gauge.size()));
        };
        for (int tries = 0; tries < 100 && open_connections() < 280; ++tries)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        REQUIRE(open_connections() >= 280);
    }

    std::vector<std::string> const requests{request(large), request(small), chunked,
                                            request(last, "Connection: close\r\n")};
    std::string answers;
    if (one_at_a_time) {
        // Each answer is read whole before the next request is written, so
        // the session waits for each next request with an empty buffer.
        tcp::socket s{ioc};
        s.connect({net::ip::make_address("127.0.0.1"), svc.port()});
        for (auto const& r : requests) {
            net::write(s, net::buffer(r));
            std::string got;
            for (;;) {
                char buf[4096];
                got.append(buf, s.read_some(net::buffer(buf)));
                auto const head_end = got.find("\r\n\r\n");
                auto const length_at = got.find("Content-Length: ");
                if (head_end == std::string::npos || length_at == std::string::npos) continue;
                if (got.size() >= head_end + 4 + std::stoul(got.substr(length_at + 16))) break;
            }
            answers += got;
        }
    } else {
        std::string all;
        for (auto const& r : requests) all += r;
        answers = test::raw_exchange(svc.port(), all, 10000);
    }
    std::size_t oks = 0;
    for (auto at = answers.find("HTTP/1.1 200"); at != std::string::npos; at = answers.find("HTTP/1.1 200", at + 1)) ++oks;
    CHECK(oks == 4);
    CHECK(answers.find(R"({"accepted":1500,)") != std::string::npos);
    CHECK(answers.find(R"({"accepted":3,)") != std::string::npos);
    CHECK(answers.find(R"({"accepted":700,)") != std::string::npos);
    CHECK(answers.find(R"({"accepted":600,)") != std::string::npos);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "2803");
    // Each stored event is its own bytes, the padding included.
    CHECK(svc.db().scalar("SELECT count(*) FROM events WHERE length(raw->>'pad') = "
                          "substring(provider_event_id FROM '[0-9]+$')::int % 97") == "2803");
}

TEST_CASE("bad bodies are refused with the right status and store nothing", "[integration][http]")
{
    config::config cfg;
    cfg.body_limit = 64 * 1024;
    running_service svc{cfg};

    auto const not_json = svc.post("/v1/webhooks/sendgrid", "this is not json");
    CHECK(not_json.status == 400);
    CHECK(not_json.body.find(R"("code":"malformed_body")") != std::string::npos);

    auto const not_array = svc.post("/v1/webhooks/sendgrid", R"({"email":"a@b.c"})");
    CHECK(not_array.status == 400);

    auto const truncated = svc.post("/v1/webhooks/sendgrid", R"([{"email":"a@b.c","event":"delivered")");
    CHECK(truncated.status == 400);

    std::string huge = "[" + std::string(70 * 1024, ' ') + "]";
    auto const too_big = svc.post("/v1/webhooks/sendgrid", huge);
    CHECK(too_big.status == 413);
    CHECK(too_big.body.find(R"("code":"body_too_large")") != std::string::npos);

    auto const media = svc.post("/v1/webhooks/sendgrid", "[]", {{"Content-Type", "application/xml"}});
    CHECK(media.status == 415);
    CHECK(media.body.find(R"("error")") != std::string::npos);

    auto const unknown = svc.post("/v1/webhooks/nosuchesp", "[]");
    CHECK(unknown.status == 404);
    CHECK(unknown.body.find(R"("code":"unknown_provider")") != std::string::npos);

    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "0");
    CHECK(svc.db().scalar("SELECT count(*) FROM rejected_events") == "0");
}

TEST_CASE("signature failures get 401 and store nothing", "[integration][verify]")
{
    config::config cfg;
    cfg.secrets["sendgrid"][""]["token"] = "right-token";
    running_service svc{cfg};
    auto const body = batch({sendgrid_event("sig-1", "a@example.com", "delivered", 1700000000)});
    auto const none = svc.post("/v1/webhooks/sendgrid", body);
    CHECK(none.status == 401);
    CHECK(none.body.find(R"("code":"missing_credentials")") != std::string::npos);
    auto const wrong = svc.post("/v1/webhooks/sendgrid", body,
                                {{"Content-Type", "application/json"}, {"Authorization", "Bearer wrong"}});
    CHECK(wrong.status == 401);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "0");
    auto const right = svc.post("/v1/webhooks/sendgrid", body,
                                {{"Content-Type", "application/json"}, {"Authorization", "Bearer right-token"}});
    CHECK(right.status == 200);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "1");
    CHECK(svc.get("/metrics").body.find(R"(outcome="auth_failure"} 2)") != std::string::npos);
}

TEST_CASE("the source segment is stored and selects its own credentials", "[integration][sendgrid]")
{
    config::config cfg;
    cfg.secrets["sendgrid"]["eu"]["token"] = "eu-token";
    running_service svc{cfg};
    auto const body = batch({sendgrid_event("src-1", "a@example.com", "delivered", 1700000000)});
    CHECK(svc.post("/v1/webhooks/sendgrid/eu", body).status == 401);
    CHECK(svc.post("/v1/webhooks/sendgrid/eu", body, {{"Authorization", "Bearer eu-token"}}).status == 200);
    CHECK(svc.db().scalar("SELECT source FROM events") == "eu");
    CHECK(svc.post("/v1/webhooks/sendgrid/Bad!Source", body).status == 404);
}

TEST_CASE("recipient state: streaks survive duplicates and out-of-order delivery", "[integration][state]")
{
    running_service svc;
    auto post = [&](std::vector<std::string> const& events) {
        auto const r = svc.post("/v1/webhooks/sendgrid", batch(events));
        REQUIRE(r.status == 200);
    };
    auto streak = [&] {
        return svc.db().scalar("SELECT soft_streak FROM recipient_state WHERE recipient = 'x@example.com'");
    };
    std::string const x = "x@example.com";

    post({sendgrid_event("d1", x, "delivered", 1000), sendgrid_event("s1", x, "deferred", 1100),
          sendgrid_event("s2", x, "deferred", 1200)});
    CHECK(streak() == "2");

    post({sendgrid_event("s2", x, "deferred", 1200)});  // a retry changes nothing
    CHECK(streak() == "2");

    post({sendgrid_event("s0", x, "deferred", 900)});  // older than the last delivery: not part of the streak
    CHECK(streak() == "2");

    post({sendgrid_event("d0", x, "delivered", 800)});  // a late, older delivery does not reset it
    CHECK(streak() == "2");

    post({sendgrid_event("d2", x, "delivered", 1150)});  // a late delivery inside the streak: recount after it
    CHECK(streak() == "1");
    CHECK(svc.db().scalar("SELECT extract(epoch FROM streak_started_at)::int FROM recipient_state WHERE recipient = 'x@example.com'") == "1200");

    post({sendgrid_event("s3", x, "bounce", 1300, R"(,"type":"blocked","reason":"421 try later")")});
    CHECK(streak() == "2");

    post({sendgrid_event("d3", x, "delivered", 1400)});
    CHECK(streak() == "0");
    CHECK(svc.db().scalar("SELECT extract(epoch FROM last_delivered_at)::int FROM recipient_state WHERE recipient = 'x@example.com'") == "1400");
}

TEST_CASE("with PostgreSQL stopped the endpoint answers 503, and recovers by itself", "[integration][outage]")
{
    if (!test::can_control_cluster()) {
        WARN("SKIP: not running under pg_virtualenv; cannot stop the cluster");
        return;
    }
    running_service svc;
    auto const body = batch({sendgrid_event("out-1", "a@example.com", "delivered", 1700000000)});
    REQUIRE(svc.post("/v1/webhooks/sendgrid", body).status == 200);

    REQUIRE(test::control_cluster("stop"));
    // The first request may discover the outage; every answer must be a 503
    // with Retry-After and a JSON body, never a hang or a 2xx.
    auto const body2 = batch({sendgrid_event("out-2", "b@example.com", "delivered", 1700000001)});
    for (int i = 0; i < 3; ++i) {
        auto const r = svc.post("/v1/webhooks/sendgrid", body2);
        CHECK(r.status == 503);
        CHECK(r.headers.count("retry-after") == 1);
        CHECK(r.body.find(R"("error")") != std::string::npos);
    }
    CHECK(svc.get("/readyz").status == 503);
    CHECK(svc.get("/healthz").status == 200);

    REQUIRE(test::control_cluster("start"));
    bool recovered = false;
    for (int i = 0; i < 100 && !recovered; ++i) {
        recovered = svc.post("/v1/webhooks/sendgrid", body2).status == 200;
        if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(recovered);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "2");
}
