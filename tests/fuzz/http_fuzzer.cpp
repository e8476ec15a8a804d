// libFuzzer target for the HTTP request path up to the database: the input
// is the byte stream a client sends on one connection.
//
// What is real and what is mirrored, and why: the webhook handler needs an
// api::context (an ingest_writer, reader pools and more, all backed by
// PostgreSQL, and growing as the API grows), so driving the real handler
// would tie this target to a database and to every change of that context.
// Instead it runs the real pieces in the order the service does and mirrors
// only the handler's glue:
//   - real: Beast's request_parser with the limits server.cpp sets (a fresh
//     parser per message, header_limit and body_limit from config defaults),
//     read with Beast's own read_header/read over a stream that hands out the
//     input in uneven chunks; keep-alive and pipelining as the session loop;
//   - real: http::request built as server.cpp's on_read does, http::router
//     with the service's route patterns, http::json_error;
//   - real: the handler's source validation, media-type gate and error
//     mapping (providers/request_rules.hpp, which webhooks.cpp calls too);
//   - mirrored from api/webhooks.cpp: the per-source secrets and the replay
//     cache, around the real providers::find, prerequisites, verify,
//     replay_key, parse and classify::classify_event, i.e. everything
//     before ingest_writer::submit.
// When webhooks.cpp changes the mirrored steps, change them below with it.
#include "fuzz_support.hpp"

#include "classify/classifier.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "providers/registry.hpp"
#include "providers/request_rules.hpp"
#include "verify/verify.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

using namespace rebound;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

namespace {

/// A SyncReadStream over the input. Reads return uneven chunk sizes so that
/// the parser has to resume in the middle of lines and of the body, as it
/// does with real sockets.
class byte_stream {
public:
    explicit byte_stream(std::string_view bytes) : rest_(bytes) {}

    template <class MutableBufferSequence>
    std::size_t read_some(MutableBufferSequence const& buffers, beast::error_code& ec)
    {
        ec = {};
        if (rest_.empty()) {
            ec = net::error::eof;
            return 0;
        }
        static constexpr std::size_t chunks[] = {17, 1, 300, 4096};
        auto const want = std::min(rest_.size(), chunks[reads_++ % std::size(chunks)]);
        auto const n = net::buffer_copy(buffers, net::buffer(rest_.data(), want));
        rest_.remove_prefix(n);
        return n;
    }

