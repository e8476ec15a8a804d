// UTF-8 repair for echoed client text.
#include "model/text.hpp"

#include <catch2/catch.hpp>

using rebound::model::to_valid_utf8;

TEST_CASE("valid UTF-8 passes through; anything else becomes U+FFFD", "[model]")
{
    CHECK(to_valid_utf8("plain ascii") == "plain ascii");
    CHECK(to_valid_utf8("宛先 ✓") == "宛先 ✓");
    CHECK(to_valid_utf8("/v1/webhooks/\xff") == "/v1/webhooks/\xEF\xBF\xBD");
    CHECK(to_valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");          // overlong
    CHECK(to_valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(to_valid_utf8("\xE5\xAE") == "\xEF\xBF\xBD\xEF\xBF\xBD");          // truncated
}
