// No loss under crash: rebound (the real binary, as a child process) is
// killed with SIGKILL several times while clients post events; every event
// that was acknowledged with a 2xx must be in PostgreSQL exactly once.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <ctime>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace rebound;

namespace {

pid_t
start_rebound(std::string const& conninfo, std::uint16_t port, std::string const& spool)
{
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::setenv("REBOUND_DATABASE_URL", conninfo.c_str(), 1);
        ::setenv("REBOUND_LISTEN", ("127.0.0.1:" + std::to_string(port)).c_str(), 1);
        ::setenv("REBOUND_SPOOL_DIR", spool.c_str(), 1);
        ::setenv("REBOUND_LOG_LEVEL", "error", 1);
        ::execl(REBOUND_BINARY, REBOUND_BINARY, "serve", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

bool
healthy(std::uint16_t port)
{
    try {
        return test::http_call(port, "GET", "/healthz").status == 200;
    } catch (...) {
        return false;
    }
}

}  // namespace

TEST_CASE("kill -9 under load loses no acknowledged event", "[integration][crash]")
{
    test::scratch_database db;
    auto const spool = std::filesystem::temp_directory_path() / ("rebound-crash-spool-" + std::to_string(::getpid()));
    std::filesystem::remove_all(spool);
    auto const port = test::free_port();

    std::mutex mutex;
    std::set<std::string> acked;
    std::atomic<bool> stop{false};
    std::atomic<int> sequence{0};

    // Dated now: a restart runs the retention pass, which would rightly prune
    // events dated before the retention window.
    std::string const now = std::to_string(std::time(nullptr));
    auto client = [&] {
        while (!stop) {
            int const n = sequence.fetch_add(10);
            std::string body = "[";
            std::vector<std::string> ids;
            for (int i = 0; i < 10; ++i) {
                ids.push_back("crash-" + std::to_string(n + i));
                body += std::string(i ? "," : "") + R"({"email":"c)" + std::to_string((n + i) % 97) +
                        R"(@example.com","timestamp":)" + now + R"(,"event":"delivered","sg_event_id":")" + ids.back() + R"("})";
            }
            body += "]";
            try {
                auto const r = test::http_call(port, "POST", "/v1/webhooks/sendgrid", body);
                if (r.status == 200) {
                    std::lock_guard lock{mutex};
                    acked.insert(ids.begin(), ids.end());
                }
            } catch (...) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the server is down: retry later, like an ESP
            }
        }
    };

    pid_t pid = start_rebound(db.conninfo(), port, spool.string());
    for (int i = 0; i < 200 && !healthy(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(healthy(port));

    std::vector<std::thread> clients;
    for (int i = 0; i < 4; ++i) clients.emplace_back(client);
    for (int round = 0; round < 3; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        pid = start_rebound(db.conninfo(), port, spool.string());
        for (int i = 0; i < 200 && !healthy(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    stop = true;
    for (auto& t : clients) t.join();
    ::kill(pid, SIGTERM);  // a graceful stop flushes and exits 0
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    // Replay whatever the last instance left in the spool.
    pid = start_rebound(db.conninfo(), port, spool.string());
    for (int i = 0; i < 200 && !healthy(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);

    INFO("acknowledged events: " << acked.size());
    REQUIRE(acked.size() > 100);
    auto const stored = db.query("SELECT provider_event_id, count(*) FROM events GROUP BY 1");
    std::set<std::string> present;
    bool twice = false;
    for (auto const& row : stored) {
        present.insert(row[0].as<std::string>());
        twice |= row[1].as<int>() != 1;
    }
    CHECK_FALSE(twice);
    std::size_t missing = 0;
    for (auto const& id : acked) missing += present.count(id) ? 0 : 1;
    CHECK(missing == 0);
    std::filesystem::remove_all(spool);
}
