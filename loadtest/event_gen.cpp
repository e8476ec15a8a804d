// Synthetic SendGrid, SES/SNS and Mailgun webhooks (see event_gen.hpp).
//
// The mix follows a campaign send: mostly deliveries, a few per cent
// deferrals, bounces and blocks, some drops and spam reports, and opens and
// clicks (which rebound counts but does not store). Diagnostics are the
// wording real receivers use (Gmail, Outlook, Yahoo! JAPAN, docomo, iCloud),
// so the classifier does the work it does in production, not a shortcut.
// Event ids are random-looking like the ESPs' own, so index inserts land all
// over the b-tree as they do in production, with a unique suffix per
// (run, request, slot).
#include "event_gen.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>

namespace rebound::loadtest {

namespace {

// --- deterministic pseudo-randomness -------------------------------------------

constexpr std::uint64_t
splitmix(std::uint64_t x) noexcept
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// A hash of (a, b) under a salt: one independent stream per decision.
constexpr std::uint64_t
h3(std::uint64_t a, std::uint64_t b, std::uint64_t salt) noexcept
{
    return splitmix(splitmix(a * 0x100000001b3ULL ^ salt) + b);
}

constexpr double
unit(std::uint64_t h) noexcept
{
    return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

enum salt : std::uint64_t {
    s_kind = 1, s_replay, s_replay_src, s_dup, s_dup_src, s_type, s_rcpt, s_variant, s_id, s_user, s_extra,
};

std::uint64_t
string_hash(std::string_view s) noexcept
{
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return splitmix(h);
}

// --- text helpers ----------------------------------------------------------------

void
put_u64(std::string& out, std::uint64_t v)
{
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void
put_base36(std::string& out, std::uint64_t v)
{
    char buf[16];
    auto const r = std::to_chars(buf, buf + sizeof buf, v, 36);
    out.append(buf, r.ptr);
}

void
put_hex(std::string& out, std::uint64_t v, int width)
{
    static constexpr char digits[] = "0123456789abcdef";
    for (int i = width - 1; i >= 0; --i) out.push_back(digits[(v >> (4 * i)) & 15]);
}

/// n characters of the base64url alphabet, drawn from h (re-hashed as needed).
void
put_token(std::string& out, std::uint64_t h, int n)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < n; ++i) {
        if (i % 10 == 0 && i) h = splitmix(h);
        out.push_back(alphabet[(h >> (6 * (i % 10))) & 63]);
    }
}

void
put_2(std::string& out, unsigned v)
{
    out.push_back(static_cast<char>('0' + v / 10));
    out.push_back(static_cast<char>('0' + v % 10));
}

/// "2023-11-14T22:13:20.123Z" (SES and SNS timestamps).
void
put_iso8601(std::string& out, std::int64_t micros)
{
    using namespace std::chrono;
    sys_time<milliseconds> const t = floor<milliseconds>(sys_time<microseconds>{microseconds{micros}});
    auto const day = floor<days>(t);
    year_month_day const ymd{day};
    hh_mm_ss const hms{t - day};
    put_u64(out, static_cast<std::uint64_t>(static_cast<int>(ymd.year())));
    out.push_back('-');
    put_2(out, static_cast<unsigned>(ymd.month()));
    out.push_back('-');
    put_2(out, static_cast<unsigned>(ymd.day()));
    out.push_back('T');
    put_2(out, static_cast<unsigned>(hms.hours().count()));
    out.push_back(':');
    put_2(out, static_cast<unsigned>(hms.minutes().count()));
    out.push_back(':');
    put_2(out, static_cast<unsigned>(hms.seconds().count()));
    auto const millis = static_cast<unsigned>(hms.subseconds().count());
    out.push_back('.');
    out.push_back(static_cast<char>('0' + millis / 100));
    put_2(out, millis % 100);
    out.push_back('Z');
}

/// Appends `tmpl` with every "%a" replaced by the address. Templates hold no
/// characters that need JSON escaping.
void
put_template(std::string& out, std::string_view tmpl, std::string_view address)
{
    for (;;) {
        auto const at = tmpl.find("%a");
        out.append(tmpl.substr(0, at));
        if (at == std::string_view::npos) return;
        out.append(address);
        tmpl.remove_prefix(at + 2);
    }
}

/// JSON string escaping for the SNS Message (JSON inside a JSON string).
void
put_json_escaped(std::string& out, std::string_view s)
{
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
}

// --- recipients ----------------------------------------------------------------------

struct domain_info {
    std::string_view name;
    unsigned weight;
    unsigned family;  // which receiver's wording: 0 gmail, 1 microsoft, 2 yahoo.co.jp, 3 carrier, 4 icloud, 5 generic
};

constexpr std::array<domain_info, 13> domains{{
    {"gmail.com", 30, 0},      {"yahoo.co.jp", 12, 2},   {"icloud.com", 8, 4},       {"outlook.com", 6, 1},
    {"hotmail.com", 5, 1},     {"outlook.jp", 3, 1},     {"docomo.ne.jp", 8, 3},     {"ezweb.ne.jp", 5, 3},
    {"softbank.ne.jp", 4, 3},  {"i.softbank.jp", 3, 3},  {"nifty.com", 2, 5},        {"biglobe.ne.jp", 2, 5},
    {"example-corp.co.jp", 12, 5},
}};

constexpr unsigned
domain_weight_total()
{
    unsigned t = 0;
    for (auto const& d : domains) t += d.weight;
    return t;
}

domain_info const&
domain_of(std::uint64_t rcpt)
{
    auto w = static_cast<unsigned>(splitmix(rcpt ^ 0x5eed) % domain_weight_total());
    for (auto const& d : domains) {
        if (w < d.weight) return d;
        w -= d.weight;
    }
    return domains.back();
}

constexpr std::array<std::string_view, 16> local_names{
    "taro", "hanako", "yuki", "ken", "aoi", "sora", "mika", "hiroshi",
    "naoki", "emi", "sakura", "daiki", "alice", "bob", "carol", "dave"};

/// "yuki.k3x9@docomo.ne.jp": lower-case, as rebound stores it.
void
put_address(std::string& out, std::uint64_t rcpt)
{
    out.append(local_names[rcpt % local_names.size()]);
    out.push_back('.');
    put_base36(out, rcpt);
    out.push_back('@');
    out.append(domain_of(rcpt).name);
}

std::string
address(std::uint64_t rcpt)
{
    std::string s;
    put_address(s, rcpt);
    return s;
}

// --- diagnostics, by receiver family -------------------------------------------------

constexpr std::array<std::string_view, 6> hard_bounce_text{
    "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's "
    "email address for typos or unnecessary spaces. For more information, go to "
    "https://support.google.com/mail/?p=NoSuchUser d2e1a72fcca58-6f0c1a2b3c4si1234567b3.123 - gsmtp",
    "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
    "[TY2PEPF0000AB12.apcprd03.prod.outlook.com 2024-03-01T10:20:30.123Z 08DC3A1B2C3D4E5F]",
    "554 delivery error: dd This user doesn't have a yahoo.co.jp account (%a) [0] - mta1234.mail.kks.yahoo.co.jp",
    "550 5.1.1 <%a>: Recipient address rejected: User unknown in local recipient table",
    "550 5.1.1 <%a>: user does not exist",
    "550 5.1.1 <%a>... User Unknown",
};

constexpr std::array<std::string_view, 6> block_text{
    "550 5.7.1 [192.0.2.10      19] Our system has detected that this message is likely unsolicited mail. To reduce "
    "the amount of spam sent to Gmail, this message has been blocked. For more information, go to "
    "https://support.google.com/mail/?p=UnsolicitedMessageError d2e1a72fcca58-6f0c1a2b3c4si1234567b3.456 - gsmtp",
    "550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider "
    "since part of their network is on our block list (S3150). You can also refer your provider to "
    "http://mail.live.com/mail/troubleshooting.aspx#errors. [TY2PEPF0000AB12.apcprd03.prod.outlook.com]",
    "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.10, because the ip is in Spamhaus's list; see "
    "http://postmaster.yahoo.com/550-bl23.html",
    "550 5.7.1 Message rejected due to content restrictions",
    "554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
    "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; "
    "https://www.spamhaus.org/query/ip/192.0.2.10",
};

constexpr std::array<std::string_view, 6> deferred_text{
    "421 4.7.28 [192.0.2.10      15] Our system has detected an unusual rate of unsolicited mail originating from "
    "your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate "
    "limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp",
    "451 4.7.650 The mail server [192.0.2.10] has been temporarily rate limited due to IP reputation. For e-mail "
    "delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent]",
    "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - "
    "4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    "452 4.2.2 <%a>: Mailbox full",
    "450 4.2.1 <%a>: Recipient address rejected: Too many recipients received this hour",
    "421 4.4.2 Connection timed out",
};

constexpr std::array<std::string_view, 6> delivered_text{
    "250 2.0.0 OK  1700000123 d2e1a72fcca58-6f0c1a2b3c4si1234567b3.789 - gsmtp",
    "250 2.6.0 <14c5d75ce93.dfd.64b469@ismtpd0001p1lon1.sendgrid.net> [InternalId=12345678901234, "
    "Hostname=TYZPR01MB1234.jpnprd01.prod.outlook.com] 45678 bytes in 0.123, 362.534 KB/sec Queued mail for delivery",
    "250 ok dirdel",
    "250 2.0.0 Ok: queued as 4Tq2Xk3ZbLz9rH5",
    "250 2.0.0 Ok: queued as 63D2B1C0A9",
    "250 2.0.0 OK 4Tq2Xk3ZbLz9rH5 mail accepted for delivery",
};

constexpr std::array<std::string_view, 4> drop_reasons{
    "Bounced Address", "Bounced Address", "Unsubscribed Address", "Spam Reporting Address"};

constexpr std::array<std::string_view, 3> user_agents{
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SO-51D) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.64 Mobile "
    "Safari/537.36",
};

// --- SendGrid ---------------------------------------------------------------------

enum class sg_type : std::uint8_t { delivered, deferred, bounce, blocked, dropped, spamreport, open, click };

/// Per mille of events; opens and clicks are what a campaign with engagement
/// tracking sends alongside the delivery events.
constexpr std::array<std::pair<sg_type, unsigned>, 8> sg_mix{{
    {sg_type::delivered, 790}, {sg_type::deferred, 60}, {sg_type::bounce, 30}, {sg_type::blocked, 20},
    {sg_type::dropped, 10},    {sg_type::spamreport, 2}, {sg_type::open, 60},   {sg_type::click, 28},
}};

sg_type
sg_type_of(std::uint64_t h)
{
    auto w = static_cast<unsigned>(h % 1000);
    for (auto const& [t, p] : sg_mix) {
        if (w < p) return t;
        w -= p;
    }
    return sg_type::delivered;
}

constexpr bool
sg_stored(sg_type t) noexcept
{
    return t != sg_type::open && t != sg_type::click;
}

/// Everything about SendGrid event (k, i) that both the body and the key
/// list need.
struct sg_event {
    std::uint64_t k, i;
    sg_type type;
    std::uint64_t rcpt;
    std::int64_t when;  // unix seconds
};

sg_event
sg_describe(gen_options const& o, std::uint64_t k, std::uint64_t i)
{
    sg_event e{k, i, sg_type_of(h3(k, i, s_type)), h3(k, i, s_rcpt) % std::max<std::uint64_t>(o.recipients, 1), 0};
    // A campaign sends about 200 messages a second; events spread over it.
    e.when = o.base_time + static_cast<std::int64_t>((k * o.batch + i) / 200) + static_cast<std::int64_t>(h3(k, i, s_extra) % 30);
    return e;
}

void
put_sg_event_id(std::string& out, gen_options const& o, sg_event const& e)
{
    put_token(out, h3(e.k, e.i, s_id), 11);
    out.push_back('-');
    put_base36(out, e.k);
    out.push_back('-');
    put_base36(out, e.i);
    out.push_back('-');
    out.append(o.run_id);
}

/// The SendGrid message id: one per (request, recipient) message.
void
put_sg_message_id(std::string& out, sg_event const& e)
{
    put_token(out, h3(e.k, e.rcpt, s_variant), 22);
}

void
put_sg_json(std::string& out, gen_options const& o, sg_event const& e)
{
    auto const v = h3(e.k, e.i, s_variant);
    auto const& dom = domain_of(e.rcpt);
    std::string addr;
    put_address(addr, e.rcpt);

    out.append(R"({"email":")").append(addr);
    out.append(R"(","timestamp":)");
    put_u64(out, static_cast<std::uint64_t>(e.when));
    out.append(R"(,"smtp-id":"<)");
    put_sg_message_id(out, e);
    out.append(R"(@ismtpd0001p1hnd1.sendgrid.net>","event":")");
    switch (e.type) {
    case sg_type::delivered: out.append("delivered"); break;
    case sg_type::deferred: out.append("deferred"); break;
    case sg_type::bounce:
    case sg_type::blocked: out.append("bounce"); break;
    case sg_type::dropped: out.append("dropped"); break;
    case sg_type::spamreport: out.append("spamreport"); break;
    case sg_type::open: out.append("open"); break;
    case sg_type::click: out.append("click"); break;
    }
    out.append(R"(","category":["newsletter","2024-spring"],"sg_event_id":")");
    put_sg_event_id(out, o, e);
    out.append(R"(","sg_message_id":")");
    put_sg_message_id(out, e);
    out.append(R"(.recvd-5f6d7c8b9-x2x9z-1-65E1A2B3-4.0")");

    switch (e.type) {
    case sg_type::delivered:
        out.append(R"(,"response":")");
        put_template(out, delivered_text[std::min<unsigned>(dom.family, 5)], addr);
        out.append(R"(","ip":"192.0.2.10","tls":1)");
        break;
    case sg_type::deferred:
        out.append(R"(,"response":")");
        put_template(out, deferred_text[v % deferred_text.size()], addr);
        out.append(R"(","attempt":")");
        put_u64(out, 1 + v % 5);
        out.append(R"(","ip":"192.0.2.10","tls":1)");
        break;
    case sg_type::bounce: {
        // Mostly the receiver's own "no such user", sometimes a full mailbox.
        bool const full = v % 10 == 0;
        out.append(R"(,"type":"bounce","status":")").append(full ? "5.2.2" : "5.1.1");
        out.append(R"(","reason":")");
        if (full) put_template(out, "552 5.2.2 <%a>: Mailbox full: quota exceeded", addr);
        else put_template(out, hard_bounce_text[dom.family], addr);
        out.append(R"(","bounce_classification":")").append(full ? "Mailbox Unavailable" : "Invalid Address");
        out.append(R"(","ip":"192.0.2.10","tls":1)");
        break;
    }
    case sg_type::blocked: {
        auto const idx = v % block_text.size();
        out.append(R"(,"type":"blocked","status":"5.7.1","reason":")");
        put_template(out, block_text[idx], addr);
        out.append(R"(","bounce_classification":")").append(idx == 3 ? "Content" : "Reputation");
        out.append(R"(","ip":"192.0.2.10","tls":1)");
        break;
    }
    case sg_type::dropped:
        out.append(R"(,"reason":")").append(drop_reasons[v % drop_reasons.size()]).append(R"(","status":"5.0.0")");
        break;
    case sg_type::spamreport: break;
    case sg_type::open:
        out.append(R"(,"useragent":")").append(user_agents[v % user_agents.size()]);
        out.append(R"(","ip":"203.0.113.)");
        put_u64(out, v % 250 + 1);
        out.append(R"(","sg_machine_open":false)");
        break;
    case sg_type::click:
        out.append(R"(,"useragent":")").append(user_agents[v % user_agents.size()]);
        out.append(R"(","ip":"203.0.113.)");
        put_u64(out, v % 250 + 1);
        out.append(R"(","url":"https://www.example-corp.co.jp/campaign/spring?utm_source=newsletter&utm_medium=email",)"
                   R"("url_offset":{"index":0,"type":"html"})");
        break;
    }
    // The app's user id as a custom argument, on most but not all messages.
    if (h3(e.k, e.rcpt, s_user) % 10 != 0) {
        out.append(R"(,"user_id":"u-)");
        put_u64(out, e.rcpt);
        out.push_back('"');
    }
    out.append(R"(,"marketing_campaign_id":4711})");
}

