// The HTTP/1.1 server: Boost.Beast on Asio, asynchronous, keep-alive.
//
// This header keeps Beast out of its includers; server.cpp is the one
// translation unit that compiles it.
#pragma once

#include "http/router.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rebound::http {

struct server_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;      // 0 picks a free port (tests)
    unsigned threads = 2;
    std::size_t body_limit = 8 * 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::milliseconds read_timeout{15000};
    std::chrono::milliseconds idle_timeout{60000};
    std::size_t max_connections = 4096;
};

class server {
public:
    server(server_options opts, router const& routes);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Binds and starts the I/O threads. Returns the bind error, if any.
    boost::system::error_code start();

    /// The port actually bound (useful with port 0).
    std::uint16_t port() const noexcept;

    /// Calls `on_signal` (once, from an I/O thread) on SIGINT or SIGTERM.
    void on_shutdown_signal(std::function<void()> on_signal);

    /// Graceful: stop accepting, let requests in flight finish within
    /// `deadline`, then close every connection and join the threads.
    void stop(std::chrono::milliseconds deadline);

    std::size_t open_connections() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace rebound::http
