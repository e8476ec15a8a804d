// The HTTP API: registers every route on a router.
//
// Handlers only translate: HTTP in, calls into providers/classify/store,
// HTTP out. They never touch a database connection themselves; store calls
// complete on database threads and the responder hops back to the socket.
#pragma once

#include "config/config.hpp"
#include "http/router.hpp"

#include <atomic>
#include <cstdint>

namespace rebound::store {
class spool;
class ingest_writer;
class read_pool;
class reader;
}  // namespace rebound::store

namespace rebound::http {
class fetcher;
}

namespace rebound::classify {
class action_table;
class send_rules;
}  // namespace rebound::classify

namespace rebound::api {

class document_cache;
class replay_cache;

struct context {
    config::config const& cfg;
    store::ingest_writer& writer;
    store::read_pool& readers;
    store::reader& reader;
    classify::action_table const& actions;
    classify::send_rules const& rules;
    http::fetcher& fetcher;
    document_cache& documents;
    replay_cache& replays;
    store::spool* spool;                          // nullptr when the spool is off
    std::atomic<std::int64_t>& saturated_since_ms; // when the writer queue last became full; 0 = not full
};

void register_routes(http::router& r, context& ctx);

// One registration function per area, each in its own file.
void register_health(http::router& r, context& ctx);
void register_webhooks(http::router& r, context& ctx);
void register_recipients(http::router& r, context& ctx);
void register_lists(http::router& r, context& ctx);
void register_stats(http::router& r, context& ctx);
void register_dashboard(http::router& r, context& ctx);

}  // namespace rebound::api