// --- SES via SNS -------------------------------------------------------------------

enum class ses_kind : std::uint8_t { delivery, bounce_permanent, bounce_transient, delay, complaint, open };

constexpr std::array<std::pair<ses_kind, unsigned>, 6> ses_mix{{
    {ses_kind::delivery, 850}, {ses_kind::bounce_permanent, 50}, {ses_kind::bounce_transient, 30},
    {ses_kind::delay, 40},     {ses_kind::complaint, 10},        {ses_kind::open, 20},
}};

ses_kind
ses_kind_of(std::uint64_t h)
{
    auto w = static_cast<unsigned>(h % 1000);
    for (auto const& [t, p] : ses_mix) {
        if (w < p) return t;
        w -= p;
    }
    return ses_kind::delivery;
}

struct ses_event {
    ses_kind kind;
    std::uint64_t rcpt[2];
    unsigned rcpt_count;
    std::int64_t when_us;
};

ses_event
ses_describe(gen_options const& o, std::uint64_t k)
{
    ses_event e{};
    e.kind = ses_kind_of(h3(k, 0, s_type));
    auto const pool = std::max<std::uint64_t>(o.recipients, 2);
    e.rcpt[0] = h3(k, 0, s_rcpt) % pool;
    e.rcpt[1] = (e.rcpt[0] + 1) % pool;
    // One message to two recipients now and then: one notification, two events.
    e.rcpt_count = h3(k, 1, s_rcpt) % 10 == 0 ? 2 : 1;
    e.when_us = (o.base_time + static_cast<std::int64_t>(k / 200)) * 1000000 + static_cast<std::int64_t>(h3(k, 0, s_extra) % 1000000);
    return e;
}

