// Text hygiene for what rebound echoes back: JSON bodies and log lines must
// be valid UTF-8 even when a client sends arbitrary bytes in a path or header.
#pragma once

#include <string>
#include <string_view>

namespace rebound::model {

/// `in` with every byte that is not part of a well-formed UTF-8 sequence
/// replaced by U+FFFD.
std::string to_valid_utf8(std::string_view in);

}  // namespace rebound::model
