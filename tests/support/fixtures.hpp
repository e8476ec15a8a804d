// Test helpers for fixture files: our own in tests/fixtures, and the shared
// third-party samples in ../shared beside the checkout (read in place, never
// copied; tests that need them say so and pass vacuously when absent).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace rebound::test {

inline std::filesystem::path
source_dir()
{
    return REBOUND_SOURCE_DIR;
}

inline std::filesystem::path
own_fixtures()
{
    return source_dir() / "tests" / "fixtures";
}

/// ../shared beside the repo, or "" when it is not there.
inline std::filesystem::path
shared_dir()
{
    if (auto const* env = std::getenv("REBOUND_SHARED_DIR")) return env;
    auto const p = source_dir().parent_path() / "shared";
    return std::filesystem::exists(p) ? p : std::filesystem::path{};
}

/// The shared ESP fixtures of one provider, sorted; empty (with a message)
/// when ../shared is absent.
inline std::vector<std::filesystem::path>
shared_esp_fixtures(std::string const& provider)
{
    std::vector<std::filesystem::path> out;
    auto const base = shared_dir();
    if (base.empty()) {
        std::cerr << "SKIP: ../shared is not beside the repo; shared " << provider << " fixtures not checked\n";
        return out;
    }
    auto const dir = base / "fixtures" / "esp" / provider;
    if (!std::filesystem::exists(dir)) return out;
    for (auto const& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json" && e.path().filename().string()[0] != '_') out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::string
read_file(std::filesystem::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace rebound::test