void
put_sns_message_id(std::string& out, gen_options const& o, std::uint64_t k)
{
    auto const r = h3(k, 0, s_id);
    put_hex(out, string_hash(o.run_id), 8);
    out.push_back('-');
    put_hex(out, r, 4);
    out.append("-5");
    put_hex(out, r >> 16, 3);
    out.push_back('-');
    put_hex(out, 0x8000 | ((r >> 28) & 0x3fff), 4);
    out.push_back('-');
    put_hex(out, k, 12);
}

bool
ses_stored(ses_kind k) noexcept
{
    return k != ses_kind::open;
}

// --- Mailgun -------------------------------------------------------------------------

enum class mg_kind : std::uint8_t { delivered, temporary, permanent, suppressed, complained, opened };

constexpr std::array<std::pair<mg_kind, unsigned>, 6> mg_mix{{
    {mg_kind::delivered, 850}, {mg_kind::temporary, 50}, {mg_kind::permanent, 35},
    {mg_kind::suppressed, 10}, {mg_kind::complained, 5}, {mg_kind::opened, 50},
}};

mg_kind
mg_kind_of(std::uint64_t h)
{
    auto w = static_cast<unsigned>(h % 1000);
    for (auto const& [t, p] : mg_mix) {
        if (w < p) return t;
        w -= p;
    }
    return mg_kind::delivered;
}

