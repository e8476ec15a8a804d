// HTTPS GET with Beast and OpenSSL (see fetch.hpp).
#include "http/fetch.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <thread>

namespace rebound::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

/// One request from resolve to read; owns its stream and deadline.
class exchange : public std::enable_shared_from_this<exchange> {
public:
    exchange(net::io_context& ioc, ssl::context& tls, std::string host, std::string port, std::string target,
             std::chrono::milliseconds timeout, std::size_t max_bytes, fetcher::callback done)
        : resolver_(ioc.get_executor()), stream_(ioc.get_executor(), tls), host_(std::move(host)),
          port_(std::move(port)), target_(std::move(target)), timeout_(timeout), done_(std::move(done))
    {
        parser_.body_limit(max_bytes);
    }

    void
    run()
    {
        // SNI and host-name verification: without them any valid certificate
        // for any host would be accepted.
        if (!SSL_set_tlsext_host_name(stream_.native_handle(), host_.c_str()))
            return finish(beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()));
        stream_.set_verify_mode(ssl::verify_peer);
        stream_.set_verify_callback(ssl::host_name_verification(host_));
        beast::get_lowest_layer(stream_).expires_after(timeout_);
        resolver_.async_resolve(host_, port_, beast::bind_front_handler(&exchange::on_resolve, shared_from_this()));
    }

private:
    tcp::resolver resolver_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    std::string host_, port_, target_;
    std::chrono::milliseconds timeout_;
    fetcher::callback done_;
    beast::flat_buffer buffer_;
    bhttp::request<bhttp::empty_body> req_;
    bhttp::response_parser<bhttp::string_body> parser_;

    void
    on_resolve(beast::error_code ec, tcp::resolver::results_type results)
    {
        if (ec) return finish(ec);
        beast::get_lowest_layer(stream_).async_connect(results, beast::bind_front_handler(&exchange::on_connect, shared_from_this()));
    }

    void
    on_connect(beast::error_code ec, tcp::resolver::results_type::endpoint_type)
    {
        if (ec) return finish(ec);
        stream_.async_handshake(ssl::stream_base::client, beast::bind_front_handler(&exchange::on_handshake, shared_from_this()));
    }

    void
    on_handshake(beast::error_code ec)
    {
        if (ec) return finish(ec);
        req_ = {bhttp::verb::get, target_, 11};
        req_.set(bhttp::field::host, host_);
        req_.set(bhttp::field::user_agent, "rebound");
        bhttp::async_write(stream_, req_, beast::bind_front_handler(&exchange::on_write, shared_from_this()));
    }

    void
    on_write(beast::error_code ec, std::size_t)
    {
        if (ec) return finish(ec);
        bhttp::async_read(stream_, buffer_, parser_, beast::bind_front_handler(&exchange::on_read, shared_from_this()));
    }

    void
    on_read(beast::error_code ec, std::size_t)
    {
        if (ec) return finish(ec);
        auto& res = parser_.get();
        done_({}, res.result_int(), std::move(res.body()));
        done_ = nullptr;
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    }

    void
    finish(beast::error_code ec)
    {
        if (done_) done_(ec, 0, {});
        done_ = nullptr;
    }
};

}  // namespace

struct fetcher::impl {
    net::io_context ioc;
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    ssl::context tls{ssl::context::tls_client};
    std::thread thread;

    impl()
    {
        tls.set_default_verify_paths();
        tls.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        thread = std::thread([this] { ioc.run(); });
    }
};

fetcher::fetcher() : impl_(std::make_unique<impl>()) {}

fetcher::~fetcher()
{
    stop();
}

void
fetcher::get(std::string const& url, callback done, std::chrono::milliseconds timeout, std::size_t max_bytes)
{
    auto const parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "https" || parsed->host().empty() || parsed->has_userinfo()) {
        net::post(impl_->ioc, [done = std::move(done)] {
            done(make_error_code(boost::system::errc::invalid_argument), 0, {});
        });
        return;
    }
    std::string target(parsed->encoded_path());
    if (target.empty()) target = "/";
    if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());
    std::string const port = parsed->has_port() ? std::string(parsed->port()) : "443";
    auto ex = std::make_shared<exchange>(impl_->ioc, impl_->tls, std::string(parsed->encoded_host()), port, target, timeout,
                                         max_bytes, std::move(done));
    net::post(impl_->ioc, [ex] { ex->run(); });
}

void
fetcher::stop()
{
    if (!impl_ || !impl_->thread.joinable()) return;
    impl_->work.reset();
    impl_->ioc.stop();
    impl_->thread.join();
}

}  // namespace rebound::http
