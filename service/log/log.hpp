// Structured logging: one JSON object per line on stderr.
//
// Machines read these lines (journald, Loki, CloudWatch), so every field is a
// key, never interpolated into the message. The level is set once at startup.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace rebound::log {

enum class level { debug, info, warn, error };

void set_level(level l) noexcept;
bool parse_level(std::string_view s, level& out) noexcept;
bool enabled(level l) noexcept;

using field = std::pair<std::string_view, std::string>;

/// {"ts":"...","level":"info","msg":"...","k":"v",...}
void write(level l, std::string_view msg, std::initializer_list<field> fields = {});

inline void debug(std::string_view m, std::initializer_list<field> f = {}) { if (enabled(level::debug)) write(level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<field> f = {}) { write(level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<field> f = {}) { write(level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<field> f = {}) { write(level::error, m, f); }

}  // namespace rebound::log
