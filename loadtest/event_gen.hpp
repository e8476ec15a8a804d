// Deterministic synthetic ESP webhooks for the load tools.
//
// The load generator, the PostgreSQL ceiling and the CPU bench must all work
// on the same events, or their figures cannot be compared. Every request is a
// pure function of (options, request index k), so:
//  - nothing has to be kept in memory to know which event ids a run sent: the
//    verifier regenerates the acknowledged requests from their indexes;
//  - running the same run id again re-sends byte-identical requests, which is
//    how "100 % replays" are produced;
//  - the ceiling loads exactly the rows rebound would store for a run.
//
// Bodies follow what each ESP documents and sends: SendGrid arrays of events
// with custom arguments flattened to the top level, SES notifications inside
// an SNS envelope (sent as text/plain), and Mailgun's JSON webhooks with a
// signature block and event-data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rebound::loadtest {

enum class provider_kind : std::uint8_t { sendgrid, ses, mailgun };

std::string_view to_string(provider_kind p) noexcept;

struct gen_options {
    std::string run_id = "lg";          // prefix of every event id: runs never collide unless meant to
    std::size_t batch = 100;            // events per SendGrid request
    std::uint64_t recipients = 100000;  // size of the address pool events are spread over
    double dup_fraction = 0;            // SendGrid events that repeat an event of a recent request
    double replay_fraction = 0;         // requests that repeat a recent request byte for byte
    // Share of requests per provider; they need not add up to anything.
    unsigned weight_sendgrid = 1, weight_ses = 0, weight_mailgun = 0;
    std::int64_t base_time = 1700000000;  // unix seconds of the first event
};

/// One event a request carries that rebound stores (not opens, clicks):
/// what `events.provider` and `events.provider_event_id` will hold.
struct stored_key {
    provider_kind provider;
    std::string id;
    std::string recipient;
};

struct request_spec {
    provider_kind provider = provider_kind::sendgrid;
    std::string_view target;        // the URL path
    std::string_view content_type;
    std::string body;
    std::size_t events = 0;         // events in the body (stored or not)
    std::size_t stored = 0;         // of which rebound stores
    bool replay = false;            // the body repeats an earlier request
};

class generator {
public:
    explicit generator(gen_options o);

    gen_options const& options() const noexcept { return opts_; }

    /// Request k of the run.
    request_spec make(std::uint64_t k) const;

    /// The stored events request k carries, appended to `out`. Cheaper than
    /// make(): no JSON is built.
    void stored_keys(std::uint64_t k, std::vector<stored_key>& out) const;

private:
    gen_options opts_;
    unsigned weight_total_;

    provider_kind kind_of(std::uint64_t k) const noexcept;
    std::uint64_t resolve_replay(std::uint64_t k) const noexcept;
    bool sendgrid_dup_source(std::uint64_t k, std::size_t i, std::uint64_t& src_k, std::size_t& src_i) const noexcept;

    void sendgrid_body(std::uint64_t k, request_spec& out) const;
    void ses_body(std::uint64_t k, request_spec& out) const;
    void mailgun_body(std::uint64_t k, request_spec& out) const;
};

}  // namespace rebound::loadtest
