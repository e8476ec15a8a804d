// Wiring: builds the pieces from the configuration, runs them, and takes
// them down in order. main.cpp only parses arguments and calls these; the
// integration tests run the same `service` in-process on port 0.
#pragma once

#include "config/config.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rebound::app {

class service {
public:
    /// Loads the configured rule files (the error names the bad key) and
    /// builds the service; nothing runs until start().
    static boost::system::result<std::unique_ptr<service>, std::string> create(config::config cfg);
    ~service();
    service(service const&) = delete;
    service& operator=(service const&) = delete;

    /// Starts the database threads and the HTTP server (does not migrate).
    boost::system::error_code start();
    std::uint16_t port() const noexcept;

    /// (method, path pattern) of every route served.
    std::vector<std::pair<std::string, std::string>> routes() const;

    /// Runs `f` on the first SIGINT/SIGTERM.
    void on_shutdown_signal(std::function<void()> f);

    /// The shutdown sequence: stop accepting, answer requests in flight
    /// within `deadline`, flush the writers, close connections.
    void stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));

private:
    struct impl;
    explicit service(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

/// `rebound serve`: returns the process exit code.
int serve(config::config const& cfg);

/// `rebound migrate`.
int migrate(config::config const& cfg);

/// `rebound reclassify`.
int reclassify(config::config const& cfg);

/// `rebound maintain`: one partition pass (make ahead, drop expired).
int maintain(config::config const& cfg);

/// `rebound explain "<text>"...` and `rebound explain --jsonl`: the explain
/// API's answer on standard output, one JSON line per text or non-blank
/// input line.
/// No database. Exit code 1 when an input line was not a JSON object (its
/// output line is then {"error": ...}, so lines stay aligned), 2 when the
/// action table cannot be read.
int explain(config::config const& cfg, std::vector<std::string> const& texts, bool jsonl);

}  // namespace rebound::app
