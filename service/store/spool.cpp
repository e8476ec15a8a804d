// The durable spool (see spool.hpp for the format and the why).
#include "store/spool.hpp"

#include "log/log.hpp"
#include "metrics/metrics.hpp"

#include <boost/json.hpp>

#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace rebound::store {

namespace {

constexpr std::uint32_t record_magic = 0x52424e44;  // "RBND"
constexpr std::uint32_t max_record = 64u << 20;

std::array<std::uint32_t, 256> const&
crc_table()
{
    static std::array<std::uint32_t, 256> const table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    return table;
}

void
put_u32(std::string& out, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t
get_u32(char const* p) noexcept
{
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

std::string
segment_name(std::uint64_t seq)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "spool-%016llx.seg", static_cast<unsigned long long>(seq));
    return buf;
}

bool
is_segment(std::filesystem::path const& p)
{
    auto const name = p.filename().string();
    return name.size() == 26 && name.rfind("spool-", 0) == 0 && p.extension() == ".seg";
}

boost::json::object
event_json(model::normalized_event const& e)
{
    boost::json::object o{{"provider", e.provider},
                          {"source", e.source},
                          {"id", e.provider_event_id.view()},
                          {"type", model::to_string(e.type)},
                          {"recipient", e.recipient.view()},
                          {"domain", e.recipient_domain.view()},
                          {"at", e.occurred_at},
                          {"status", e.enhanced_status},
                          {"diagnostic", e.diagnostic.view()},
                          {"message_id", e.esp_message_id.view()},
                          {"esp_class", e.esp_class},
                          {"esp_type", e.esp_type},
                          {"remote_mta", e.remote_mta},
                          {"user_ref", e.user_ref},
                          {"raw", e.raw_json.view()},
                          {"reason", e.reason},
                          {"severity", model::to_string(e.sev)},
                          {"classifier_version", e.classifier_version}};
    if (e.smtp_code) o["code"] = *e.smtp_code;
    return o;
}

std::string
str_at(boost::json::object const& o, char const* key)
{
    auto const* v = o.if_contains(key);
    return (v && v->is_string()) ? std::string(v->get_string()) : std::string{};
}

}  // namespace

