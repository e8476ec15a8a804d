// The walk over a batch of events that every batch-posting ESP shares.
//
// Such a provider splits the body into events (refusing the whole request
// when it is not JSON of the right shape or holds more than max_events),
// then turns each event into a stored event, a rejection kept verbatim for
// review, or an ignored engagement event. Only that last step differs per
// ESP, so the walk is here and each provider passes its mapping in. It is a
// template so the mapping is inlined on the per-event path. Most mappings
// start from a table of event names, whose row and lookup are here too.
#pragma once

#include "providers/json_util.hpp"
#include "providers/provider.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rebound::providers {

/// One row of an ESP's table of event names whose type needs no further look.
struct type_rule {
    std::string_view name;
    model::event_type type;
};

/// The type of `name` in `rules`; nullopt for names not there.
inline std::optional<model::event_type>
find_type(std::span<type_rule const> rules, std::string_view name) noexcept
{
    for (auto const& rule : rules)
        if (rule.name == name) return rule.type;
    return std::nullopt;
}

/// The event the mapping filled in is stored. It needs no provider, source
/// or raw_json: map_events fills them in.
struct keep {};

/// The event is kept raw in parse_result::rejected, with this reason.
struct reject {
    char const* why;
};

/// A well-formed event of a type rebound does not store.
struct ignore {};

/// What a mapping makes of one event.
using verdict = std::variant<keep, reject, ignore>;

/// Whether a top-level element that is not an object is refused as
/// "not_an_object" before the mapping sees it (blastengine's wrapper gives
/// a reason of its own).
enum class objects { only, any };

/// Runs `map(raw, element, event, text) -> verdict` over the events in
/// order; `text` is the request's model::text_arena, for the event's
/// shared_text fields.
/// The mapping fills in an event already in place at the end of
/// parse_result::events, which is dropped again unless it is kept: moving
/// each event out of a returned value cost more than filling it in. The
/// slices lie in `doc`, whose buffer the kept events' raw_json share.
template <class Map>
parse_result
map_events(json::document& doc, std::vector<json::event_slice> const& events, std::string_view provider,
           std::string_view source, objects wanted, Map&& map)
{
    parse_result out;
    out.events.reserve(events.size());
    // About what a SendGrid event's id, address, message id and reply take.
    model::text_arena text{events.size() * 192};
    for (auto const& [raw, element] : events) {
        auto& e = out.events.emplace_back();
        verdict const v = (wanted == objects::only && !element.is_object()) ? verdict{reject{"not_an_object"}}
                                                                               : map(raw, element, e, text);
        if (std::holds_alternative<keep>(v)) {
            e.provider = provider;
            e.source = source;
            e.raw_json = doc.share(raw);
            continue;
        }
        out.events.pop_back();
        if (auto const* r = std::get_if<reject>(&v))
            out.rejected.push_back({std::string(provider), std::string(source), r->why, std::string(raw)});
        else
            ++out.ignored;
    }
    return out;
}

/// The common case: the events are the body itself (an array of them, or
/// one object), each of which must be an object.
template <class Map>
boost::system::result<parse_result>
parse_batch(std::string_view provider, request_view const& req, provider_settings const& settings, json::shape allowed,
            Map&& map)
{
    json::document doc;  // the elements live in it: it must outlive map_events
    auto events = json::split_parsed_events(doc, req.body, allowed, settings.max_events);
    if (!events) return events.error();
    return map_events(doc, *events, provider, req.source, objects::only, std::forward<Map>(map));
}

}  // namespace rebound::providers
