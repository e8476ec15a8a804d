// The HTTP server, in the style of Beast's advanced server example: a
// listener accepts onto per-connection strands, and each session runs a
// do_read -> on_read -> handler -> do_write -> on_write loop.
//
// Limits and timeouts live here because they protect the process from its
// network peers: header and body size (431/413), a deadline for receiving a
// whole request (slow senders), an idle limit between keep-alive requests,
// and a cap on open connections (503). Every error a client sees has a JSON
// body. Nothing in here throws through a completion handler.
#include "http/server.hpp"

#include "log/log.hpp"
#include "metrics/metrics.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace rebound::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t max_header_count = 100;

/// Beast reads at most 64 KiB per call, and only as much as the buffer has
/// room for (at least 512 bytes). Room for that much of an announced body
/// lets one call take it all; see do_read_body.
constexpr std::size_t body_read_room = 64 * 1024;

/// While more connections than this are open, one waiting for its next
/// request gives the body's read-ahead room back (see do_read).
constexpr std::size_t connections_keeping_room = 256;

std::string
next_request_id()
{
    static std::atomic<std::uint64_t> counter{0};
    static std::uint64_t const boot = static_cast<std::uint64_t>(
        std::chrono::system_clock::now().time_since_epoch().count());
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-%08llx", static_cast<unsigned long long>(boot & 0xffffffffULL),
                  static_cast<unsigned long long>(++counter));
    return buf;
}

/// Only one place decides which read errors are worth a log line.
void
fail(beast::error_code ec, char const* what)
{
    if (ec == net::error::operation_aborted || ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
        ec == net::error::connection_reset || ec == net::error::eof)
        return;
    log::debug("connection error", {{"where", what}, {"error", ec.message()}});
}

struct http_metrics {
    metrics::histogram& latency(std::string const& route)
    {
        return metrics::global().get_histogram(
            "rebound_http_request_duration_seconds", "Time from a complete request to its response being queued",
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}, {{"route", route}});
    }
    void response(std::string const& route, unsigned status)
    {
        metrics::global()
            .get_counter("rebound_http_responses_total", "HTTP responses by route and status",
                         {{"route", route}, {"status", std::to_string(status)}})
            .inc();
    }
};

}  // namespace

//------------------------------------------------------------------------------

struct server::impl {
    server_options opts;
    router const& routes;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    std::vector<std::thread> threads;
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> in_flight{0};
    std::atomic<bool> draining{false};
    metrics::gauge& connections_gauge =
        metrics::global().get_gauge("rebound_http_connections", "Open HTTP connections");
    metrics::counter& refused_connections = metrics::global().get_counter(
        "rebound_http_connections_refused_total", "Connections refused because max_connections was reached");
    http_metrics hm;

    class session;
    std::mutex sessions_mutex;
    std::set<std::weak_ptr<session>, std::owner_less<std::weak_ptr<session>>> sessions;

    impl(server_options o, router const& r) : opts(std::move(o)), routes(r) {}

    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    void close_idle_sessions();
    void close_all_sessions();
};

//------------------------------------------------------------------------------

class server::impl::session : public std::enable_shared_from_this<session> {
public:
    session(impl& owner, tcp::socket&& socket)
        : owner_(owner), stream_(std::move(socket)), body_deadline_(stream_.get_executor())
    {
    }

    ~session()
    {
        owner_.connections_gauge.set(static_cast<std::int64_t>(--owner_.connections));
    }

    void
    run()
    {
        // Runs on the strand so that nothing races the first read.
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
    }

    /// Closes the connection if it is waiting for a request (shutdown).
    void
    close_if_idle()
    {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->busy_) self->stream_.socket().close();
        });
    }

    void
    close()
    {
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.socket().close(); });
    }

