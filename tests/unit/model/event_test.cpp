// Addresses as every provider normalises them, and the shared texts and
// request arena that events keep them in.
#include "model/event.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace rebound::model;

namespace {

struct address_case {
    char const* in;
    char const* address;  // nullptr: not an address
    char const* domain;
};

address_case const address_cases[] = {
    {"User@Example.COM", "user@example.com", "example.com"},
    {"  \tuser@example.com \t", "user@example.com", "example.com"},
    {"Jane Doe <Jane.Doe@Example.org>", "jane.doe@example.org", "example.org"},
    {"<a@b.c>", "a@b.c", "b.c"},
    {"\"a@b\"@c.example", "\"a@b\"@c.example", "c.example"},  // the last '@' splits
    {"名前@例え.jp", "名前@例え.jp", "例え.jp"},                  // bytes above ASCII kept as they are
    {"no-at-sign.example.com", nullptr, nullptr},
    {"@example.com", nullptr, nullptr},
    {"user@", nullptr, nullptr},
    {"us er@example.com", nullptr, nullptr},
    {"user@exa\tmple.com", nullptr, nullptr},
    {"", nullptr, nullptr},
    {"   ", nullptr, nullptr},
};

}  // namespace

TEST_CASE("normalize_address lower-cases, unwraps and refuses what cannot be an address", "[model]")
{
    for (auto const& c : address_cases) {
        INFO(c.in);
        std::string address = "old", domain = "old";
        bool const ok = normalize_address(c.in, address, domain);
        CHECK(ok == (c.address != nullptr));
        if (ok) {
            CHECK(address == c.address);
            CHECK(domain == c.domain);
        } else {
            CHECK(address.empty());
        }

        // The arena form gives the same answer; the domain shares the address's bytes.
        text_arena text;
        shared_text a = "old", d = "old";
        CHECK(normalize_address(c.in, text, a, d) == ok);
        if (ok) {
            CHECK(a == c.address);
            CHECK(d == c.domain);
            CHECK(d.data() == a.data() + (a.size() - d.size()));
        } else {
            CHECK(a.empty());
            CHECK(d.empty());
        }
    }
    std::string address, domain;
    CHECK_FALSE(normalize_address(std::string_view("a\0b@example.com", 15), address, domain));  // NUL inside
}

TEST_CASE("arena texts outlive the arena and each other's copies", "[model]")
{
    std::vector<shared_text> kept;
    {
        text_arena text{256};
        // More than one block's worth, so later texts land in new blocks.
        for (int i = 0; i < 200; ++i) kept.push_back(text.copy("text number " + std::to_string(i)));
        kept.push_back(text.copy(std::string(5000, 'x')));  // larger than any block so far
        CHECK(text.copy("").empty());
    }
    for (int i = 0; i < 200; ++i) CHECK(kept[i] == "text number " + std::to_string(i));
    CHECK(kept.back() == std::string(5000, 'x'));

    shared_text const part = kept[7].substr(5, 6);
    kept.clear();  // the last other holder of the blocks goes
    CHECK(part == "number");
}
