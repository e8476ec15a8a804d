// Document and replay caches (see verification.hpp).
#include "api/verification.hpp"

#include "http/fetch.hpp"
#include "log/log.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rebound::api {

namespace {

std::string
last_segment(std::string const& url)
{
    auto const q = url.find_first_of("?#");
    auto const path = url.substr(0, q);
    auto const slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

document_cache::document_cache(http::fetcher& fetcher, std::string const& preload_dir, std::size_t capacity)
    : fetcher_(fetcher), capacity_(capacity)
{
    if (preload_dir.empty()) return;
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator(preload_dir, ec)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".pem") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        by_file_name_[entry.path().filename().string()] = ss.str();
        ++preloaded_;
    }
    if (ec) log::warn("cannot read the certificate directory", {{"dir", preload_dir}, {"error", ec.message()}});
}

std::optional<std::string>
document_cache::find(std::string const& url) const
{
    std::lock_guard lock{mutex_};
    if (auto const it = by_url_.find(url); it != by_url_.end()) return it->second;
    if (auto const it = by_file_name_.find(last_segment(url)); it != by_file_name_.end()) return it->second;
    return std::nullopt;
}

void
document_cache::fetch(std::string const& url, std::function<void(bool)> done)
{
    // After a failure, requests naming the same URL fail at once for a while
    // instead of each waiting out its own fetch timeout while the host is
    // unreachable; the ESP retries them later.
    auto const now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock{mutex_};
        auto const it = failed_until_.find(url);
        if (it != failed_until_.end()) {
            if (it->second > now) return done(false);
            failed_until_.erase(it);
        }
    }
    fetcher_.get(url, [this, url, done = std::move(done)](boost::system::error_code ec, unsigned status, std::string body) {
        if (ec || status != 200 || body.empty()) {
            log::warn("fetching a verification document failed",
                      {{"url", url}, {"status", std::to_string(status)}, {"error", ec ? ec.message() : std::string{}}});
            {
                std::lock_guard lock{mutex_};
                if (failed_until_.size() >= capacity_) failed_until_.clear();
                failed_until_[url] = std::chrono::steady_clock::now() + failure_backoff;
            }
            return done(false);
        }
        {
            std::lock_guard lock{mutex_};
            if (by_url_.size() >= capacity_) by_url_.clear();  // certificates rotate rarely; a refill is cheap
            by_url_[url] = std::move(body);
        }
        done(true);
    });
}

bool
replay_cache::seen(std::string const& key, std::int64_t now) const
{
    std::lock_guard lock{mutex_};
    auto const it = expiry_.find(key);
    return it != expiry_.end() && it->second > now;
}

void
replay_cache::remember(std::string const& key, std::int64_t now, std::int64_t expires_at)
{
    std::lock_guard lock{mutex_};
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        expiry_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
    if (expiry_.count(key)) return;
    expiry_[key] = expires_at;
    by_expiry_.emplace(expires_at, key);
    while (expiry_.size() > capacity_ && !by_expiry_.empty()) {
        expiry_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
}

}  // namespace rebound::api
