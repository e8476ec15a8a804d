// Loading and validating the configuration (see config.hpp).
#include "config/config.hpp"

#include "providers/registry.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string_view>

namespace rebound::config {

namespace {

using error = std::optional<std::string>;
using setter = std::function<error(config&, std::string_view)>;

struct setting {
    std::string_view name;   // as in docs and error messages
    std::string_view flag;   // --flag
    std::string_view env;    // REBOUND_...
    std::string_view fallback;
    std::string_view help;
    setter apply;
};

std::optional<std::uint64_t>
to_uint(std::string_view s) noexcept
{
    std::uint64_t v = 0;
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

/// "5ms", "2s", "1m", "1h"; a bare number is milliseconds.
std::optional<std::chrono::milliseconds>
to_duration(std::string_view s) noexcept
{
    std::uint64_t mult = 1;
    if (s.ends_with("ms")) s.remove_suffix(2);
    else if (s.ends_with("s")) { s.remove_suffix(1); mult = 1000; }
    else if (s.ends_with("m")) { s.remove_suffix(1); mult = 60000; }
    else if (s.ends_with("h")) { s.remove_suffix(1); mult = 3600000; }
    auto const v = to_uint(s);
    if (!v) return std::nullopt;
    return std::chrono::milliseconds(*v * mult);
}

/// "8MiB", "16KiB", "1GiB", "512"; a bare number is bytes.
std::optional<std::size_t>
to_size(std::string_view s) noexcept
{
    std::uint64_t mult = 1;
    if (s.ends_with("KiB")) { s.remove_suffix(3); mult = 1024; }
    else if (s.ends_with("MiB")) { s.remove_suffix(3); mult = 1024 * 1024; }
    else if (s.ends_with("GiB")) { s.remove_suffix(3); mult = 1024ULL * 1024 * 1024; }
    auto const v = to_uint(s);
    if (!v) return std::nullopt;
    return static_cast<std::size_t>(*v * mult);
}

std::optional<bool>
to_bool(std::string_view s) noexcept
{
    if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
    if (s == "0" || s == "false" || s == "no" || s == "off") return false;
    return std::nullopt;
}

template <class T>
setter
uint_in(T config::*field, std::uint64_t lo, std::uint64_t hi)
{
    return [=](config& c, std::string_view v) -> error {
        auto const n = to_uint(v);
        if (!n || *n < lo || *n > hi)
            return "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
        c.*field = static_cast<T>(*n);
        return std::nullopt;
    };
}

setter
size_in(std::size_t config::*field, std::size_t lo, std::size_t hi)
{
    return [=](config& c, std::string_view v) -> error {
        auto const n = to_size(v);
        if (!n || *n < lo || *n > hi)
            return "must be a size such as 512, 64KiB or 8MiB, from " + std::to_string(lo) + " to " +
                   std::to_string(hi) + " bytes";
        c.*field = *n;
        return std::nullopt;
    };
}

setter
duration_in(std::chrono::milliseconds config::*field, std::chrono::milliseconds lo, std::chrono::milliseconds hi)
{
    return [=](config& c, std::string_view v) -> error {
        auto const d = to_duration(v);
        if (!d || *d < lo || *d > hi)
            return "must be a duration such as 5ms, 2s, 1m or 1h, from " + std::to_string(lo.count()) + "ms to " +
                   std::to_string(hi.count()) + "ms";
        c.*field = *d;
        return std::nullopt;
    };
}

setter
boolean(bool config::*field)
{
    return [=](config& c, std::string_view v) -> error {
        auto const b = to_bool(v);
        if (!b) return "must be true or false";
        c.*field = *b;
        return std::nullopt;
    };
}

std::vector<setting> const&
settings()
{
    using namespace std::chrono_literals;
    static std::vector<setting> const table{
        {"listen", "--listen", "REBOUND_LISTEN", "127.0.0.1:8080", "address and port to serve HTTP on",
         [](config& c, std::string_view v) -> error {
             auto const colon = v.rfind(':');
             if (colon == std::string_view::npos || colon == 0) return "must be host:port, e.g. 127.0.0.1:8080";
             auto const port = to_uint(v.substr(colon + 1));
             if (!port || *port > 65535) return "port must be 0-65535";
             auto host = v.substr(0, colon);
             if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
             c.listen_host = host;
             c.listen_port = static_cast<std::uint16_t>(*port);
             return std::nullopt;
         }},
        {"io_threads", "--io-threads", "REBOUND_IO_THREADS", "2", "threads running the HTTP event loop",
         uint_in(&config::io_threads, 1, 256)},
        {"body_limit", "--body-limit", "REBOUND_BODY_LIMIT", "8MiB", "largest request body accepted (413 beyond)",
         size_in(&config::body_limit, 1024, 1024ULL * 1024 * 1024)},
        {"header_limit", "--header-limit", "REBOUND_HEADER_LIMIT", "16KiB", "largest request header block (431 beyond)",
         size_in(&config::header_limit, 1024, 1024 * 1024)},
        {"read_timeout", "--read-timeout", "REBOUND_READ_TIMEOUT", "15s", "time allowed to receive one whole request",
         duration_in(&config::read_timeout, 100ms, 600000ms)},
        {"idle_timeout", "--idle-timeout", "REBOUND_IDLE_TIMEOUT", "60s", "keep-alive connection idle limit",
         duration_in(&config::idle_timeout, 100ms, 3600000ms)},
        {"max_connections", "--max-connections", "REBOUND_MAX_CONNECTIONS", "4096", "open connections beyond which new ones are refused",
         uint_in(&config::max_connections, 1, 1000000)},
        {"database_url", "--database-url", "REBOUND_DATABASE_URL", "", "libpq URL or key=value string; empty uses PGHOST, PGDATABASE, ...",
         [](config& c, std::string_view v) -> error { c.database_url = v; return std::nullopt; }},
        {"db_writers", "--db-writers", "REBOUND_DB_WRITERS", "2", "database connections that write events (recipients are sharded over them)",
         uint_in(&config::db_writers, 1, 64)},
        {"db_readers", "--db-readers", "REBOUND_DB_READERS", "2", "database connections for queries and health checks",
         uint_in(&config::db_readers, 1, 64)},
        {"batch_size", "--batch-size", "REBOUND_BATCH_SIZE", "5000", "events per group commit",
         uint_in(&config::batch_size, 1, 100000)},
        {"batch_delay", "--batch-delay", "REBOUND_BATCH_DELAY", "5ms",
         "the longest a batch waits to fill before it is written; it stops sooner once every request answered "
         "since the writer's last batch began has been replaced by a new one (docs/architecture.md, section 7)",
         duration_in(&config::batch_delay, 0ms, 10000ms)},
        {"queue_limit", "--queue-limit", "REBOUND_QUEUE_LIMIT", "100000", "events waiting for the database beyond which requests get 503",
         uint_in(&config::queue_limit, 1, 100000000)},
        {"retry_after", "--retry-after", "REBOUND_RETRY_AFTER", "5", "seconds in the Retry-After header of a 503",
         uint_in(&config::retry_after_seconds, 1, 3600)},
        {"migrate_on_start", "--migrate-on-start", "REBOUND_MIGRATE_ON_START", "true", "apply pending migrations when serve starts",
         boolean(&config::migrate_on_start)},
        {"spool_dir", "--spool-dir", "REBOUND_SPOOL_DIR", "", "directory of the durable spool used while PostgreSQL is down; empty turns it off",
         [](config& c, std::string_view v) -> error { c.spool_dir = v; return std::nullopt; }},
        {"spool_max_bytes", "--spool-max-bytes", "REBOUND_SPOOL_MAX_BYTES", "1GiB", "spool size beyond which requests get 503",
         size_in(&config::spool_max_bytes, 1024 * 1024, 1024ULL * 1024 * 1024 * 1024)},
        {"spool_after", "--spool-after", "REBOUND_SPOOL_AFTER", "2s", "how long the database queue may stay full before requests are spooled",
         duration_in(&config::spool_after, 0ms, 600000ms)},
        {"retention_months", "--retention-months", "REBOUND_RETENTION_MONTHS", "13",
         "whole months of raw events kept before the current one (older monthly partitions are dropped; rollups and recipient state stay); 0 keeps everything",
         uint_in(&config::retention_months, 0, 1200)},
        {"partitions_ahead", "--partitions-ahead", "REBOUND_PARTITIONS_AHEAD", "3", "future monthly event partitions made in advance",
         uint_in(&config::partitions_ahead, 1, 120)},
        {"maintenance_interval", "--maintenance-interval", "REBOUND_MAINTENANCE_INTERVAL", "1h",
         "how often partitions are made ahead and expired ones dropped",
         duration_in(&config::maintenance_interval, 1000ms, 86400000ms)},
        {"user_ref_field", "--user-ref-field", "REBOUND_USER_REF_FIELD", "user_id", "custom argument that carries the app's user id",
         [](config& c, std::string_view v) -> error {
             if (v.empty() || v.size() > 128) return "must be a non-empty name of at most 128 characters";
             c.user_ref_field = v;
             return std::nullopt;
         }},
        {"max_events_per_request", "--max-events-per-request", "REBOUND_MAX_EVENTS_PER_REQUEST", "10000",
         "events in one request beyond which it is refused with 413",
         uint_in(&config::max_events_per_request, 1, 1000000)},
        {"sns_cert_dir", "--sns-cert-dir", "REBOUND_SNS_CERT_DIR", "", "directory of pre-loaded Amazon SNS signing certificates (*.pem)",
         [](config& c, std::string_view v) -> error { c.sns_cert_dir = v; return std::nullopt; }},
        {"actions_file", "--actions-file", "REBOUND_ACTIONS_FILE", "", "JSON file overriding the recommended action and explanations per reason",
         [](config& c, std::string_view v) -> error { c.actions_file = v; return std::nullopt; }},
        {"send_rules_file", "--send-rules-file", "REBOUND_SEND_RULES_FILE", "", "JSON file replacing the should_send rule table",
         [](config& c, std::string_view v) -> error { c.send_rules_file = v; return std::nullopt; }},
        {"hard_bounce_alert_rate", "--hard-bounce-alert-rate", "REBOUND_HARD_BOUNCE_ALERT_RATE", "5",
         "hard-bounce rate, in percent, above which stats flag a day or domain",
         [](config& c, std::string_view v) -> error {
             auto const n = to_uint(v);
             if (!n || *n > 100) return "must be a whole percentage from 0 to 100";
             c.hard_bounce_alert_rate = static_cast<double>(*n) / 100.0;
             return std::nullopt;
         }},
        {"log_level", "--log-level", "REBOUND_LOG_LEVEL", "info", "debug, info, warn or error",
         [](config& c, std::string_view v) -> error {
             if (v != "debug" && v != "info" && v != "warn" && v != "error") return "must be debug, info, warn or error";
             c.log_level = v;
             return std::nullopt;
         }},
    };
    return table;
}

std::string
lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

/// REBOUND_API_TOKEN__<NAME>=sha256:<64 hex>:<scope>[,<scope>...]
error
apply_api_token(config& c, std::string_view name, std::string_view value)
{
    config::api_token t;
    t.name = lower(name.substr(std::string_view("REBOUND_API_TOKEN__").size()));
    if (t.name.empty()) return "needs a token name after REBOUND_API_TOKEN__";
    if (!value.starts_with("sha256:")) return "must be sha256:<hex digest>:<scopes>";
    value.remove_prefix(7);
    auto const colon = value.find(':');
    if (colon != 64) return "must hold a 64-character hex SHA-256 digest, then ':' and the scopes";
    t.sha256_hex = lower(value.substr(0, 64));
    if (t.sha256_hex.find_first_not_of("0123456789abcdef") != std::string::npos) return "has a digest that is not hex";
    auto scopes = value.substr(65);
    while (!scopes.empty()) {
        auto const comma = scopes.find(',');
        auto const scope = scopes.substr(0, comma);
        if (scope != "read" && scope != "notices" && scope != "admin")
            return "has unknown scope '" + std::string(scope) + "' (read, notices, admin)";
        t.scopes.emplace_back(scope);
        if (comma == std::string_view::npos) break;
        scopes.remove_prefix(comma + 1);
    }
    if (t.scopes.empty()) return "needs at least one scope";
    c.api_tokens.push_back(std::move(t));
    return std::nullopt;
}

/// REBOUND_SECRET__<PROVIDER>[__<SOURCE>]__<KEY>[_FILE]=value
error
apply_secret(config& c, std::string_view name, std::string_view value)
{
    std::string_view rest = name.substr(std::string_view("REBOUND_SECRET__").size());
    std::vector<std::string_view> parts;
    for (std::size_t pos; (pos = rest.find("__")) != std::string_view::npos;) {
        parts.push_back(rest.substr(0, pos));
        rest.remove_prefix(pos + 2);
    }
    parts.push_back(rest);
    if (parts.size() != 2 && parts.size() != 3)
        return "must be REBOUND_SECRET__<PROVIDER>__<KEY> or REBOUND_SECRET__<PROVIDER>__<SOURCE>__<KEY>";

    auto const provider = lower(parts.front());
    if (!providers::find(provider)) return "names unknown provider '" + provider + "'";
    auto const source = parts.size() == 3 ? lower(parts[1]) : std::string{};
    auto key = lower(parts.back());
    if (key.empty()) return "has an empty key";

    std::string secret(value);
    if (key.size() > 5 && key.ends_with("_file")) {
        key.resize(key.size() - 5);
        std::ifstream in{std::string(value), std::ios::binary};
        if (!in) return "names a file that cannot be read: " + std::string(value);
        std::ostringstream ss;
        ss << in.rdbuf();
        secret = ss.str();
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    }
    c.secrets[provider][source][key] = std::move(secret);
    return std::nullopt;
}

boost::system::result<invocation, std::string>
bad(std::string message)
{
    return {boost::system::in_place_error, std::move(message)};
}

}  // namespace

boost::system::result<invocation, std::string>
load(int argc, char const* const* argv, char const* const* envp)
{
    invocation inv;
    auto& table = settings();

    // Environment first, so flags override it.
    for (auto const* const* e = envp; e && *e; ++e) {
        std::string_view const entry{*e};
        auto const eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        auto const name = entry.substr(0, eq);
        auto const value = entry.substr(eq + 1);
        if (name.starts_with("REBOUND_API_TOKEN__")) {
            if (auto err = apply_api_token(inv.cfg, name, value)) return bad(std::string(name) + " " + *err);
            continue;
        }
        if (name.starts_with("REBOUND_SECRET__")) {
            if (auto err = apply_secret(inv.cfg, name, value)) return bad(std::string(name) + " " + *err);
            continue;
        }
        for (auto const& s : table)
            if (s.env == name)
                if (auto err = s.apply(inv.cfg, value))
                    return bad(std::string(name) + " (" + std::string(s.name) + "): " + *err + ", got '" + std::string(value) + "'");
    }

    for (int i = 1; i < argc; ++i) {
        std::string_view arg{argv[i]};
        if (arg == "-h" || arg == "--help" || arg == "help") {
            inv.command = "help";
            return inv;
        }
        if (arg == "--version" || arg == "version") {
            inv.command = "version";
            return inv;
        }
        // explain's own arguments: the texts, --jsonl, and "--" before a
        // text that starts with dashes.
        if (inv.command == "explain") {
            if (arg == "--jsonl") {
                inv.jsonl = true;
                continue;
            }
            if (arg == "--") {
                for (++i; i < argc; ++i) inv.texts.emplace_back(argv[i]);
                break;
            }
            if (!arg.starts_with("--")) {
                inv.texts.emplace_back(arg);
                continue;
            }
        }
        if (!arg.starts_with("--")) {
            if (!inv.command.empty()) return bad("unexpected argument '" + std::string(arg) + "'");
            if (arg != "serve" && arg != "migrate" && arg != "reclassify" && arg != "maintain" && arg != "explain" &&
                arg != "config-doc")
                return bad("unknown command '" + std::string(arg) + "' (try --help)");
            inv.command = arg;
            continue;
        }
        std::string_view value;
        auto const eq = arg.find('=');
        std::string_view flag = arg.substr(0, eq);
        if (eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return bad(std::string(flag) + " needs a value");
        }
        auto const it = std::find_if(table.begin(), table.end(), [&](setting const& s) { return s.flag == flag; });
        if (it == table.end()) return bad("unknown flag " + std::string(flag) + " (try --help)");
        if (auto err = it->apply(inv.cfg, value))
            return bad(std::string(flag) + " (" + std::string(it->name) + "): " + *err + ", got '" + std::string(value) + "'");
    }
    if (inv.command.empty()) inv.command = "help";
    if (inv.command == "explain" && inv.texts.empty() == !inv.jsonl)
        return bad("explain takes either texts to explain or --jsonl (JSON lines on standard input)");

    // Cross-field checks.
    if (inv.cfg.batch_size > inv.cfg.queue_limit)
        return bad("REBOUND_QUEUE_LIMIT (queue_limit) must be at least batch_size (" + std::to_string(inv.cfg.batch_size) + ")");
    return inv;
}

std::string
usage()
{
    std::ostringstream out;
    out << "rebound: ESP delivery-failure webhooks into answers.\n\n"
           "Usage: rebound <command> [flags]\n\n"
           "Commands:\n"
           "  serve        run the HTTP service (migrates first unless --migrate-on-start=false)\n"
           "  migrate      apply pending schema migrations and exit\n"
           "  reclassify   re-run the current classifier over stored events and exit\n"
           "  maintain     make monthly event partitions ahead, drop expired ones, and exit\n"
           "  explain      what a bounce diagnostic means, as the explain API says it:\n"
           "                 rebound explain \"550 5.1.1 <a@example.org>: User unknown\"\n"
           "                 rebound explain --jsonl < diagnostics.jsonl   (one result line per input line)\n"
           "  config-doc   print the settings table as Markdown (docs/configuration.md)\n"
           "  --help       this text\n"
           "  --version    print the version\n\n"
           "Flags (each also read from the environment variable shown; flags win):\n";
    for (auto const& s : settings()) {
        out << "  " << s.flag;
        for (std::size_t n = s.flag.size(); n < 26; ++n) out << ' ';
        out << s.help << "\n";
        out << "  " << std::string(26, ' ') << "env " << s.env << ", default '" << s.fallback << "'\n";
    }
    out << "\nSecrets (environment only; append _FILE to read the value from a file):\n"
           "  REBOUND_SECRET__<PROVIDER>__<KEY>             e.g. REBOUND_SECRET__SENDGRID__PUBLIC_KEY\n"
           "  REBOUND_SECRET__<PROVIDER>__<SOURCE>__<KEY>   per account, for /v1/webhooks/<provider>/<source>\n"
           "  REBOUND_API_TOKEN__<NAME>=sha256:<hex>:<scopes>  a read-API token by its SHA-256 (scopes: read, notices, admin)\n";
    return out.str();
}

std::string
settings_markdown()
{
    std::ostringstream out;
    out << "| setting | flag | environment | default | meaning |\n|---|---|---|---|---|\n";
    for (auto const& s : settings())
        out << "| " << s.name << " | `" << s.flag << "` | `" << s.env << "` | "
            << (s.fallback.empty() ? std::string("(empty)") : std::string("`").append(s.fallback).append("`")) << " | " << s.help << " |\n";
    return out.str();
}

}  // namespace rebound::config
