// Limits against abuse, with real sockets: each is hit, answered as
// designed, and the service keeps serving other clients.
#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace rebound;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// A connection that stays open while the test holds it.
struct raw_connection {
    net::io_context ioc;
    tcp::socket socket{ioc};
    explicit raw_connection(std::uint16_t port) { socket.connect({net::ip::make_address("127.0.0.1"), port}); }

    void send(std::string const& bytes) { net::write(socket, net::buffer(bytes)); }

    /// Reads until the peer closes or `ms` pass; returns what arrived and
    /// whether the peer closed.
    std::pair<std::string, bool> read_all(int ms)
    {
        std::string out;
        auto const until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        socket.non_blocking(true);
        char buf[4096];
        while (std::chrono::steady_clock::now() < until) {
            boost::system::error_code ec;
            auto const n = socket.read_some(net::buffer(buf), ec);
            if (ec == net::error::would_block) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            out.append(buf, n);
            if (ec) return {out, true};
        }
        return {out, false};
    }
};

bool
serves_others(test::running_service& svc)
{
    return svc.get("/healthz").status == 200;
}

}  // namespace

TEST_CASE("connection limit: the next connection gets a JSON 503 and others keep working", "[integration][limits]")
{
    config::config cfg;
    cfg.max_connections = 3;
    test::running_service svc{cfg};
    // Let the harness's own readiness connections finish closing first, so
    // that exactly a, b and c hold the three slots.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    raw_connection a{svc.port()}, b{svc.port()}, c{svc.port()};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK_FALSE(c.read_all(50).second);  // c was admitted, not refused
    raw_connection d{svc.port()};
    auto const [answer, closed] = d.read_all(2000);
    CHECK(answer.rfind("HTTP/1.1 503", 0) == 0);
    CHECK(answer.find("too_many_connections") != std::string::npos);
    CHECK(closed);
    a.socket.close();
    b.socket.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(serves_others(svc));
    CHECK(svc.get("/metrics").body.find("rebound_http_connections_refused_total 1") != std::string::npos);
}

TEST_CASE("header size and count limits answer 431", "[integration][limits]")
{
    config::config cfg;
    cfg.header_limit = 4096;
    test::running_service svc{cfg};

    auto const big = test::raw_exchange(svc.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
    CHECK(big.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(big.find("headers_too_large") != std::string::npos);

    std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
    auto const counted = test::raw_exchange(svc.port(), many + "\r\n");
    CHECK(counted.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(counted.find("too_many_headers") != std::string::npos);

    auto const garbage = test::raw_exchange(svc.port(), "NOT HTTP AT ALL\r\n\r\n");
    CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(serves_others(svc));
}

TEST_CASE("events per request are limited with a 413", "[integration][limits]")
{
    config::config cfg;
    cfg.max_events_per_request = 10;
    test::running_service svc{cfg};
    std::string body = "[";
    for (int i = 0; i < 11; ++i)
        body += std::string(i ? "," : "") + R"({"email":"a@b.c","timestamp":1,"event":"delivered","sg_event_id":"l)" +
                std::to_string(i) + R"("})";
    auto const r = svc.post("/v1/webhooks/sendgrid", body + "]");
    CHECK(r.status == 413);
    CHECK(r.body.find("too_many_events") != std::string::npos);
    CHECK(svc.db().scalar("SELECT count(*) FROM events") == "0");
}

TEST_CASE("slow senders are cut off by the read timeout; idle keep-alive connections are closed", "[integration][limits]")
{
    config::config cfg;
    cfg.read_timeout = std::chrono::milliseconds(500);
    cfg.idle_timeout = std::chrono::milliseconds(700);
    test::running_service svc{cfg};

    SECTION("slowloris: headers trickle in and never finish")
    {
        raw_connection slow{svc.port()};
        auto const started = std::chrono::steady_clock::now();
        slow.send("POST /v1/webhooks/sendgrid HTTP/1.1\r\n");
        bool closed = false;
        for (int i = 0; i < 20 && !closed; ++i) {
            boost::system::error_code ec;
            net::write(slow.socket, net::buffer(std::string("X-Slow-") + std::to_string(i) + ": 1\r\n"), ec);
            closed = !!ec;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (!closed) closed = slow.read_all(1).second;
        }
        CHECK(closed);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
        CHECK(serves_others(svc));
    }

    SECTION("a body that stops arriving gets a 408")
    {
        raw_connection stalled{svc.port()};
        stalled.send("POST /v1/webhooks/sendgrid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[");
        auto const [answer, closed] = stalled.read_all(3000);
        CHECK(answer.rfind("HTTP/1.1 408", 0) == 0);
        CHECK(closed);
    }

    SECTION("an idle keep-alive connection is closed after the idle timeout")
    {
        raw_connection idle{svc.port()};
        idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        auto const [answer, closed] = idle.read_all(3000);
        CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
        CHECK(closed);
    }
}
