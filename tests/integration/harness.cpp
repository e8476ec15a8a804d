// The harness (see harness.hpp). This is the test suite's only Beast TU.
#include "harness.hpp"

#include "log/log.hpp"
#include "store/migrate.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rebound::test {

std::string
sendgrid_event(std::string const& id, std::string const& email, std::string const& kind, long long ts,
               std::string const& user)
{
    std::ostringstream o;
    o << R"({"email":")" << email << R"(","timestamp":)" << ts << R"(,"sg_event_id":")" << id << '"';
    if (!user.empty()) o << R"(,"user_id":")" << user << '"';
    if (kind == "bounce")
        o << R"(,"event":"bounce","type":"bounce","status":"5.1.1","reason":"550 5.1.1 The email account that you tried to reach does not exist.")";
    else if (kind == "blocked")
        o << R"(,"event":"bounce","type":"blocked","status":"5.7.1","reason":"550 5.7.1 Service unavailable; client host [192.0.2.1] blocked using Spamhaus")";
    else if (kind == "deferred")
        o << R"(,"event":"deferred","response":"452 4.2.2 The email account that you tried to reach is over quota.")";
    else if (kind == "delivered")
        o << R"(,"event":"delivered","response":"250 2.0.0 OK")";
    else
        o << R"(,"event":")" << kind << '"';
    return o.str() + "}";
}

std::uint16_t
free_port()
{
    // Bind to port 0, read the port, release it: good enough on loopback.
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

http_result
http_call(std::uint16_t port, std::string const& method, std::string const& target, std::string const& body,
          std::vector<std::pair<std::string, std::string>> const& headers)
{
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});

    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto const& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(stream, buffer, parser);
    auto const& res = parser.get();

    http_result out;
    out.status = res.result_int();
    out.body = res.body();
    for (auto const& f : res) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(f.value());
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return out;
}

std::string
raw_exchange(std::uint16_t port, std::string const& bytes, int read_timeout_ms)
{
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    net::write(stream.socket(), net::buffer(bytes));
    std::string out;
    char buf[4096];
    stream.expires_after(std::chrono::milliseconds(read_timeout_ms));
    for (;;) {
        beast::error_code ec;
        auto const n = stream.read_some(net::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

//------------------------------------------------------------------------------

namespace {

std::string
admin_conninfo()
{
    // The libpq environment names the cluster; "postgres" always exists.
    return "dbname=postgres";
}

}  // namespace

scratch_database::scratch_database()
{
    static std::atomic<int> counter{0};
    name_ = "rebound_it_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    pqxx::connection admin{admin_conninfo()};
    pqxx::nontransaction tx{admin};
    tx.exec0("DROP DATABASE IF EXISTS " + name_);
    tx.exec0("CREATE DATABASE " + name_);
    conninfo_ = "dbname=" + name_;
}

scratch_database::~scratch_database()
{
    try {
        pqxx::connection admin{admin_conninfo()};
        pqxx::nontransaction tx{admin};
        tx.exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (std::exception const& e) {
        WARN("could not drop " << name_ << ": " << e.what());
    }
}

std::string
scratch_database::scalar(std::string const& sql)
{
    auto const r = query(sql);
    if (r.empty() || r[0][0].is_null()) return {};
    return r[0][0].as<std::string>();
}

pqxx::result
scratch_database::query(std::string const& sql)
{
    pqxx::connection c{conninfo_};
    pqxx::work tx{c};
    auto r = tx.exec(sql);
    tx.commit();
    return r;
}

//------------------------------------------------------------------------------

running_service::running_service(config::config overrides) : cfg_(std::move(overrides))
{
    // Expected failures (outages, refused signatures) would drown the test
    // report; REBOUND_TEST_LOG=debug shows everything.
    log::level l = log::level::error;
    if (auto const* env = std::getenv("REBOUND_TEST_LOG")) log::parse_level(env, l);
    log::set_level(l);
    cfg_.database_url = db_.conninfo();
    cfg_.listen_host = "127.0.0.1";
    cfg_.listen_port = 0;
    auto const migrated = store::migrate(cfg_.database_url);
    REQUIRE(migrated.has_value());
    auto created = app::service::create(cfg_);
    REQUIRE(created.has_value());
    service_ = std::move(*created);
    REQUIRE_FALSE(service_->start());
    // Writers connect asynchronously; wait until /readyz says so.
    for (int i = 0; i < 500; ++i) {
        if (http_call(port(), "GET", "/readyz").status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("rebound did not become ready");
}

running_service::~running_service()
{
    stop();
}

void
running_service::stop()
{
    if (service_) service_->stop(std::chrono::seconds(5));
}

//------------------------------------------------------------------------------

bool
can_control_cluster()
{
    return std::getenv("PGVERSION") && std::system("command -v pg_ctlcluster >/dev/null 2>&1") == 0 &&
           std::system(("pg_ctlcluster " + std::string(std::getenv("PGVERSION")) + " regress status >/dev/null 2>&1").c_str()) == 0;
}

bool
control_cluster(std::string const& action)
{
    auto const cmd = "pg_ctlcluster " + std::string(std::getenv("PGVERSION")) + " regress " + action +
                     (action == "stop" ? " -m fast" : "") + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

}  // namespace rebound::test
