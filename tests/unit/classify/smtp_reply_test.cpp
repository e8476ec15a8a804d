// The SMTP reply parser on the shapes ESPs forward, on broken input, and on
// random bytes (a cheap stand-in for the libFuzzer target: under ASan it
// catches out-of-bounds reads too).
#include "classify/smtp_reply.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using rebound::classify::is_enhanced_status;
using rebound::classify::is_reply_code;
using rebound::classify::parse_smtp_reply;
using rebound::classify::smtp_reply;
using rebound::classify::smtp_reply_fields;

TEST_CASE("reply shapes", "[classify][smtp_reply]")
{
    SECTION("plain")
    {
        auto const r = parse_smtp_reply("550 5.1.1 <a@b>: Recipient address rejected: User unknown");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "<a@b>: Recipient address rejected: User unknown");
        CHECK_FALSE(r.classes_disagree);
    }
    SECTION("diagnostic type and continuation dash")
    {
        auto const r = parse_smtp_reply("smtp; 550-5.1.1 The email account does not exist.");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "The email account does not exist.");
    }
    SECTION("whole Diagnostic-Code header")
    {
        auto const r = parse_smtp_reply("Diagnostic-Code: SMTP; 552 5.2.2 Mailbox full");
        CHECK(r.code == 552);
        CHECK(r.enhanced == "5.2.2");
        CHECK(r.text == "Mailbox full");
    }
    SECTION("other diagnostic types")
    {
        auto const r = parse_smtp_reply("X-Postfix; host mx.example.org said: 550 user unknown");
        CHECK(r.code == 550);
        CHECK(r.text == "user unknown");
    }
    SECTION("enhanced status only, qmail style")
    {
        auto const r = parse_smtp_reply("#5.1.1");
        CHECK_FALSE(r.code);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text.empty());
    }
    SECTION("enhanced status inside the text")
    {
        auto const r = parse_smtp_reply("550 sorry, no mailbox here by that name (#5.1.1 - chkusr)");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "sorry, no mailbox here by that name (#5.1.1 - chkusr)");
    }
    SECTION("multi-line reply")
    {
        auto const r = parse_smtp_reply("550-5.1.1 line1\n550-5.1.1 line2\r\n550 5.1.1 line3");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "line1 line2 line3");
    }
    SECTION("multi-line reply flattened onto one line")
    {
        auto const r = parse_smtp_reply("550-5.1.1 The email account that you tried to reach does not exist. Please try "
                                        "550-5.1.1 double-checking the address. 550 5.1.1 https://support.example/x");
        CHECK(r.text == "The email account that you tried to reach does not exist. Please try double-checking the "
                        "address. 550 5.1.1 https://support.example/x");
    }
    SECTION("wrapped text without repeated codes")
    {
        auto const r = parse_smtp_reply("550 5.7.1 first part\n  second part");
        CHECK(r.text == "first part second part");
    }
    SECTION("ESP wrapper")
    {
        auto const r = parse_smtp_reply("PERM_FAILURE: SMTP Error (state 12): 550 5.1.1 user unknown");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "user unknown");
    }
    SECTION("MTA prose before the reply")
    {
        auto const r = parse_smtp_reply(
            "host mx.example.org[192.0.2.1] said: 550 5.1.1 <a@b>... User Unknown (in reply to RCPT TO command)");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "<a@b>... User Unknown (in reply to RCPT TO command)");
    }
    SECTION("code with a colon")
    {
        auto const r = parse_smtp_reply("550: 5.1.1 <a@b>... User Unknown");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
    }
    SECTION("Exchange's hash-prefixed form")
    {
        auto const r = parse_smtp_reply("#550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient ##");
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.2.3");
    }
    SECTION("three-digit detail")
    {
        auto const r = parse_smtp_reply("451 4.7.650 The mail server has been temporarily rate limited");
        CHECK(r.enhanced == "4.7.650");
    }
    SECTION("code alone")
    {
        auto const r = parse_smtp_reply("421");
        CHECK(r.code == 421);
        CHECK(r.enhanced.empty());
        CHECK(r.text.empty());
    }
    SECTION("no code at all")
    {
        auto const r = parse_smtp_reply("  Deferred: Connection refused by mx.example.net  ");
        CHECK_FALSE(r.code);
        CHECK(r.enhanced.empty());
        CHECK(r.text == "Deferred: Connection refused by mx.example.net");
    }
}

TEST_CASE("numbers that are not replies", "[classify][smtp_reply]")
{
    // IP addresses, ports, log ids and counters must not pass for codes or statuses.
    auto const r = parse_smtp_reply("connect to 192.0.2.1:25: timed out after 250 seconds - 4.16.55.1 error 255");
    CHECK_FALSE(r.code);
    CHECK(r.enhanced.empty());

    CHECK_FALSE(parse_smtp_reply("1234 5.1.1 x").code);
    CHECK_FALSE(parse_smtp_reply("650 x").code);
    CHECK_FALSE(parse_smtp_reply("155 x").code);
    CHECK(parse_smtp_reply("550 3.1.1 x").enhanced.empty());
    CHECK(parse_smtp_reply("550 5.1.1234 x").enhanced.empty());
    CHECK(parse_smtp_reply("550 5.1 x").enhanced.empty());
}