private:
    impl& owner_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
    bool busy_ = false;       // between a complete header and the response written
    bool keep_alive_ = true;
    unsigned requests_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::string route_name_;
    std::string request_id_;
    // The body's deadline is our own timer rather than the stream's: the
    // stream's expiry closes the socket, and a slow sender deserves a 408.
    net::steady_timer body_deadline_;
    bool body_timed_out_ = false;

    void
    do_read()
    {
        // Thousands of idle keep-alive connections must not hold 64 kB of
        // read-ahead room each; a few hundred busy ones keep theirs, since
        // giving it back after every request cost a 64 kB allocation per
        // request and measurably more CPU. A pipelined request's bytes stay.
        if (buffer_.size() == 0 && buffer_.capacity() > 0 && owner_.connections.load() > connections_keeping_room)
            buffer_.shrink_to_fit();
        // A fresh parser per message, as Beast recommends, carrying our limits.
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(owner_.opts.header_limit));
        parser_->body_limit(owner_.opts.body_limit);
        // Waiting for the next request on a kept-alive connection is idle
        // time; the first request must arrive within the read timeout.
        stream_.expires_after(requests_ == 0 ? owner_.opts.read_timeout : owner_.opts.idle_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&session::on_header, shared_from_this()));
    }

    void
    on_header(beast::error_code ec, std::size_t)
    {
        if (ec) return on_read_error(ec);
        busy_ = true;
        ++owner_.in_flight;
        // The body gets the read timeout from here, however long the
        // connection was idle before.
        stream_.expires_never();
        body_timed_out_ = false;
        body_deadline_.expires_after(owner_.opts.read_timeout);
        body_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;  // cancelled: the body arrived in time
            self->body_timed_out_ = true;
            beast::error_code ignored;
            self->stream_.socket().cancel(ignored);
        });
        auto const& req = parser_->get();
        // The byte limit alone would admit thousands of tiny headers, each a
        // lookup for every handler; real ESPs send a few dozen.
        if (std::distance(req.begin(), req.end()) > static_cast<std::ptrdiff_t>(max_header_count))
            return send_error(json_error(431, "too_many_headers",
                                         "a request may carry at most " + std::to_string(max_header_count) + " headers"));
        if (bhttp::token_list{req[bhttp::field::expect]}.exists("100-continue")) {
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
            bhttp::async_write(stream_, *cont,
                               [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                                   if (ec) return self->on_read_error(ec);
                                   self->do_read_body();
                               });
            return;
        }
        do_read_body();
    }

    void
    do_read_body()
    {
        // Left alone, the buffer stays about the size of the headers, and
        // a 48 kB SendGrid batch took some ninety 512-byte recvmsg calls,
        // about one per event.
        if (auto const length = parser_->content_length()) {
            auto const room = static_cast<std::size_t>(std::min<std::uint64_t>(*length, body_read_room));
            if (buffer_.capacity() - buffer_.size() < room) buffer_.reserve(buffer_.size() + room);
        }
        bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void
    on_read_error(beast::error_code ec)
    {
        body_deadline_.cancel();
        if (body_timed_out_ && ec == net::error::operation_aborted)
            return send_error(json_error(408, "request_timeout", "the request body was not received in time"));
        if (ec == bhttp::error::body_limit)
            return send_error(json_error(413, "body_too_large",
                                         "the request body exceeds " + std::to_string(owner_.opts.body_limit) + " bytes"));
        if (ec == bhttp::error::header_limit)
            return send_error(json_error(431, "headers_too_large", "the request headers are too large"));
        if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() && ec != bhttp::error::end_of_stream &&
            ec != bhttp::error::partial_message)
            return send_error(json_error(400, "bad_request", "malformed HTTP request: " + ec.message()));
        fail(ec, "read");
        finish_request_accounting();
        do_close();
    }

    /// Protocol errors end the connection after a JSON answer.
    void
    send_error(response r)
    {
        if (!busy_) {
            busy_ = true;
            ++owner_.in_flight;
        }
        keep_alive_ = false;
        route_name_ = "protocol_error";
        started_ = std::chrono::steady_clock::now();
        write_response(std::move(r), 11);
    }

    void
    on_read(beast::error_code ec, std::size_t)
    {
        if (ec) return on_read_error(ec);
        body_deadline_.cancel();
        ++requests_;
        started_ = std::chrono::steady_clock::now();
        // Handlers may take a while (the database); the read deadline must
        // not cut the response off.
        stream_.expires_never();

        auto msg = parser_->release();
        keep_alive_ = msg.keep_alive() && !owner_.draining;

        request req;
        req.method = std::string(msg.method_string());
        auto const target = std::string_view(msg.target());
        auto const q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
        for (auto const& f : msg) req.headers.add(std::string(f.name_string()), std::string(f.value()));
        req.body = std::move(msg.body());
        auto const given_id = req.headers.get("x-request-id");
        req.request_id = (!given_id.empty() && given_id.size() <= 128) ? std::string(given_id) : next_request_id();
        request_id_ = req.request_id;
        beast::error_code ep_ec;
        auto const ep = stream_.socket().remote_endpoint(ep_ec);
        if (!ep_ec) req.remote = ep.address().to_string();

        auto const m = owner_.routes.find(req.method, req.path);
        if (!m.h) {
            route_name_ = "unmatched";
            return write_response(m.path_known ? json_error(405, "method_not_allowed", "method not allowed on " + req.path)
                                               : json_error(404, "not_found", "no route for " + req.path),
                                  msg.version());
        }
        route_name_ = *m.name;
        log::debug("request", {{"request_id", req.request_id}, {"method", req.method}, {"path", req.path},
                               {"remote", req.remote}, {"bytes", std::to_string(req.body.size())}});

        auto const version = msg.version();
        auto self = shared_from_this();
        // The responder may run on a database thread; hop back to our strand.
        responder respond = [self, version](response r) {
            net::post(self->stream_.get_executor(), [self, version, r = std::move(r)]() mutable {
                self->write_response(std::move(r), version);
            });
        };
        (*m.h)(req, m.params, std::move(respond));
    }

    void
    write_response(response r, unsigned version)
    {
        auto const elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        owner_.hm.latency(route_name_).observe(elapsed);
        owner_.hm.response(route_name_, r.status);
        // A 503 from /readyz is its normal answer while not ready, not a failure.
        if (r.status >= 500 && route_name_ != "readyz")
            log::warn("request failed", {{"request_id", request_id_}, {"route", route_name_},
                                         {"status", std::to_string(r.status)}, {"body", r.body}});

        auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), version);
        res->set(bhttp::field::server, "rebound");
        res->set(bhttp::field::content_type, r.content_type);
        res->set("X-Request-Id", request_id_);
        for (auto const& [k, v] : r.headers) res->set(k, v);
        res->body() = std::move(r.body);
        res->keep_alive(keep_alive_ && !owner_.draining);
        res->prepare_payload();
        response_ = res;
        // A client that will not read its response must not pin us forever.
        stream_.expires_after(owner_.opts.read_timeout);
        bhttp::async_write(stream_, *response_, beast::bind_front_handler(&session::on_write, shared_from_this()));
    }

    void
    on_write(beast::error_code ec, std::size_t)
    {
        bool const keep = response_ && response_->keep_alive();
        response_.reset();
        finish_request_accounting();
        if (ec) {
            fail(ec, "write");
            return do_close();
        }
        if (!keep || owner_.draining) return do_close();
        do_read();
    }

    void
    finish_request_accounting()
    {
        if (busy_) {
            busy_ = false;
            --owner_.in_flight;
        }
    }

    void
    do_close()
    {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.socket().close(ec);
    }
};

