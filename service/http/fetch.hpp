// A small HTTPS client for the few documents rebound must fetch itself:
// Amazon SNS signing certificates and subscription confirmations.
//
// It runs on its own thread and io_context so that a slow remote host can
// never hold up request handling, refuses anything but https, verifies the
// peer certificate and host name against the system trust store, and bounds
// time and size. Callers decide which URLs are allowed before calling.
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace rebound::http {

class fetcher {
public:
    using callback = std::function<void(boost::system::error_code, unsigned status, std::string body)>;

    fetcher();
    ~fetcher();
    fetcher(fetcher const&) = delete;
    fetcher& operator=(fetcher const&) = delete;

    /// GET `url` (https only). `done` runs once, on the fetcher's thread.
    void get(std::string const& url, callback done, std::chrono::milliseconds timeout = std::chrono::seconds(5),
             std::size_t max_bytes = 64 * 1024);

    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace rebound::http
