// JSON-lines logger (see log.hpp).
#include "log/log.hpp"

#include "model/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace rebound::log {

namespace {

std::atomic<level> current{level::info};
std::mutex write_mutex;

constexpr std::string_view
name(level l) noexcept
{
    switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    }
    return "info";
}

void
append_quoted(std::string& out, std::string_view s)
{
    out += boost::json::serialize(boost::json::string(model::to_valid_utf8(s)));
}

}  // namespace

void
set_level(level l) noexcept
{
    current.store(l);
}

bool
parse_level(std::string_view s, level& out) noexcept
{
    for (auto l : {level::debug, level::info, level::warn, level::error})
        if (name(l) == s) {
            out = l;
            return true;
        }
    return false;
}

bool
enabled(level l) noexcept
{
    return l >= current.load(std::memory_order_relaxed);
}

void
write(level l, std::string_view msg, std::initializer_list<field> fields)
{
    if (!enabled(l)) return;
    auto const now = std::chrono::system_clock::now();
    auto const t = std::chrono::system_clock::to_time_t(now);
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[64];  // room for any int the compiler cannot rule out
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));

    std::string line = "{\"ts\":\"";
    line += ts;
    line += "\",\"level\":\"";
    line += name(l);
    line += "\",\"msg\":";
    append_quoted(line, msg);
    for (auto const& [k, v] : fields) {
        line += ",";
        append_quoted(line, k);
        line += ":";
        append_quoted(line, v);
    }
    line += "}\n";
    std::lock_guard lock{write_mutex};
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace rebound::log