//------------------------------------------------------------------------------

void
server::impl::do_accept()
{
    acceptor.async_accept(net::make_strand(ioc), beast::bind_front_handler(&impl::on_accept, this));
}

void
server::impl::on_accept(beast::error_code ec, tcp::socket socket)
{
    if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        fail(ec, "accept");
        return do_accept();
    }
    if (connections.load() >= opts.max_connections) {
        refused_connections.inc();
        // Answer on the raw socket, without a session: cheap and bounded.
        static std::string const refusal =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
            "Connection: close\r\nContent-Length: 80\r\n\r\n"
            "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"connection limit reached\"}}";
        auto sock = std::make_shared<tcp::socket>(std::move(socket));
        net::async_write(*sock, net::buffer(refusal), [sock](beast::error_code, std::size_t) {
            beast::error_code ignored;
            sock->shutdown(tcp::socket::shutdown_both, ignored);
            sock->close(ignored);
        });
        return do_accept();
    }
    connections_gauge.set(static_cast<std::int64_t>(++connections));
    auto s = std::make_shared<session>(*this, std::move(socket));
    {
        std::lock_guard lock{sessions_mutex};
        for (auto it = sessions.begin(); it != sessions.end();)
            it = it->expired() ? sessions.erase(it) : std::next(it);
        sessions.insert(s);
    }
    s->run();
    do_accept();
}

void
server::impl::close_idle_sessions()
{
    std::lock_guard lock{sessions_mutex};
    for (auto const& w : sessions)
        if (auto s = w.lock()) s->close_if_idle();
}

void
server::impl::close_all_sessions()
{
    std::lock_guard lock{sessions_mutex};
    for (auto const& w : sessions)
        if (auto s = w.lock()) s->close();
}

//------------------------------------------------------------------------------

server::server(server_options opts, router const& routes) : impl_(std::make_unique<impl>(std::move(opts), routes)) {}

server::~server()
{
    stop(std::chrono::milliseconds(0));
}

boost::system::error_code
server::start()
{
    auto& m = *impl_;
    beast::error_code ec;
    auto const address = net::ip::make_address(m.opts.host, ec);
    if (ec) return ec;
    tcp::endpoint const endpoint{address, m.opts.port};
    m.acceptor.open(endpoint.protocol(), ec);
    if (ec) return ec;
    m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return ec;
    m.acceptor.bind(endpoint, ec);
    if (ec) return ec;
    m.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return ec;
    m.do_accept();
    for (unsigned i = 0; i < m.opts.threads; ++i) m.threads.emplace_back([&m] { m.ioc.run(); });
    return {};
}

std::uint16_t
server::port() const noexcept
{
    beast::error_code ec;
    auto const ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void
server::on_shutdown_signal(std::function<void()> on_signal)
{
    impl_->signals.async_wait([this, on_signal = std::move(on_signal)](beast::error_code ec, int) {
        if (ec) return;
        // Back to the default disposition: a second signal ends the process
        // at once, which is safe because nothing is acknowledged before it
        // is durable.
        beast::error_code ignored;
        impl_->signals.clear(ignored);
        on_signal();
    });
}

void
server::stop(std::chrono::milliseconds deadline)
{
    auto& m = *impl_;
    if (m.threads.empty()) return;
    m.draining = true;
    net::post(m.ioc, [&m] {
        beast::error_code ec;
        m.acceptor.close(ec);
        m.signals.cancel(ec);
    });
    m.close_idle_sessions();

    // Requests in flight (possibly waiting on the database) get until the
    // deadline to be answered.
    auto const until = std::chrono::steady_clock::now() + deadline;
    while (m.in_flight.load() > 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));

    m.close_all_sessions();
    auto const close_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (m.connections.load() > 0 && std::chrono::steady_clock::now() < close_until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    m.ioc.stop();
    for (auto& t : m.threads)
        if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
    m.threads.clear();
}

std::size_t
server::open_connections() const noexcept
{
    return impl_->connections.load();
}

}  // namespace rebound::http