    template <class MutableBufferSequence>
    std::size_t read_some(MutableBufferSequence const& buffers)
    {
        beast::error_code ec;
        auto const n = read_some(buffers, ec);
        if (ec) throw beast::system_error{ec};
        return n;
    }

private:
    std::string_view rest_;
    std::size_t reads_ = 0;
};

// --- the handler's glue ------------------------------------------------------

/// The answer to a provider error, made by the same rules as the service's.
http::response
provider_error(boost::system::error_code ec, bool basic_auth_configured)
{
    return providers::to_response(providers::refusal_for(ec, basic_auth_configured), http::json_error);
}

/// Replay keys remembered on the current connection (cleared for every input,
/// so that runs stay independent).
std::set<std::string> seen_replays;

/// handle_webhook up to ingest_writer::submit. Sources named "locked" have
/// every credential configured (as config secrets would give them); all
/// others run without, which is the service's default.
void
webhook(config::config const& cfg, http::request& req, http::path_params const& params, http::responder respond)
{
    auto admitted = providers::admit(params, req.headers.get("content-type"));
    if (admitted.refused) return respond(providers::to_response(std::move(*admitted.refused), http::json_error));
    auto const* provider = admitted.target;
    auto const& source = admitted.source;

    // `locked` stands for a source with secrets in config; its settings also
    // hold the test SNS certificate, as the document cache would.
    bool const locked = source == "locked";
    auto settings = locked ? fuzz::locked_settings() : providers::provider_settings{};
    settings.user_ref_field = cfg.user_ref_field;
    settings.max_events = cfg.max_events_per_request;
    settings.now_unix = fuzz::fixed_now;

    providers::request_view const view{req.body, req.headers, source};
    for (auto const& url : provider->prerequisites(view, settings))
        if (!settings.fetched.contains(url)) (void)verify::is_sns_certificate_url(url);  // would be fetched
    if (auto const ec = provider->verify(view, settings)) return respond(provider_error(ec, locked));
    auto const replay = provider->replay_key(view, settings);
    if (replay && seen_replays.contains(replay->key)) return respond(provider_error(providers::errc::replayed, locked));
    auto parsed = provider->parse(view, settings);
    if (!parsed) return respond(provider_error(parsed.error(), locked));
    // The service remembers the key once the request succeeded.
    if (replay) seen_replays.insert(replay->key);
    FUZZ_CHECK(parsed->events.size() <= settings.max_events, "more events than max_events were accepted");
    for (auto& e : parsed->events) {
        classify::classify_event(e);
        fuzz::check_event(e, provider->name(), source);
    }
    for (auto const& r : parsed->rejected) fuzz::check_rejected(r, provider->name(), source);
    // Here the service submits to the database; 202 stands for "reached it".
    respond(http::json_ok("{}", 202));
}

// --- the session loop of server.cpp, synchronously ----------------------------

/// What on_read_error answers, or nullopt when the connection just closes.
std::optional<http::response>
read_error_response(beast::error_code ec)
{
    if (ec == bhttp::error::body_limit) return http::json_error(413, "body_too_large", "body too large");
    if (ec == bhttp::error::header_limit) return http::json_error(431, "headers_too_large", "headers too large");
    if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        return http::json_error(400, "bad_request", "malformed HTTP request: " + ec.message());
    return std::nullopt;
}

void
check_response(http::response const& r)
{
    FUZZ_CHECK(r.status >= 200 && r.status <= 599, "status outside 200..599");
    if (r.content_type != "application/json") return;
    // Error texts echo the request path and provider name byte for byte, so
    // invalid UTF-8 from the request can reach the body (a known issue);
    // anything else that breaks the JSON is a bug.
    boost::json::parse_options opts;
    opts.allow_invalid_utf8 = true;
    boost::system::error_code ec;
    (void)boost::json::parse(r.body, ec, {}, opts);
    FUZZ_CHECK(!ec, "a JSON response body does not parse");
}

http::router const&
routes(config::config const& cfg)
{
    // The service's route patterns (api/*.cpp). Only the webhook handler is
    // exercised; the others answer without a database.
    static http::router const r = [&cfg] {
        http::router out;
        auto ok = [](http::request&, http::path_params const&, http::responder respond) {
            respond(http::json_ok(R"({"status":"ok"})"));
        };
        out.add("GET", "/healthz", "healthz", ok);
        out.add("GET", "/readyz", "readyz", ok);
        out.add("GET", "/metrics", "metrics", ok);
        auto h = [&cfg](http::request& req, http::path_params const& p, http::responder respond) {
            webhook(cfg, req, p, std::move(respond));
        };
        out.add("POST", "/v1/webhooks/{provider}", "webhook", h);
        out.add("POST", "/v1/webhooks/{provider}/{source}", "webhook", h);
        return out;
    }();
    return r;
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    static config::config const cfg;
    auto const& router = routes(cfg);

    seen_replays.clear();
    byte_stream stream({reinterpret_cast<char const*>(data), size});
    beast::flat_buffer buffer;  // kept across messages, as the session's is

    // A connection carries requests until one is not keep-alive; a few are
    // enough to cover pipelining without letting one input run long.
    for (int message = 0; message < 8; ++message) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(cfg.header_limit));
        parser.body_limit(cfg.body_limit);

        beast::error_code ec;
        bhttp::read_header(stream, buffer, parser, ec);
        if (!ec) bhttp::read(stream, buffer, parser, ec);
        if (ec) {
            if (auto const r = read_error_response(ec)) check_response(*r);
            return 0;
        }

        auto msg = parser.release();
        http::request req;
        req.method = std::string(msg.method_string());
        auto const target = std::string_view(msg.target());
        auto const q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
        for (auto const& f : msg) req.headers.add(std::string(f.name_string()), std::string(f.value()));
        req.body = std::move(msg.body());
        req.request_id = "fuzz";

        auto const m = router.find(req.method, req.path);
        if (!m.h) {
            check_response(m.path_known ? http::json_error(405, "method_not_allowed", "method not allowed on " + req.path)
                                        : http::json_error(404, "not_found", "no route for " + req.path));
        } else {
            int responses = 0;
            (*m.h)(req, m.params, [&](http::response r) {
                ++responses;
                check_response(r);
            });
            // Every handler answers exactly once, or the client hangs.
            FUZZ_CHECK(responses == 1, "handler did not respond exactly once");
        }
        if (!msg.keep_alive()) return 0;
    }
    return 0;
}
