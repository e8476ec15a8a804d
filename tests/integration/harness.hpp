// Integration-test harness: a fresh database per test, a real rebound on
// 127.0.0.1 (port 0), a small blocking HTTP client, and helpers to look at
// the rows that landed.
//
// PostgreSQL comes from the environment (PGHOST, PGPORT, ...), which
// `make test` sets up with pg_virtualenv. Nothing here is mocked.
#pragma once

#include "app/app.hpp"
#include "config/config.hpp"

#include <pqxx/pqxx>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rebound::test {

struct http_result {
    unsigned status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-cased names
};

/// One request on a new connection to 127.0.0.1:port.
http_result http_call(std::uint16_t port, std::string const& method, std::string const& target,
                      std::string const& body = {},
                      std::vector<std::pair<std::string, std::string>> const& headers = {{"Content-Type", "application/json"}});

/// One SendGrid event as the ESP posts it. `kind`: delivered, deferred
/// (452 4.2.2 mailbox full), bounce (550 5.1.1 user unknown), blocked, or any
/// other SendGrid event name (dropped, spamreport, open, ...). `user` goes in
/// the user_id custom argument when given.
std::string sendgrid_event(std::string const& id, std::string const& email, std::string const& kind, long long ts,
                           std::string const& user = "");

/// A loopback port free right now, for a child rebound process to listen on.
std::uint16_t free_port();

/// Raw bytes in, raw response text out (for protocol-level tests).
std::string raw_exchange(std::uint16_t port, std::string const& bytes, int read_timeout_ms = 2000);

/// A database created for one test and dropped afterwards.
class scratch_database {
public:
    scratch_database();
    ~scratch_database();
    std::string const& conninfo() const { return conninfo_; }
    /// Runs a query and returns the first column of the first row as text.
    std::string scalar(std::string const& sql);
    pqxx::result query(std::string const& sql);

private:
    std::string name_;
    std::string conninfo_;
};

/// A migrated scratch database plus a running rebound serving it.
class running_service {
public:
    explicit running_service(config::config overrides = {});
    ~running_service();
    std::uint16_t port() const { return service_->port(); }
    app::service& service() { return *service_; }
    scratch_database& db() { return db_; }
    config::config const& cfg() const { return cfg_; }
    void stop();

    http_result post(std::string const& path, std::string const& body,
                     std::vector<std::pair<std::string, std::string>> const& headers = {{"Content-Type", "application/json"}})
    {
        return http_call(port(), "POST", path, body, headers);
    }
    http_result get(std::string const& target) { return http_call(port(), "GET", target); }

private:
    scratch_database db_;
    config::config cfg_;
    std::unique_ptr<app::service> service_;
};

/// Whether this run may stop and start the PostgreSQL cluster (pg_virtualenv).
bool can_control_cluster();
/// `pg_ctlcluster <version> regress stop|start` for the pg_virtualenv cluster.
bool control_cluster(std::string const& action);

}  // namespace rebound::test
