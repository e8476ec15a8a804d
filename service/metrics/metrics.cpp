// Prometheus text rendering and the webhook outcome helpers.
#include "metrics/metrics.hpp"

#include <cmath>
#include <sstream>

namespace rebound::metrics {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size()])
{
    for (std::size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void
histogram::observe(double v) noexcept
{
    for (std::size_t i = 0; i < bounds_.size(); ++i)
        if (v <= bounds_[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    if (v > 0) sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

double
histogram::sum() const noexcept
{
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

namespace {

template <class T, class Family>
T&
lookup(Family& families, std::string const& name, std::string const& help, labels const& l, auto make)
{
    auto& fam = families[name];
    if (fam.help.empty()) fam.help = help;
    auto& slot = fam.series[l];
    if (!slot) slot = make();
    return *slot;
}

std::string
escape(std::string_view v)
{
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string
label_text(labels const& l, std::string_view extra_key = {}, std::string_view extra_value = {})
{
    if (l.empty() && extra_key.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (auto const& [k, v] : l) {
        if (!first) out += ",";
        out += k + "=\"" + escape(v) + "\"";
        first = false;
    }
    if (!extra_key.empty()) {
        if (!first) out += ",";
        out += std::string(extra_key) + "=\"" + std::string(extra_value) + "\"";
    }
    return out + "}";
}

}  // namespace

counter&
registry::get_counter(std::string const& name, std::string const& help, labels const& l)
{
    std::lock_guard lock{mutex_};
    return lookup<counter>(counters_, name, help, l, [] { return std::make_unique<counter>(); });
}

gauge&
registry::get_gauge(std::string const& name, std::string const& help, labels const& l)
{
    std::lock_guard lock{mutex_};
    return lookup<gauge>(gauges_, name, help, l, [] { return std::make_unique<gauge>(); });
}

histogram&
registry::get_histogram(std::string const& name, std::string const& help, std::vector<double> const& bounds,
                        labels const& l)
{
    std::lock_guard lock{mutex_};
    return lookup<histogram>(histograms_, name, help, l, [&] { return std::make_unique<histogram>(bounds); });
}

std::string
registry::render() const
{
    std::lock_guard lock{mutex_};
    std::ostringstream out;
    for (auto const& [name, fam] : counters_) {
        out << "# HELP " << name << " " << fam.help << "\n# TYPE " << name << " counter\n";
        for (auto const& [l, c] : fam.series) out << name << label_text(l) << " " << c->value() << "\n";
    }
    for (auto const& [name, fam] : gauges_) {
        out << "# HELP " << name << " " << fam.help << "\n# TYPE " << name << " gauge\n";
        for (auto const& [l, g] : fam.series) out << name << label_text(l) << " " << g->value() << "\n";
    }
    for (auto const& [name, fam] : histograms_) {
        out << "# HELP " << name << " " << fam.help << "\n# TYPE " << name << " histogram\n";
        for (auto const& [l, h] : fam.series) {
            for (std::size_t i = 0; i < h->bounds().size(); ++i) {
                std::ostringstream le;
                le << h->bounds()[i];
                out << name << "_bucket" << label_text(l, "le", le.str()) << " " << h->bucket(i) << "\n";
            }
            out << name << "_bucket" << label_text(l, "le", "+Inf") << " " << h->count() << "\n";
            out << name << "_sum" << label_text(l) << " " << h->sum() << "\n";
            out << name << "_count" << label_text(l) << " " << h->count() << "\n";
        }
    }
    return out.str();
}

registry&
global()
{
    static registry instance;
    return instance;
}

std::string_view
to_string(outcome o) noexcept
{
    switch (o) {
    case outcome::accepted: return "accepted";
    case outcome::duplicate: return "duplicate";
    case outcome::ignored: return "ignored";
    case outcome::rejected: return "rejected";
    case outcome::auth_failure: return "auth_failure";
    case outcome::parse_error: return "parse_error";
    case outcome::unavailable: return "unavailable";
    case outcome::spooled: return "spooled";
    }
    return "unknown";
}

void
count(std::string_view provider, std::string_view source, outcome o, std::uint64_t n)
{
    if (n == 0) return;
    global()
        .get_counter("rebound_webhook_events_total",
                     "Webhook events and requests by outcome (auth_failure, parse_error and unavailable count requests)",
                     {{"provider", std::string(provider)}, {"source", std::string(source)}, {"outcome", std::string(to_string(o))}})
        .inc(n);
}

}  // namespace rebound::metrics