TEST_CASE("reply code and status class disagreement is kept and noted", "[classify][smtp_reply]")
{
    auto const r = parse_smtp_reply("550 4.2.2 mailbox full");
    CHECK(r.code == 550);
    CHECK(r.enhanced == "4.2.2");
    CHECK(r.classes_disagree);

    SECTION("a status of the code's class is preferred when the text has both")
    {
        auto const both = parse_smtp_reply("550 host said 4.4.1 then 5.4.4 no mail exchanger");
        CHECK(both.enhanced == "5.4.4");
        CHECK_FALSE(both.classes_disagree);
    }
}

TEST_CASE("code and status in separate fields", "[classify][smtp_reply]")
{
    SECTION("fields win, text fills the gaps")
    {
        auto const r = parse_smtp_reply(smtp_reply_fields{std::nullopt, "5.1.1", "smtp; 550 user unknown"});
        CHECK(r.code == 550);
        CHECK(r.enhanced == "5.1.1");
        CHECK(r.text == "user unknown");
    }
    SECTION("structured values beat the text's")
    {
        auto const r = parse_smtp_reply(smtp_reply_fields{552, "5.2.2", "550 5.1.1 mailbox full"});
        CHECK(r.code == 552);
        CHECK(r.enhanced == "5.2.2");
    }
    SECTION("invalid fields are ignored")
    {
        auto const r = parse_smtp_reply(smtp_reply_fields{999, "9.9.9", "451 4.4.1 timed out"});
        CHECK(r.code == 451);
        CHECK(r.enhanced == "4.4.1");
    }
    SECTION("hash and whitespace around the status are tolerated")
    {
        auto const r = parse_smtp_reply(smtp_reply_fields{550, " #5.1.1 ", "user unknown"});
        CHECK(r.enhanced == "5.1.1");
    }
    SECTION("a field status of another class is noted")
    {
        auto const r = parse_smtp_reply(smtp_reply_fields{451, "5.7.1", ""});
        CHECK(r.classes_disagree);
    }
}

TEST_CASE("validators", "[classify][smtp_reply]")
{
    CHECK(is_reply_code(200));
    CHECK(is_reply_code(599));
    CHECK_FALSE(is_reply_code(199));
    CHECK_FALSE(is_reply_code(600));

    for (auto const ok : {"2.0.0", "4.7.650", "5.1.10", "5.999.999"}) CHECK(is_enhanced_status(ok));
    for (auto const bad : {"", "5", "5.1", "5.1.", "3.1.1", "5.1.1.1", "5.1000.1", "5.1.1 ", " 5.1.1", "x.1.1", "5..1"})
        CHECK_FALSE(is_enhanced_status(bad));
}

TEST_CASE("truncated and odd input", "[classify][smtp_reply]")
{
    std::string const full = "Diagnostic-Code: smtp; 550-5.1.1 <a@b>: line1\r\n550 5.1.1 line2";
    for (std::size_t n = 0; n <= full.size(); ++n) {
        auto const r = parse_smtp_reply(std::string_view(full).substr(0, n));
        if (r.code) CHECK(is_reply_code(*r.code));
        if (!r.enhanced.empty()) CHECK(is_enhanced_status(r.enhanced));
    }
    std::initializer_list<std::string_view> const odd_inputs{
        "", " ", "\n\n\n", "5", "55", "550-", "550 5.", "550 5.1.", "#", "smtp;", "x-;", "Diagnostic-Code:",
        "550\n551\n552", std::string_view("\0\0\0" "550", 6)};
    for (auto const odd : odd_inputs) {
        CHECK_NOTHROW(parse_smtp_reply(odd));
    }
}

TEST_CASE("random bytes never break the parser", "[classify][smtp_reply][fuzz]")
{
    // Bytes drawn mostly from the characters replies are made of, so the
    // parser's branches get exercised, plus arbitrary bytes.
    constexpr std::string_view alphabet = "0123455555.-#;: \n\r\t<>()'\"abcsmtpSMTPx";
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<int> length(0, 96);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(alphabet.size()) + 31);
    std::uniform_int_distribution<int> byte(0, 255);

    for (int round = 0; round < 20000; ++round) {
        std::string input(static_cast<std::size_t>(length(rng)), '\0');
        for (auto& c : input) {
            int const p = pick(rng);
            c = p < static_cast<int>(alphabet.size()) ? alphabet[static_cast<std::size_t>(p)] : static_cast<char>(byte(rng));
        }
        smtp_reply r;
        REQUIRE_NOTHROW(r = parse_smtp_reply(input));
        if (r.code) REQUIRE(is_reply_code(*r.code));
        if (!r.enhanced.empty()) REQUIRE(is_enhanced_status(r.enhanced));
        REQUIRE(r.text.size() <= input.size());
        REQUIRE_NOTHROW(parse_smtp_reply(smtp_reply_fields{byte(rng) * 3, input, input}));
    }
}
