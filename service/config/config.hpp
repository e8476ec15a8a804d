// The one typed configuration of rebound.
//
// Every setting has a flag, an environment variable and a default, declared
// once in config.cpp's settings table, which also drives --help and
// docs/configuration.md. Loading validates everything and names the bad key,
// so a mistake stops the process at startup instead of surfacing under load.
// Secrets never come from flags (they would show in `ps`): only from the
// environment or from files named by the environment.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rebound::config {

struct config {
    // HTTP
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    unsigned io_threads = 2;
    std::size_t body_limit = 8 * 1024 * 1024;      // bytes; SendGrid batches reach 768 KB
    std::size_t header_limit = 16 * 1024;          // bytes
    std::chrono::milliseconds read_timeout{15000}; // whole request, against slow senders
    std::chrono::milliseconds idle_timeout{60000}; // between keep-alive requests
    std::size_t max_connections = 4096;

    // Database
    std::string database_url;                      // "" = libpq environment (PGHOST, PGDATABASE, ...)
    unsigned db_writers = 2;                       // writer connections; recipients are sharded over them
    unsigned db_readers = 2;                       // connections for queries and health checks
    std::size_t batch_size = 5000;                 // events per group commit
    std::chrono::milliseconds batch_delay{5};      // how long a batch may wait to fill
    std::size_t queue_limit = 100000;              // events waiting for the database before 503
    unsigned retry_after_seconds = 5;
    bool migrate_on_start = true;

    // Spool (store/spool.hpp): "" turns it off, and an outage means 503.
    std::string spool_dir;
    std::size_t spool_max_bytes = 1ULL << 30;
    std::chrono::milliseconds spool_after{2000};   // queue saturated this long -> spool instead of 503

    // Retention (store/partitions.hpp): raw events live in monthly partitions.
    unsigned retention_months = 13;               // whole months kept before the current one; 0 keeps all
    unsigned partitions_ahead = 3;                // future monthly partitions made in advance
    std::chrono::milliseconds maintenance_interval{3600000};

    // Ingest
    std::string user_ref_field = "user_id";
    std::string sns_cert_dir;  // pre-loaded SNS signing certificates (*.pem), for hosts without internet
    std::size_t max_events_per_request = 10000;

    // Answers
    std::string actions_file;             // "" = built-in recommended actions (classify/actions.cpp)
    std::string send_rules_file;          // "" = built-in send rules (classify/send_rules.cpp)
    double hard_bounce_alert_rate = 0.05; // days and domains above this are flagged

    // Operations
    std::string log_level = "info";

    /// Read-API tokens, stored as SHA-256 hashes, never in clear.
    struct api_token {
        std::string name;
        std::string sha256_hex;
        std::vector<std::string> scopes;  // read, notices, admin
    };
    std::vector<api_token> api_tokens;

    /// Provider credentials: provider -> source ("" = default) -> key -> value.
    std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> secrets;
};

/// Where a command line asks to go.
struct invocation {
    std::string command;  // "serve", "migrate", "explain", "help", "version"
    config cfg;
    std::vector<std::string> texts;  // explain: the diagnostics to explain
    bool jsonl = false;              // explain --jsonl: read JSON lines from stdin
};

/// Parses argv and the environment (`envp`, as given to main). Flags win
/// over environment variables, which win over defaults. The error text names
/// the offending flag or variable and says what was expected.
boost::system::result<invocation, std::string> load(int argc, char const* const* argv, char const* const* envp);

/// The --help text, generated from the settings table.
std::string usage();

/// Markdown table of every setting (used to keep docs/configuration.md true).
std::string settings_markdown();

}  // namespace rebound::config
