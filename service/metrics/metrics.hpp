// Counters, gauges and histograms, exposed in Prometheus text format.
//
// Metrics are part of the design, not an afterthought: every outcome of a
// webhook (accepted, duplicate, ignored, rejected, auth failure, parse error)
// is a counter labelled by provider and source, so an operator can tell a
// misconfigured secret from an ESP outage at a glance. Lookups take a mutex;
// callers on hot paths keep the returned reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rebound::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
    void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    std::vector<double> const& bounds() const noexcept { return bounds_; }
    std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
    double sum() const noexcept;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_micros_{0};  // sums kept in millionths to stay lock-free
};

class registry {
public:
    counter& get_counter(std::string const& name, std::string const& help, labels const& l = {});
    gauge& get_gauge(std::string const& name, std::string const& help, labels const& l = {});
    histogram& get_histogram(std::string const& name, std::string const& help, std::vector<double> const& bounds,
                             labels const& l = {});

    /// Text exposition format 0.0.4.
    std::string render() const;

private:
    template <class T>
    struct family {
        std::string help;
        std::map<labels, std::unique_ptr<T>> series;
    };
    mutable std::mutex mutex_;
    std::map<std::string, family<counter>> counters_;
    std::map<std::string, family<gauge>> gauges_;
    std::map<std::string, family<histogram>> histograms_;
};

/// The process-wide registry.
registry& global();

/// Webhook outcomes, one counter each per provider and source.
enum class outcome { accepted, duplicate, ignored, rejected, auth_failure, parse_error, unavailable, spooled };
std::string_view to_string(outcome o) noexcept;
void count(std::string_view provider, std::string_view source, outcome o, std::uint64_t n = 1);

}  // namespace rebound::metrics
