// A durable local spool for when PostgreSQL cannot take events.
//
// Amazon SNS gives up after about a minute and never retries a 4xx, so a
// database outage longer than that would lose SES events if rebound could
// only answer 503. Instead, a request whose events cannot be committed is
// appended here and acknowledged once the append is fsynced; a replayer
// feeds the spool back through the normal writer when the database returns.
// Replays are harmless because every event carries its dedup key.
//
// Format: segment files spool-<16 hex digits>.seg, each a sequence of
// records [magic u32][length u32][crc32c u32][payload], little-endian. A
// record whose header or checksum does not match (a torn tail after a crash)
// ends the segment: it is reported and skipped, never loaded as garbage.
// Appends from many requests are grouped into one write and one fdatasync.
#pragma once

#include "model/event.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rebound::store {

/// One request's events, as they travel through the spool.
struct spooled_request {
    std::vector<model::normalized_event> events;
    std::vector<model::rejected_event> rejected;
};

/// Serialisation of a spooled request (JSON, so a person can read a segment).
std::string encode_spooled(spooled_request const& r);
bool decode_spooled(std::string_view payload, spooled_request& out);

/// CRC-32C (Castagnoli), as used by the record headers.
std::uint32_t crc32c(std::string_view data) noexcept;

struct spool_stats {
    std::uint64_t bytes = 0;
    std::uint64_t segments = 0;
    std::int64_t oldest_unix = 0;  // 0 when empty
};

class spool {
public:
    struct options {
        std::filesystem::path dir;
        std::uint64_t max_bytes = 1ULL << 30;
        std::uint64_t segment_bytes = 16ULL << 20;
        std::chrono::milliseconds group_delay{2};  // how long an fsync waits for company
    };

    /// Opens (creating) the directory. Existing segments are kept for replay.
    static std::unique_ptr<spool> open(options opts, std::string& error);
    ~spool();

    /// Appends a request; `done(ec)` runs once the record is on disk (ec
    /// empty) or could not be written (full: errc::no_space_on_device).
    void append(spooled_request const& r, std::function<void(boost::system::error_code)> done);

    /// Closes the segment being appended to, so the replayer may take it.
    void rotate();

    /// Closed segments, oldest first.
    std::vector<std::filesystem::path> closed_segments() const;

    /// Reads one segment. `on_record` gets each intact record; returns the
    /// number of corrupt or torn records skipped at the end.
    static std::size_t read_segment(std::filesystem::path const& p,
                                    std::function<void(spooled_request&&)> const& on_record);

    /// Deletes a segment whose records are all committed.
    void remove(std::filesystem::path const& p);

    spool_stats stats() const;

    void stop();

private:
    struct impl;
    explicit spool(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

}  // namespace rebound::store
