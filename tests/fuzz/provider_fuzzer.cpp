// libFuzzer target for one ESP provider. This harness is compiled once; each
// fuzz_provider_<name> binary links it with provider_name.cpp, which names
// its provider, so every ESP gets its own binary, seed corpus and coverage map
// without compiling the harness ten times.
//
// It runs what the webhook handler runs before the database: prerequisites,
// verify (with no credentials and with every credential configured),
// replay_key, parse,
// then classify_event on each event, and checks what the store relies on
// (fuzz_support.hpp) and that verify never passes without credentials. Input framing: optional "#!Name: value" header lines,
// then the body.
#include "fuzz_support.hpp"

#include "classify/classifier.hpp"
#include "providers/registry.hpp"
#include "verify/verify.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

using namespace rebound;

/// The registry name of the provider under test (provider_name.cpp).
extern "C" char const rebound_fuzz_provider[];

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    static providers::provider const* const p = [] {
        auto const* found = providers::find(rebound_fuzz_provider);
        FUZZ_CHECK(found != nullptr, "rebound_fuzz_provider is not a registered provider");
        return found;
    }();
    static providers::provider_settings const locked = fuzz::locked_settings();

    auto in = fuzz::split_provider_input({reinterpret_cast<char const*>(data), size});
    providers::request_view const req{in.body, in.headers, in.source};

    // The service fetches these before verify(); anything returned must be a
    // URL it could sensibly fetch.
    for (auto const& url : p->prerequisites(req, {})) FUZZ_CHECK(url.starts_with("https://"), "prerequisite is not https");

    providers::provider_settings open;
    open.now_unix = fuzz::fixed_now;
    open.max_events = in.max_events;
    (void)p->verify(req, open);
    if (!p->verify(req, locked) && p->name() != "sendgrid") {
        // With Basic and Bearer credentials configured, every ESP but SendGrid
        // (whose signature replaces them) must have seen one of them: anything
        // else is an authentication bypass.
        auto const auth = in.headers.get("authorization");
        FUZZ_CHECK(verify::bearer_matches(auth, locked.secrets.at("token")) ||
                       verify::basic_auth_matches(auth, locked.secrets.at("basic_auth")),
                   "verify accepted a request without the configured credentials");
    }

    // The replay guard must exist whenever a token-signed request passes, or
    // a captured request could be replayed with another body.
    for (auto const* settings : std::array<providers::provider_settings const*, 2>{&open, &locked}) {
        auto const guard = p->replay_key(req, *settings);
        if (guard) FUZZ_CHECK(!guard->key.empty() && guard->ttl_seconds > 0, "empty replay key or no lifetime");
        if (settings == &locked && p->name() == "mailgun" && !p->verify(req, locked))
            FUZZ_CHECK(guard.has_value(), "a signed Mailgun request passed without a replay key");
    }

    auto parsed = p->parse(req, open);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().category() == providers::provider_category(), "parse failed outside errc");
        return 0;
    }
    FUZZ_CHECK(parsed->events.size() <= open.max_events, "more events than max_events were accepted");
    for (auto& e : parsed->events) {
        classify::classify_event(e);
        FUZZ_CHECK(e.classifier_version == classify::classifier_version, "classify_event left the version unset");
        fuzz::check_event(e, p->name(), in.source);
    }
    for (auto const& r : parsed->rejected) fuzz::check_rejected(r, p->name(), in.source);
    return 0;
}
