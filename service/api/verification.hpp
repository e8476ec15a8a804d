// Service-side state that signature checks need but providers must not own:
// fetched documents (SNS signing certificates) and remembered replay keys
// (Mailgun tokens). Both are bounded and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace rebound::http {
class fetcher;
}

namespace rebound::api {

/// Documents by URL: pre-loaded from a directory (for deployments without
/// internet access: files named like the URL's last path segment, e.g.
/// SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem), else
/// fetched once over https and kept.
class document_cache {
public:
    document_cache(http::fetcher& fetcher, std::string const& preload_dir, std::size_t capacity = 256);

    std::optional<std::string> find(std::string const& url) const;

    /// Fetches and stores `url`; `done(true)` once it is in the cache. A URL
    /// whose fetch failed is not tried again for `failure_backoff`.
    void fetch(std::string const& url, std::function<void(bool)> done);

    static constexpr std::chrono::seconds failure_backoff{30};

    std::size_t preloaded() const noexcept { return preloaded_; }

private:
    http::fetcher& fetcher_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::string> by_url_;
    std::unordered_map<std::string, std::string> by_file_name_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> failed_until_;
    std::size_t capacity_;
    std::size_t preloaded_ = 0;
};

/// Keys seen within their time to live, oldest evicted first beyond capacity.
class replay_cache {
public:
    explicit replay_cache(std::size_t capacity = 100000) : capacity_(capacity) {}
    bool seen(std::string const& key, std::int64_t now) const;
    /// Also forgets every key that expired by `now`.
    void remember(std::string const& key, std::int64_t now, std::int64_t expires_at);

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> expiry_;
    std::multimap<std::int64_t, std::string> by_expiry_;
    std::size_t capacity_;
};

}  // namespace rebound::api