struct mg_event {
    mg_kind kind;
    std::uint64_t rcpt;
    std::int64_t when_us;
};

mg_event
mg_describe(gen_options const& o, std::uint64_t k)
{
    mg_event e{};
    e.kind = mg_kind_of(h3(k, 0, s_type));
    e.rcpt = h3(k, 0, s_rcpt) % std::max<std::uint64_t>(o.recipients, 1);
    e.when_us = (o.base_time + static_cast<std::int64_t>(k / 200)) * 1000000 + static_cast<std::int64_t>(h3(k, 0, s_extra) % 1000000);
    return e;
}

void
put_mg_id(std::string& out, gen_options const& o, std::uint64_t k)
{
    put_token(out, h3(k, 0, s_id), 12);
    out.push_back('-');
    put_base36(out, k);
    out.push_back('-');
    out.append(o.run_id);
}

void
put_fraction_seconds(std::string& out, std::int64_t micros)
{
    put_u64(out, static_cast<std::uint64_t>(micros / 1000000));
    out.push_back('.');
    char buf[8];
    auto frac = static_cast<unsigned>(micros % 1000000);
    for (int i = 5; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
    }
    out.append(buf, 6);
}

bool
mg_stored(mg_kind k) noexcept
{
    return k != mg_kind::opened;
}

}  // namespace

