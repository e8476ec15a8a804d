// COPY text escaping, checked by the only judge that matters: PostgreSQL
// reads every formatted line back as the text that went in. Specials sit at
// every offset around the 16-byte steps of the escaper's fast path.
#include "harness.hpp"

#include "store/copy_rows.hpp"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace rebound;

namespace {

/// What PostgreSQL must give back: the text without NUL, which COPY text
/// cannot carry and append_copy_text drops.
std::string
without_nul(std::string s)
{
    std::erase(s, '\0');
    return s;
}

std::vector<std::string>
samples()
{
    std::vector<std::string> out{"", "plain ascii", "日本語のテキスト, é", std::string(100, 'x')};
    // One special at each offset of a 40-byte text: every position of the
    // first three 16-byte blocks and the scalar tail.
    std::string const specials = std::string("\\\t\n\r\b\f\v\x01\x1f", 9) + std::string(1, '\0');
    for (char special : specials)
        for (std::size_t at = 0; at < 40; ++at) {
            std::string s(40, 'a');
            s[at] = special;
            out.push_back(s);
        }
    // Random mixes of plain bytes, UTF-8 and specials, of every length up to 70.
    std::vector<std::string> const pieces{"a", "b", " ", "\\", "\t", "\n", "\r", "\x01", "\x1f", "\x7f", "\"", "\xc3\xa9"};
    std::uint32_t seed = 7;
    auto next = [&] { return seed = seed * 1664525U + 1013904223U; };
    for (int k = 0; k < 500; ++k) {
        std::string s;
        for (auto n = next() % 71; n > 0; --n) s += pieces[next() % pieces.size()];
        out.push_back(s);
    }
    return out;
}

}  // namespace

TEST_CASE("append_copy_text round-trips through COPY", "[integration][store]")
{
    test::scratch_database db;
    pqxx::connection conn{db.conninfo()};
    pqxx::work tx{conn};
    tx.exec0("CREATE TEMP TABLE copied (n integer, v text)");
    auto const texts = samples();
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        std::vector<std::string> const columns{"n", "v"};
        pqxx::tablewriter writer{tx, "copied", columns.begin(), columns.end()};
        for (std::size_t i = 0; i < texts.size(); ++i) {
            std::string line = std::to_string(i) + '\t';
            store::append_copy_text(line, texts[i]);
            writer.write_raw_line(line);
        }
        writer.complete();
#pragma GCC diagnostic pop
    }
    auto const rows = tx.exec("SELECT n, v FROM copied ORDER BY n");
    REQUIRE(rows.size() == texts.size());
    for (auto const& row : rows) {
        auto const i = row[0].as<std::size_t>();
        INFO("sample " << i);
        CHECK(row[1].as<std::string>() == without_nul(texts[i]));
    }
}
