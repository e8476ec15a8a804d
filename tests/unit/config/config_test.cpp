// Configuration: defaults, precedence, validation messages naming the key,
// secrets from the environment and files, and docs that match the code.
#include "config/config.hpp"

#include "../../support/fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace rebound;

namespace {

boost::system::result<config::invocation, std::string>
load(std::vector<char const*> args, std::vector<char const*> env = {})
{
    args.insert(args.begin(), "rebound");
    env.push_back(nullptr);
    return config::load(static_cast<int>(args.size()), args.data(), env.data());
}

}  // namespace

TEST_CASE("config defaults", "[config]")
{
    auto const r = load({"serve"});
    REQUIRE(r.has_value());
    CHECK(r->command == "serve");
    CHECK(r->cfg.listen_host == "127.0.0.1");
    CHECK(r->cfg.listen_port == 8080);
    CHECK(r->cfg.batch_size == 5000);
    CHECK(r->cfg.user_ref_field == "user_id");
    CHECK(r->cfg.database_url.empty());
}

TEST_CASE("flags win over the environment, which wins over defaults", "[config]")
{
    auto const r = load({"serve", "--batch-size", "100", "--listen=0.0.0.0:9000"},
                        {"REBOUND_BATCH_SIZE=200", "REBOUND_BATCH_DELAY=20ms", "REBOUND_BODY_LIMIT=2MiB"});
    REQUIRE(r.has_value());
    CHECK(r->cfg.batch_size == 100);
    CHECK(r->cfg.batch_delay == std::chrono::milliseconds(20));
    CHECK(r->cfg.body_limit == 2 * 1024 * 1024);
    CHECK(r->cfg.listen_host == "0.0.0.0");
    CHECK(r->cfg.listen_port == 9000);
}

TEST_CASE("a bad value is refused and the key is named", "[config]")
{
    auto const env = load({"serve"}, {"REBOUND_BATCH_SIZE=lots"});
    REQUIRE(env.has_error());
    CHECK(env.error().find("REBOUND_BATCH_SIZE") != std::string::npos);
    CHECK(env.error().find("batch_size") != std::string::npos);
    CHECK(env.error().find("lots") != std::string::npos);

    auto const flag = load({"serve", "--read-timeout", "forever"});
    REQUIRE(flag.has_error());
    CHECK(flag.error().find("--read-timeout") != std::string::npos);

    CHECK(load({"serve", "--no-such-flag", "1"}).has_error());
    CHECK(load({"serve", "--listen", "nohostport"}).has_error());
    CHECK(load({"frobnicate"}).has_error());
    auto const cross = load({"serve", "--batch-size", "500", "--queue-limit", "100"});
    REQUIRE(cross.has_error());
    CHECK(cross.error().find("queue_limit") != std::string::npos);
}

TEST_CASE("secrets come from the environment or from files", "[config]")
{
    auto const path = std::filesystem::temp_directory_path() / "rebound-config-test-secret";
    {
        std::ofstream out(path);
        out << "file-secret\n";
    }
    std::string const file_var = "REBOUND_SECRET__SENDGRID__EU__PUBLIC_KEY_FILE=" + path.string();
    auto const r = load({"serve"}, {"REBOUND_SECRET__SENDGRID__TOKEN=abc", file_var.c_str()});
    REQUIRE(r.has_value());
    CHECK(r->cfg.secrets.at("sendgrid").at("").at("token") == "abc");
    CHECK(r->cfg.secrets.at("sendgrid").at("eu").at("public_key") == "file-secret");
    std::filesystem::remove(path);

    auto const unknown = load({"serve"}, {"REBOUND_SECRET__NOSUCHESP__TOKEN=x"});
    REQUIRE(unknown.has_error());
    CHECK(unknown.error().find("REBOUND_SECRET__NOSUCHESP__TOKEN") != std::string::npos);
    CHECK(load({"serve"}, {"REBOUND_SECRET__SENDGRID__TOKEN_FILE=/nonexistent/file"}).has_error());
}

TEST_CASE("explain takes texts or --jsonl, and the usual flags", "[config]")
{
    auto const texts = load({"explain", "550 5.1.1 user unknown", "--actions-file", "a.json", "--", "--odd text"});
    REQUIRE(texts.has_value());
    CHECK(texts->command == "explain");
    CHECK(texts->texts == std::vector<std::string>{"550 5.1.1 user unknown", "--odd text"});
    CHECK_FALSE(texts->jsonl);
    CHECK(texts->cfg.actions_file == "a.json");

    auto const lines = load({"explain", "--jsonl"});
    REQUIRE(lines.has_value());
    CHECK(lines->jsonl);
    CHECK(lines->texts.empty());

    CHECK_FALSE(load({"explain"}).has_value());
    CHECK_FALSE(load({"explain", "--jsonl", "text"}).has_value());
    CHECK_FALSE(load({"serve", "--jsonl"}).has_value());  // explain's flag only
    CHECK(config::usage().find("explain --jsonl") != std::string::npos);
}

TEST_CASE("help and version", "[config]")
{
    CHECK(load({"--help"})->command == "help");
    CHECK(load({})->command == "help");
    CHECK(load({"--version"})->command == "version");
    CHECK(config::usage().find("REBOUND_DATABASE_URL") != std::string::npos);
}

TEST_CASE("docs/configuration.md lists every setting as the code defines it", "[config][docs]")
{
    auto const doc = test::read_file(test::source_dir() / "docs" / "configuration.md");
    CHECK(doc.find(config::settings_markdown()) != std::string::npos);
}