std::string_view
to_string(provider_kind p) noexcept
{
    switch (p) {
    case provider_kind::sendgrid: return "sendgrid";
    case provider_kind::ses: return "ses";
    case provider_kind::mailgun: return "mailgun";
    }
    return "?";
}

generator::generator(gen_options o) : opts_(std::move(o))
{
    if (opts_.batch == 0) opts_.batch = 1;
    weight_total_ = opts_.weight_sendgrid + opts_.weight_ses + opts_.weight_mailgun;
    if (weight_total_ == 0) {
        opts_.weight_sendgrid = 1;
        weight_total_ = 1;
    }
}

provider_kind
generator::kind_of(std::uint64_t k) const noexcept
{
    auto const w = static_cast<unsigned>(h3(k, 0, s_kind) % weight_total_);
    if (w < opts_.weight_sendgrid) return provider_kind::sendgrid;
    if (w < opts_.weight_sendgrid + opts_.weight_ses) return provider_kind::ses;
    return provider_kind::mailgun;
}

/// The request whose body request k repeats: k itself unless it is a replay.
/// ESPs retry soon after a failure, so replays repeat one of the last 1000.
std::uint64_t
generator::resolve_replay(std::uint64_t k) const noexcept
{
    for (int guard = 0; guard < 64 && k > 0 && opts_.replay_fraction > 0; ++guard) {
        if (unit(h3(k, 0, s_replay)) >= opts_.replay_fraction) break;
        k -= 1 + h3(k, 0, s_replay_src) % std::min<std::uint64_t>(k, 1000);
    }
    return k;
}

/// Whether SendGrid slot (k, i) repeats an event of a recent SendGrid request.
bool
generator::sendgrid_dup_source(std::uint64_t k, std::size_t i, std::uint64_t& src_k, std::size_t& src_i) const noexcept
{
    if (opts_.dup_fraction <= 0 || k == 0 || unit(h3(k, i, s_dup)) >= opts_.dup_fraction) return false;
    auto const h = h3(k, i, s_dup_src);
    src_k = k - 1 - h % std::min<std::uint64_t>(k, 1000);
    src_i = (h >> 32) % opts_.batch;
    return kind_of(src_k) == provider_kind::sendgrid;
}

request_spec
generator::make(std::uint64_t k) const
{
    request_spec out;
    auto const src = resolve_replay(k);
    out.replay = src != k;
    out.provider = kind_of(src);
    switch (out.provider) {
    case provider_kind::sendgrid: sendgrid_body(src, out); break;
    case provider_kind::ses: ses_body(src, out); break;
    case provider_kind::mailgun: mailgun_body(src, out); break;
    }
    return out;
}

