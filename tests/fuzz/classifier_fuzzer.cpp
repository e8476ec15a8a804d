// libFuzzer target for the bounce classifier (classify/classifier.hpp).
//
// Every field of classify_input is carved from the input with
// FuzzedDataProvider: the short fields first (event type, provider, ESP class
// and type, code, status, host, command), the diagnostic last so that it gets
// whatever is left. Providers are mostly picked from the registry so the ESP
// hint tables are reached, sometimes made up. The checks are the contract
// of classification and classify_event.
#include "fuzz_support.hpp"

#include "classify/classifier.hpp"
#include "providers/registry.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

using namespace rebound;

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider fdp(data, size);

    classify::classify_input in;
    if (auto const t = fdp.ConsumeIntegralInRange<int>(0, 6); t < 6) in.type = static_cast<model::event_type>(t);

    auto const all = providers::all();
    std::string provider_text;
    if (auto const pick = fdp.ConsumeIntegralInRange<std::size_t>(0, all.size()); pick < all.size())
        provider_text = std::string(all[pick]->name());
    else
        provider_text = fdp.ConsumeRandomLengthString(40);
    in.provider = provider_text;

    auto const esp_class = fdp.ConsumeRandomLengthString(64);
    auto const esp_type = fdp.ConsumeRandomLengthString(64);
    in.esp_class = esp_class;
    in.esp_type = esp_type;
    if (fdp.ConsumeBool()) in.smtp_code = fdp.ConsumeIntegralInRange<int>(-1, 1000);
    auto const enhanced = fdp.ConsumeRandomLengthString(16);
    auto const remote_host = fdp.ConsumeRandomLengthString(64);
    auto const command = fdp.ConsumeRandomLengthString(8);
    in.enhanced_status = enhanced;
    in.remote_host = remote_host;
    in.smtp_command = command;
    auto const diagnostic = fdp.ConsumeRemainingBytesAsString();
    in.diagnostic = diagnostic;

    auto const c = classify::classify(in);
    FUZZ_CHECK(c.confidence >= 0.0 && c.confidence <= 1.0, "confidence outside 0..1");
    FUZZ_CHECK(!c.matched.empty(), "no rule named as the decider");
    // Only `none` (delivered, nothing to say) is stored as "".
    FUZZ_CHECK(classify::to_string(c.reason).empty() == (c.reason == classify::bounce_reason::none),
               "reason without a name");
    FUZZ_CHECK(!c.reply.code || classify::is_reply_code(*c.reply.code), "reply code outside 200..599");
    FUZZ_CHECK(c.reply.enhanced.empty() || classify::is_enhanced_status(c.reply.enhanced), "reply status malformed");
    if (in.type == model::event_type::delivered || in.type == model::event_type::complaint ||
        in.type == model::event_type::drop)
        FUZZ_CHECK(c.sev == model::severity::none, "a delivery, complaint or drop was given a severity");
    if (in.type == model::event_type::deferred || in.type == model::event_type::block)
        FUZZ_CHECK(c.sev != model::severity::hard, "a deferral or block was called a hard bounce");
    // `matched` is built from the rule tables and validated statuses only.
    FUZZ_CHECK(fuzz::valid_utf8(c.matched), "matched is not UTF-8");

    // classify_event as the webhook handler calls it, on an event that has
    // the same fields.
    model::normalized_event e;
    e.type = in.type.value_or(model::event_type::bounce);
    e.provider = provider_text;
    e.esp_class = esp_class;
    e.esp_type = esp_type;
    e.smtp_code = in.smtp_code;
    e.enhanced_status = enhanced;
    e.diagnostic = diagnostic;
    e.remote_mta = remote_host;
    classify::classify_event(e);
    // Delivered events carry no reason; every other event gets one, if only
    // "onhold".
    FUZZ_CHECK(e.reason.empty() == (e.type == model::event_type::delivered),
               "reason set for a delivery, or missing for a failure");
    FUZZ_CHECK(e.classifier_version == classify::classifier_version, "classify_event left the version unset");
    if (!in.smtp_code) FUZZ_CHECK(e.smtp_code == c.reply.code, "smtp_code not filled from the text");
    return 0;
}
