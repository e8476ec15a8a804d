// libFuzzer target for the SMTP reply parser (classify/smtp_reply.hpp).
//
// The whole input is one diagnostic, as an ESP would forward it. Both entry
// points run: the text alone, and the structured form with a code and status
// carved from the input's tail. The header promises any bytes are fine and
// describes the result; those promises are checked here.
#include "fuzz_support.hpp"

#include "classify/smtp_reply.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

using namespace rebound;

namespace {

void
check_reply(classify::smtp_reply const& r)
{
    FUZZ_CHECK(!r.code || classify::is_reply_code(*r.code), "code outside 200..599");
    FUZZ_CHECK(r.enhanced.empty() || classify::is_enhanced_status(r.enhanced), "enhanced is not an RFC 3463 status");
    bool const disagree = r.code && !r.enhanced.empty() && r.enhanced[0] - '0' != *r.code / 100;
    FUZZ_CHECK(r.classes_disagree == disagree, "classes_disagree does not match code and status");
    // "whitespace collapsed": no control characters, no leading or trailing blank.
    for (char c : r.text)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "control character left in text");
    FUZZ_CHECK(r.text.empty() || (r.text.front() != ' ' && r.text.back() != ' '), "text is not trimmed");
}

}  // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const raw(reinterpret_cast<char const*>(data), size);
    auto const whole = classify::parse_smtp_reply(raw);
    check_reply(whole);
    // The result must not depend on bytes past the input: parse a copy that
    // lives in its own exactly-sized allocation, so ASan sees any overread.
    std::string const copy(raw);
    auto const again = classify::parse_smtp_reply(std::string_view(copy));
    FUZZ_CHECK(again.code == whole.code && again.enhanced == whole.enhanced && again.text == whole.text,
               "parse is not deterministic");

    FuzzedDataProvider fdp(data, size);
    std::optional<int> code;
    if (fdp.ConsumeBool()) code = fdp.ConsumeIntegralInRange<int>(-1, 1000);
    auto const enhanced = fdp.ConsumeRandomLengthString(16);
    auto const text = fdp.ConsumeRemainingBytesAsString();
    auto const fields = classify::parse_smtp_reply(classify::smtp_reply_fields{code, enhanced, text});
    check_reply(fields);
    if (code && classify::is_reply_code(*code)) FUZZ_CHECK(fields.code == code, "a valid code field was not kept");
    return 0;
}