void
generator::sendgrid_body(std::uint64_t k, request_spec& out) const
{
    out.target = "/v1/webhooks/sendgrid";
    out.content_type = "application/json";
    out.body.reserve(opts_.batch * 720 + 2);
    out.body.push_back('[');
    for (std::size_t i = 0; i < opts_.batch; ++i) {
        std::uint64_t sk = k;
        std::size_t si = i;
        if (!sendgrid_dup_source(k, i, sk, si)) {
            sk = k;
            si = i;
        }
        auto const e = sg_describe(opts_, sk, si);
        if (i) out.body.push_back(',');
        put_sg_json(out.body, opts_, e);
        ++out.events;
        if (sg_stored(e.type)) ++out.stored;
    }
    out.body.push_back(']');
}

void
generator::ses_body(std::uint64_t k, request_spec& out) const
{
    out.target = "/v1/webhooks/ses";
    out.content_type = "text/plain; charset=UTF-8";  // what SNS sends
    auto const e = ses_describe(opts_, k);
    auto const v = h3(k, 0, s_variant);

    std::string addrs[2];
    for (unsigned r = 0; r < e.rcpt_count; ++r) addrs[r] = address(e.rcpt[r]);
    auto const& dom = domain_of(e.rcpt[0]);

    // The SES event-publishing notification, built first, then escaped into
    // the envelope's Message string.
    std::string m;
    m.reserve(1600);
    auto put_recipient_list = [&](bool objects, std::string_view extra_fields) {
        m.push_back('[');
        for (unsigned r = 0; r < e.rcpt_count; ++r) {
            if (r) m.push_back(',');
            if (objects) {
                m.append(R"({"emailAddress":")").append(addrs[r]).push_back('"');
                put_template(m, extra_fields, addrs[r]);
                m.push_back('}');
            } else {
                m.push_back('"');
                m.append(addrs[r]).push_back('"');
            }
        }
        m.push_back(']');
    };
    auto put_time = [&](std::int64_t us) {
        m.push_back('"');
        put_iso8601(m, us);
        m.push_back('"');
    };

    switch (e.kind) {
    case ses_kind::delivery:
        m.append(R"({"eventType":"Delivery","delivery":{"timestamp":)");
        put_time(e.when_us);
        m.append(R"(,"processingTimeMillis":)");
        put_u64(m, 300 + v % 3000);
        m.append(R"(,"recipients":)");
        put_recipient_list(false, {});
        m.append(R"(,"smtpResponse":")");
        put_template(m, delivered_text[std::min<unsigned>(dom.family, 5)], addrs[0]);
        m.append(R"(","reportingMTA":"a27-12.smtp-out.ap-northeast-1.amazonses.com","remoteMtaIp":"142.250.157.27"})");
        break;
    case ses_kind::bounce_permanent:
        m.append(R"({"eventType":"Bounce","bounce":{"feedbackId":"0106018e)");
        put_hex(m, v, 16);
        m.append(R"(-000000","bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":)");
        put_recipient_list(true, R"(,"action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 <%a>: Recipient address rejected: User unknown in local recipient table")");
        m.append(R"(,"timestamp":)");
        put_time(e.when_us);
        m.append(R"(,"remoteMtaIp":"192.0.2.25","reportingMTA":"dns; a27-12.smtp-out.ap-northeast-1.amazonses.com"})");
        break;
    case ses_kind::bounce_transient:
        m.append(R"({"eventType":"Bounce","bounce":{"feedbackId":"0106018e)");
        put_hex(m, v, 16);
        m.append(R"(-000000","bounceType":"Transient","bounceSubType":"MailboxFull","bouncedRecipients":)");
        put_recipient_list(true, R"(,"action":"failed","status":"4.2.2","diagnosticCode":"smtp; 452 4.2.2 <%a>: Mailbox full")");
        m.append(R"(,"timestamp":)");
        put_time(e.when_us);
        m.append(R"(,"reportingMTA":"dns; a27-12.smtp-out.ap-northeast-1.amazonses.com"})");
        break;
    case ses_kind::delay:
        m.append(R"({"eventType":"DeliveryDelay","deliveryDelay":{"timestamp":)");
        put_time(e.when_us);
        m.append(R"(,"delayType":"TransientCommunicationFailure","expirationTime":)");
        put_time(e.when_us + 86400LL * 1000000);
        m.append(R"(,"delayedRecipients":)");
        put_recipient_list(true, R"(,"status":"4.4.7","diagnosticCode":"smtp; 421 4.4.0 Unable to connect to the remote host")");
        m.append("}");
        break;
    case ses_kind::complaint:
        m.append(R"({"eventType":"Complaint","complaint":{"feedbackId":"0106018e)");
        put_hex(m, v, 16);
        m.append(R"(-000000","complainedRecipients":)");
        put_recipient_list(true, {});
        m.append(R"(,"timestamp":)");
        put_time(e.when_us);
        m.append(R"(,"complaintFeedbackType":"abuse","userAgent":"Yahoo!-Mail-Feedback/2.0","arrivalDate":)");
        put_time(e.when_us - 5000000);
        m.append("}");
        break;
    case ses_kind::open:
        m.append(R"({"eventType":"Open","open":{"ipAddress":"203.0.113.7","timestamp":)");
        put_time(e.when_us);
        m.append(R"(,"userAgent":")").append(user_agents[v % user_agents.size()]).append(R"("})");
        break;
    }
    m.append(R"(,"mail":{"timestamp":)");
    put_time(e.when_us - 2000000);
    m.append(R"(,"source":"news@mail.example-corp.co.jp","sourceArn":"arn:aws:ses:ap-northeast-1:123456789012:identity/mail.example-corp.co.jp",)"
             R"("sendingAccountId":"123456789012","messageId":"0106018e)");
    put_hex(m, h3(k, 1, s_variant), 16);
    m.append(R"(-000000","destination":)");
    put_recipient_list(false, {});
    m.append(R"(,"headersTruncated":false,"tags":{"ses:configuration-set":["newsletter"],"ses:source-ip":["192.0.2.10"])");
    if (h3(k, e.rcpt[0], s_user) % 10 != 0) {
        m.append(R"(,"user_id":["u-)");
        put_u64(m, e.rcpt[0]);
        m.append(R"("])");
    }
    m.append("}}}");

    auto& b = out.body;
    b.reserve(m.size() + m.size() / 8 + 1200);
    b.append(R"({"Type":"Notification","MessageId":")");
    put_sns_message_id(b, opts_, k);
    b.append(R"(","TopicArn":"arn:aws:sns:ap-northeast-1:123456789012:ses-events","Message":")");
    put_json_escaped(b, m);
    b.append(R"(","Timestamp":")");
    put_iso8601(b, e.when_us + 1500000);
    // A signature of the right shape, which the load test does not have
    // checked (REBOUND_SECRET__SES__VERIFY_SIGNATURE=false). The certificate
    // URL is on a host no SNS allow-list accepts (.invalid), so rebound never
    // tries to fetch it: it would, even with the check off, and that would be
    // traffic off this machine (and a 5 s wait per request without network).
    b.append(R"(","SignatureVersion":"1","Signature":")");
    put_token(b, h3(k, 2, s_variant), 342);
    b.append(R"(==","SigningCertURL":"https://sns.ap-northeast-1.loadtest.invalid/SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem",)"
             R"("UnsubscribeURL":"https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:ap-northeast-1:123456789012:ses-events:5b6c7d8e-1f2a-4b3c-9d8e-7f6a5b4c3d2e"})");
    out.events = e.rcpt_count;
    out.stored = ses_stored(e.kind) ? e.rcpt_count : 0;
}