std::uint32_t
crc32c(std::string_view data) noexcept
{
    auto const& t = crc_table();
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : data) c = t[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string
encode_spooled(spooled_request const& r)
{
    boost::json::array events, rejected;
    for (auto const& e : r.events) events.push_back(event_json(e));
    for (auto const& x : r.rejected)
        rejected.push_back({{"provider", x.provider}, {"source", x.source}, {"why", x.why}, {"raw", x.raw_json}});
    return boost::json::serialize(boost::json::object{{"events", std::move(events)}, {"rejected", std::move(rejected)}});
}

bool
decode_spooled(std::string_view payload, spooled_request& out)
{
    boost::system::error_code ec;
    auto const v = boost::json::parse(payload, ec);
    if (ec || !v.is_object()) return false;
    auto const& root = v.get_object();
    auto const* events = root.if_contains("events");
    auto const* rejected = root.if_contains("rejected");
    if (!events || !events->is_array() || !rejected || !rejected->is_array()) return false;
    for (auto const& item : events->get_array()) {
        if (!item.is_object()) return false;
        auto const& o = item.get_object();
        model::normalized_event e;
        e.provider = str_at(o, "provider");
        e.source = str_at(o, "source");
        e.provider_event_id = str_at(o, "id");
        auto const type = model::parse_event_type(str_at(o, "type"));
        auto const* at = o.if_contains("at");
        if (!type || !at || !at->is_int64() || e.provider.empty() || e.provider_event_id.empty()) return false;
        e.type = *type;
        e.occurred_at = at->get_int64();
        e.recipient = str_at(o, "recipient");
        e.recipient_domain = str_at(o, "domain");
        if (auto const* code = o.if_contains("code"); code && code->is_int64()) e.smtp_code = static_cast<int>(code->get_int64());
        e.enhanced_status = str_at(o, "status");
        e.diagnostic = str_at(o, "diagnostic");
        e.esp_message_id = str_at(o, "message_id");
        e.esp_class = str_at(o, "esp_class");
        e.esp_type = str_at(o, "esp_type");
        e.remote_mta = str_at(o, "remote_mta");
        e.user_ref = str_at(o, "user_ref");
        e.raw_json = str_at(o, "raw");
        e.reason = str_at(o, "reason");
        e.sev = model::parse_severity(str_at(o, "severity")).value_or(model::severity::none);
        if (auto const* cv = o.if_contains("classifier_version"); cv && cv->is_int64())
            e.classifier_version = static_cast<int>(cv->get_int64());
        out.events.push_back(std::move(e));
    }
    for (auto const& item : rejected->get_array()) {
        if (!item.is_object()) return false;
        auto const& o = item.get_object();
        out.rejected.push_back({str_at(o, "provider"), str_at(o, "source"), str_at(o, "why"), str_at(o, "raw")});
    }
    return true;
}

//------------------------------------------------------------------------------

struct spool::impl {
    options opts;
    mutable std::mutex mutex;
    std::condition_variable wake;
    struct pending {
        std::string bytes;
        std::function<void(boost::system::error_code)> done;
    };
    std::deque<pending> queue;
    bool stopping = false;
    std::thread thread;

    int fd = -1;                // the active segment, when open
    std::uint64_t next_seq = 1;
    std::uint64_t active_seq = 0;
    std::uint64_t active_bytes = 0;
    std::uint64_t total_bytes = 0;
    std::uint64_t queued_bytes = 0;

    metrics::gauge& bytes_gauge = metrics::global().get_gauge("rebound_spool_bytes", "Bytes waiting in the spool");
    metrics::gauge& age_gauge =
        metrics::global().get_gauge("rebound_spool_oldest_unix", "Time the oldest spool segment was written (0 when empty)");
    metrics::counter& appended = metrics::global().get_counter("rebound_spool_appends_total", "Requests written to the spool");
    metrics::counter& refused = metrics::global().get_counter("rebound_spool_full_total", "Requests refused because the spool was full");

    void
    sync_dir()
    {
        int const d = ::open(opts.dir.c_str(), O_RDONLY | O_DIRECTORY);
        if (d >= 0) {
            ::fsync(d);
            ::close(d);
        }
    }

    bool
    ensure_open()
    {
        if (fd >= 0 && active_bytes < opts.segment_bytes) return true;
        if (fd >= 0) close_active();
        active_seq = next_seq++;
        fd = ::open((opts.dir / segment_name(active_seq)).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) return false;
        active_bytes = 0;
        sync_dir();  // the new file's name must survive a crash too
        return true;
    }

    void
    close_active()
    {
        if (fd < 0) return;
        ::close(fd);
        fd = -1;
    }

    void
    run()
    {
        for (;;) {
            std::deque<pending> batch;
            {
                std::unique_lock lock{mutex};
                wake.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return;
                // Give concurrent requests a moment to share this fsync.
                wake.wait_for(lock, opts.group_delay, [&] { return stopping; });
                batch.swap(queue);
            }
            std::string bytes;
            for (auto const& p : batch) bytes += p.bytes;

            boost::system::error_code ec;
            {
                std::lock_guard lock{mutex};
                if (!ensure_open()) ec = boost::system::error_code(errno, boost::system::system_category());
                std::size_t written = 0;
                while (!ec && written < bytes.size()) {
                    auto const n = ::write(fd, bytes.data() + written, bytes.size() - written);
                    if (n < 0) {
                        if (errno == EINTR) continue;
                        ec = boost::system::error_code(errno, boost::system::system_category());
                    } else {
                        written += static_cast<std::size_t>(n);
                    }
                }
                if (!ec && ::fdatasync(fd) != 0) ec = boost::system::error_code(errno, boost::system::system_category());
                if (!ec) {
                    active_bytes += bytes.size();
                    total_bytes += bytes.size();
                }
                queued_bytes -= bytes.size();
                bytes_gauge.set(static_cast<std::int64_t>(total_bytes));
            }
            if (ec) log::error("spool write failed", {{"error", ec.message()}});
            for (auto& p : batch) {
                if (!ec) appended.inc();
                p.done(ec);
            }
        }
    }
};

std::unique_ptr<spool>
spool::open(options opts, std::string& error)
{
    std::error_code ec;
    std::filesystem::create_directories(opts.dir, ec);
    if (ec) {
        error = "cannot create " + opts.dir.string() + ": " + ec.message();
        return nullptr;
    }
    auto i = std::make_unique<impl>();
    i->opts = std::move(opts);
    for (auto const& entry : std::filesystem::directory_iterator(i->opts.dir, ec)) {
        if (!is_segment(entry.path())) continue;
        auto const seq = std::stoull(entry.path().stem().string().substr(6), nullptr, 16);
        i->next_seq = std::max<std::uint64_t>(i->next_seq, seq + 1);
        i->total_bytes += entry.file_size();
    }
    if (ec) {
        error = "cannot read " + i->opts.dir.string() + ": " + ec.message();
        return nullptr;
    }
    // Probe that the directory is writable now, not at the first outage.
    auto const probe = i->opts.dir / ".write-test";
    {
        std::ofstream out(probe);
        if (!out) {
            error = "cannot write in " + i->opts.dir.string();
            return nullptr;
        }
    }
    std::filesystem::remove(probe, ec);
    i->bytes_gauge.set(static_cast<std::int64_t>(i->total_bytes));
    auto* raw = i.get();
    i->thread = std::thread([raw] { raw->run(); });
    return std::unique_ptr<spool>(new spool(std::move(i)));
}

spool::spool(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

spool::~spool()
{
    stop();
}

void
spool::append(spooled_request const& r, std::function<void(boost::system::error_code)> done)
{
    auto const payload = encode_spooled(r);
    std::string record;
    record.reserve(payload.size() + 12);
    put_u32(record, record_magic);
    put_u32(record, static_cast<std::uint32_t>(payload.size()));
    put_u32(record, crc32c(payload));
    record += payload;
    {
        std::lock_guard lock{impl_->mutex};
        if (impl_->stopping || payload.size() > max_record ||
            impl_->total_bytes + impl_->queued_bytes + record.size() > impl_->opts.max_bytes) {
            impl_->refused.inc();
            done(make_error_code(boost::system::errc::no_space_on_device));
            return;
        }
        impl_->queued_bytes += record.size();
        impl_->queue.push_back({std::move(record), std::move(done)});
    }
    impl_->wake.notify_one();
}

void
spool::rotate()
{
    std::lock_guard lock{impl_->mutex};
    impl_->close_active();
}

std::vector<std::filesystem::path>
spool::closed_segments() const
{
    std::vector<std::filesystem::path> out;
    std::lock_guard lock{impl_->mutex};
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator(impl_->opts.dir, ec)) {
        if (!is_segment(entry.path())) continue;
        if (impl_->fd >= 0 && entry.path().filename() == segment_name(impl_->active_seq)) continue;
        out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t
spool::read_segment(std::filesystem::path const& p, std::function<void(spooled_request&&)> const& on_record)
{
    std::ifstream in(p, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t pos = 0;
    while (pos + 12 <= data.size()) {
        auto const magic = get_u32(data.data() + pos);
        auto const len = get_u32(data.data() + pos + 4);
        auto const crc = get_u32(data.data() + pos + 8);
        if (magic != record_magic || len > max_record || pos + 12 + len > data.size()) break;
        std::string_view const payload(data.data() + pos + 12, len);
        if (crc32c(payload) != crc) break;
        spooled_request r;
        if (!decode_spooled(payload, r)) break;
        on_record(std::move(r));
        pos += 12 + len;
    }
    if (pos == data.size()) return 0;
    // Whatever follows the first bad record cannot be trusted to start on a
    // record boundary; count it as one torn tail.
    log::warn("spool segment has a torn or corrupt tail; skipped",
              {{"segment", p.filename().string()}, {"offset", std::to_string(pos)},
               {"bytes_skipped", std::to_string(data.size() - pos)}});
    metrics::global().get_counter("rebound_spool_corrupt_tails_total", "Spool segments whose tail was torn or corrupt").inc();
    return 1;
}

void
spool::remove(std::filesystem::path const& p)
{
    std::error_code ec;
    auto const size = std::filesystem::file_size(p, ec);
    if (!std::filesystem::remove(p, ec) || ec) return;
    std::lock_guard lock{impl_->mutex};
    impl_->total_bytes -= std::min<std::uint64_t>(impl_->total_bytes, size);
    impl_->bytes_gauge.set(static_cast<std::int64_t>(impl_->total_bytes));
    impl_->sync_dir();
}

spool_stats
spool::stats() const
{
    spool_stats s;
    std::lock_guard lock{impl_->mutex};
    s.bytes = impl_->total_bytes;
    std::error_code ec;
    std::filesystem::file_time_type oldest = std::filesystem::file_time_type::max();
    for (auto const& entry : std::filesystem::directory_iterator(impl_->opts.dir, ec)) {
        if (!is_segment(entry.path())) continue;
        ++s.segments;
        oldest = std::min(oldest, entry.last_write_time(ec));
    }
    if (s.segments > 0) {
        auto const sys = std::chrono::file_clock::to_sys(oldest);
        s.oldest_unix = std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
    }
    impl_->age_gauge.set(s.oldest_unix);
    return s;
}

void
spool::stop()
{
    {
        std::lock_guard lock{impl_->mutex};
        if (impl_->stopping) return;
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    if (impl_->thread.joinable()) impl_->thread.join();
    std::lock_guard lock{impl_->mutex};
    impl_->close_active();
}

}  // namespace rebound::store
