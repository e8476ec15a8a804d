// COPY text escaping and chunking, checked by the only judge that matters:
// PostgreSQL reads every formatted line back as the text that went in.
// Specials sit at every offset around the 16-byte steps of the escaper's
// fast path; rows straddle the chunks copy_in sends.
#include "harness.hpp"

#include "store/copy_in.hpp"
#include "store/copy_rows.hpp"

#include <pqxx/pqxx>

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
        std::vector<std::string> const columns{"n", "v"};
        std::string buffer;
        store::copy_in copy{tx, "copied", columns, buffer};
        for (std::size_t i = 0; i < texts.size(); ++i)
            copy.row_with([&](std::string& out) {
                out += std::to_string(i);
                out += '\t';
                store::append_copy_text(out, texts[i]);
            });
        copy.complete();
    }
    auto const rows = tx.exec("SELECT n, v FROM copied ORDER BY n");
    REQUIRE(rows.size() == texts.size());
    for (auto const& row : rows) {
        auto const i = row[0].as<std::size_t>();
        INFO("sample " << i);
        CHECK(row[1].as<std::string>() == without_nul(texts[i]));
    }
}

TEST_CASE("copy_in sends rows across chunk boundaries whole and in order", "[integration][store]")
{
    test::scratch_database db;
    pqxx::connection conn{db.conninfo()};
    pqxx::work tx{conn};
    tx.exec0("CREATE TEMP TABLE copied (n integer, v text)");
    // Lengths that land rows on, just before and just after a chunk's end,
    // and one row longer than a whole chunk.
    std::vector<std::string> texts;
    std::size_t total = 0;
    std::uint32_t seed = 11;
    auto next = [&] { return seed = seed * 1664525U + 1013904223U; };
    while (total < 4 * store::copy_in::chunk_bytes) {
        auto const length = texts.size() == 40 ? store::copy_in::chunk_bytes + 3 : next() % 3000;
        texts.push_back(std::string(length, static_cast<char>('a' + texts.size() % 26)));
        total += length;
    }
    std::string buffer;
    for (int round = 0; round < 2; ++round) {  // the caller's buffer is reused
        tx.exec0("TRUNCATE copied");
        {
            store::copy_in copy{tx, "copied", {"n", "v"}, buffer};
            for (std::size_t i = 0; i < texts.size(); ++i) copy.row(std::to_string(i) + '\t' + texts[i]);
            copy.complete();
        }
        auto const rows = tx.exec("SELECT n, v FROM copied ORDER BY n");
        REQUIRE(rows.size() == texts.size());
        for (auto const& row : rows) {
            auto const i = row[0].as<std::size_t>();
            INFO("row " << i << " of round " << round);
            CHECK(row[1].as<std::string>() == texts[i]);
        }
    }
    // Nothing to send is an empty COPY, not an empty row.
    tx.exec0("TRUNCATE copied");
    {
        store::copy_in copy{tx, "copied", {"n", "v"}, buffer};
        copy.complete();
    }
    CHECK(tx.exec1("SELECT count(*) FROM copied")[0].as<int>() == 0);
}