void
generator::mailgun_body(std::uint64_t k, request_spec& out) const
{
    out.target = "/v1/webhooks/mailgun";
    out.content_type = "application/json";
    auto const e = mg_describe(opts_, k);
    auto const v = h3(k, 0, s_variant);
    auto const addr = address(e.rcpt);
    auto const& dom = domain_of(e.rcpt);

    auto& b = out.body;
    b.reserve(1500);
    // No signing key is configured in the load test, so rebound does not
    // check this block; it is here so bodies have their real size and shape.
    b.append(R"({"signature":{"token":")");
    put_hex(b, v, 16);
    put_hex(b, splitmix(v), 16);
    put_hex(b, splitmix(v + 1), 16);
    b.append(R"(","timestamp":")");
    put_u64(b, static_cast<std::uint64_t>(e.when_us / 1000000 + 1));
    b.append(R"(","signature":")");
    put_hex(b, splitmix(v + 2), 16);
    put_hex(b, splitmix(v + 3), 16);
    put_hex(b, splitmix(v + 4), 16);
    put_hex(b, splitmix(v + 5), 16);
    b.append(R"("},"event-data":{"id":")");
    put_mg_id(b, opts_, k);
    b.append(R"(","timestamp":)");
    put_fraction_seconds(b, e.when_us);
    b.append(R"(,"log-level":")");
    b.append(e.kind == mg_kind::delivered || e.kind == mg_kind::opened ? "info" : e.kind == mg_kind::temporary ? "warn" : "error");
    b.append(R"(","event":")");
    switch (e.kind) {
    case mg_kind::delivered: b.append("delivered"); break;
    case mg_kind::temporary:
    case mg_kind::permanent:
    case mg_kind::suppressed: b.append("failed"); break;
    case mg_kind::complained: b.append("complained"); break;
    case mg_kind::opened: b.append("opened"); break;
    }
    b.push_back('"');
    if (e.kind == mg_kind::temporary) b.append(R"(,"severity":"temporary","reason":"generic")");
    if (e.kind == mg_kind::permanent) b.append(R"(,"severity":"permanent","reason":"bounce")");
    if (e.kind == mg_kind::suppressed) b.append(R"(,"severity":"permanent","reason":"suppress-bounce")");
    b.append(R"(,"recipient":")").append(addr);
    b.append(R"(","recipient-domain":")").append(dom.name);
    b.append(R"(","envelope":{"transport":"smtp","sender":"bounce@mg.example-corp.co.jp","sending-ip":"198.51.100.7","targets":")");
    b.append(addr);
    b.append(R"("},"message":{"headers":{"to":")").append(addr);
    b.append(R"(","message-id":"20240301102030.)");
    put_hex(b, h3(k, 1, s_variant), 16);
    b.append(R"(@mg.example-corp.co.jp","from":"Example Corp <news@mg.example-corp.co.jp>","subject":"Spring sale"},"attachments":[],"size":)");
    put_u64(b, 20000 + v % 20000);
    b.append(R"(},"flags":{"is-routed":false,"is-authenticated":true,"is-system-test":false,"is-test-mode":false})");
    switch (e.kind) {
    case mg_kind::delivered:
        b.append(R"(,"delivery-status":{"tls":true,"mx-host":"mx.)").append(dom.name);
        b.append(R"(","code":250,"description":"","session-seconds":0.53,"utf8":true,"attempt-no":1,"message":")");
        put_template(b, delivered_text[std::min<unsigned>(dom.family, 5)], addr);
        b.append(R"(","certificate-verified":true})");
        break;
    case mg_kind::temporary:
        b.append(R"(,"delivery-status":{"tls":true,"mx-host":"mx.)").append(dom.name);
        b.append(R"(","code":421,"description":"","attempt-no":2,"message":")");
        put_template(b, deferred_text[v % deferred_text.size()], addr);
        b.append(R"(","retry-seconds":600})");
        break;
    case mg_kind::permanent:
        b.append(R"(,"delivery-status":{"tls":true,"mx-host":"mx.)").append(dom.name);
        b.append(R"(","code":550,"enhanced-code":"5.1.1","description":"","attempt-no":1,"message":")");
        put_template(b, hard_bounce_text[dom.family], addr);
        b.append(R"("})");
        break;
    case mg_kind::suppressed:
        b.append(R"(,"delivery-status":{"code":605,"description":"Not delivering to previously bounced address","attempt-no":1,"message":""})");
        break;
    case mg_kind::complained:
    case mg_kind::opened: break;
    }
    if (h3(k, e.rcpt, s_user) % 10 != 0) {
        b.append(R"(,"user-variables":{"user_id":"u-)");
        put_u64(b, e.rcpt);
        b.append(R"("})");
    }
    b.append("}}");
    out.events = 1;
    out.stored = mg_stored(e.kind) ? 1 : 0;
}

