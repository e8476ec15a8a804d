// The spool: with PostgreSQL down, requests are acknowledged from local disk
// and stored exactly once when it returns; a torn tail is skipped; a full
// spool answers 503.
#include "harness.hpp"

#include "store/spool.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

using namespace rebound;

namespace {

std::filesystem::path
scratch_dir(std::string const& name)
{
    auto const d = std::filesystem::temp_directory_path() / ("rebound-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

std::string
event(std::string const& id, std::string const& email)
{
    return R"({"email":")" + email + R"(","timestamp":1700000000,"event":"delivered","sg_event_id":")" + id + R"("})";
}

bool
wait_for(std::function<bool()> const& cond, int tries = 200)
{
    for (int i = 0; i < tries; ++i) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace

TEST_CASE("during an outage requests are spooled, then replayed exactly once", "[integration][spool][outage]")
{
    if (!test::can_control_cluster()) {
        WARN("SKIP: not running under pg_virtualenv; cannot stop the cluster");
        return;
    }
    auto const dir = scratch_dir("spool");
    config::config cfg;
    cfg.spool_dir = dir.string();
    test::running_service svc{cfg};
    REQUIRE(svc.post("/v1/webhooks/sendgrid", "[" + event("s0", "a@example.com") + "]").status == 200);

    REQUIRE(test::control_cluster("stop"));
    for (int i = 1; i <= 5; ++i) {
        // Each request overlaps the previous one: the replay must dedup.
        auto const r = svc.post("/v1/webhooks/sendgrid",
                                "[" + event("s" + std::to_string(i), "a@example.com") + "," +
                                    event("s" + std::to_string(i - 1), "a@example.com") + "]");
        INFO(r.body);
        CHECK(r.status == 200);
        CHECK(r.body.find(R"("spooled":true)") != std::string::npos);
    }
    CHECK(std::filesystem::file_size(*std::filesystem::directory_iterator(dir)) > 0);
    auto const ready = svc.get("/readyz");
    CHECK(ready.status == 503);
    CHECK(ready.body.find(R"("spool":{"bytes":)") != std::string::npos);

    REQUIRE(test::control_cluster("start"));
    CHECK(wait_for([&] {
        try {
            return svc.db().scalar("SELECT count(*) FROM events") == "6";
        } catch (...) {
            return false;
        }
    }));
    CHECK(wait_for([&] { return std::filesystem::is_empty(dir); }));
    CHECK(svc.db().scalar("SELECT count(DISTINCT provider_event_id) FROM events") == "6");
    CHECK(svc.get("/metrics").body.find(R"(outcome="spooled"})") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a torn or corrupt spool tail is reported and skipped; intact records load", "[integration][spool]")
{
    auto const dir = scratch_dir("spool-torn");
    {
        std::string error;
        auto s = store::spool::open({dir, 1ULL << 30}, error);
        REQUIRE(s);
        for (int i = 0; i < 3; ++i) {
            store::spooled_request r;
            model::normalized_event e;
            e.provider = "sendgrid";
            e.provider_event_id = "torn-" + std::to_string(i);
            e.type = model::event_type::delivered;
            e.recipient = "t@example.com";
            e.recipient_domain = "example.com";
            e.occurred_at = 1700000000000000LL + i;
            e.raw_json = "{}";
            r.events.push_back(e);
            std::promise<boost::system::error_code> written;
            s->append(r, [&](boost::system::error_code ec) { written.set_value(ec); });
            REQUIRE_FALSE(written.get_future().get());
        }
        s->stop();
    }
    auto const segment = *std::filesystem::directory_iterator(dir);
    // Tear the last record as a crash mid-write would, then add garbage.
    auto const size = std::filesystem::file_size(segment);
    std::filesystem::resize_file(segment, size - 7);
    {
        std::ofstream out(segment.path(), std::ios::app | std::ios::binary);
        out << "garbage that is not a record";
    }
    std::size_t intact = 0;
    CHECK(store::spool::read_segment(segment.path(), [&](store::spooled_request&&) { ++intact; }) == 1);
    CHECK(intact == 2);

    config::config cfg;
    cfg.spool_dir = dir.string();
    test::running_service svc{cfg};  // replays at startup, before serving
    CHECK(svc.db().scalar("SELECT string_agg(provider_event_id, ',' ORDER BY provider_event_id) FROM events") == "torn-0,torn-1");
    CHECK(wait_for([&] { return std::filesystem::is_empty(dir); }));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a full spool answers 503 instead of acknowledging", "[integration][spool][outage]")
{
    if (!test::can_control_cluster()) {
        WARN("SKIP: not running under pg_virtualenv; cannot stop the cluster");
        return;
    }
    auto const dir = scratch_dir("spool-full");
    config::config cfg;
    cfg.spool_dir = dir.string();
    cfg.spool_max_bytes = 1024 * 1024;  // the smallest allowed
    test::running_service svc{cfg};
    REQUIRE(test::control_cluster("stop"));
    std::string big = "[";
    for (int i = 0; i < 2500; ++i) big += (i ? "," : "") + event("big-" + std::to_string(i), "b@example.com");
    big += "]";
    auto const first = svc.post("/v1/webhooks/sendgrid", big);
    auto const second = svc.post("/v1/webhooks/sendgrid", big);
    auto const third = svc.post("/v1/webhooks/sendgrid", big);
    REQUIRE(test::control_cluster("start"));
    CHECK(first.status == 200);
    CHECK(third.status == 503);
    CHECK(third.body.find("spool_full") != std::string::npos);
    CHECK(third.headers.count("retry-after") == 1);
    std::filesystem::remove_all(dir);
    (void)second;
}