void
generator::stored_keys(std::uint64_t k, std::vector<stored_key>& out) const
{
    auto const src = resolve_replay(k);
    switch (kind_of(src)) {
    case provider_kind::sendgrid:
        for (std::size_t i = 0; i < opts_.batch; ++i) {
            std::uint64_t sk = src;
            std::size_t si = i;
            if (!sendgrid_dup_source(src, i, sk, si)) {
                sk = src;
                si = i;
            }
            auto const e = sg_describe(opts_, sk, si);
            if (!sg_stored(e.type)) continue;
            stored_key key{provider_kind::sendgrid, {}, address(e.rcpt)};
            put_sg_event_id(key.id, opts_, e);
            out.push_back(std::move(key));
        }
        break;
    case provider_kind::ses: {
        auto const e = ses_describe(opts_, src);
        if (!ses_stored(e.kind)) break;
        for (unsigned r = 0; r < e.rcpt_count; ++r) {
            // rebound's key: the SNS MessageId and the (lower-case) recipient.
            stored_key key{provider_kind::ses, {}, address(e.rcpt[r])};
            put_sns_message_id(key.id, opts_, src);
            key.id.push_back(':');
            key.id.append(key.recipient);
            out.push_back(std::move(key));
        }
        break;
    }
    case provider_kind::mailgun: {
        auto const e = mg_describe(opts_, src);
        if (!mg_stored(e.kind)) break;
        // rebound's key: the event id and the event time in microseconds.
        stored_key key{provider_kind::mailgun, {}, address(e.rcpt)};
        put_mg_id(key.id, opts_, src);
        key.id.push_back(':');
        put_u64(key.id, static_cast<std::uint64_t>(e.when_us));
        out.push_back(std::move(key));
        break;
    }
    }
}

}  // namespace rebound::loadtest
