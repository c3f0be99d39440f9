#include "http/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace orsa::http {
namespace {

constexpr std::array<double, 15> kBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, INFINITY};

// Clients choose the method token; folding unknown ones keeps label
// cardinality bounded.
constexpr std::array<std::string_view, 10> kMethodLabels = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "OTHER"};

std::size_t method_index(std::string_view method) {
  for (std::size_t i = 0; i + 1 < kMethodLabels.size(); ++i) {
    if (kMethodLabels[i] == method) return i;
  }
  return kMethodLabels.size() - 1;
}

std::string_view method_label(std::string_view method) {
  return kMethodLabels[method_index(method)];
}

// Statuses a RouteSeries caches counters for; others take the lookup.
constexpr int kFirstCachedStatus = 100;
constexpr int kCachedStatuses = 500;  // 100..599

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

struct CounterKey {
  std::string method;
  std::string route;
  int status;
};

struct CounterKeyView {
  std::string_view method;
  std::string_view route;
  int status;
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const CounterKeyView& k) const {
    const std::hash<std::string_view> h;
    return h(k.method) ^ (h(k.route) * 31) ^ (std::hash<int>()(k.status) * 131);
  }
  std::size_t operator()(const CounterKey& k) const {
    return (*this)(CounterKeyView{k.method, k.route, k.status});
  }
};

struct KeyEq {
  using is_transparent = void;
  static CounterKeyView view(const CounterKey& k) { return {k.method, k.route, k.status}; }
  static CounterKeyView view(const CounterKeyView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const CounterKeyView x = view(a);
    const CounterKeyView y = view(b);
    return x.status == y.status && x.method == y.method && x.route == y.route;
  }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

struct Histogram {
  std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // not cumulative
  std::atomic<double> sum{0};
};

struct Gauge {
  std::string help;
  double value = 0;
};

}  // namespace

class Metrics::RouteSeries {
 public:
  explicit RouteSeries(std::string_view r) : route(r) {}
  const std::string route;
  // Filled on first use (entries are never removed, so the pointers stay valid).
  mutable std::atomic<Histogram*> histogram{nullptr};
  mutable std::array<std::array<std::atomic<std::atomic<std::uint64_t>*>, kCachedStatuses>,
                     kMethodLabels.size()>
      counters{};
};

struct Metrics::Impl {
  // Entries are only ever added, so a shared lock finds them and the atomics
  // are updated without holding an exclusive lock on the hot path.
  mutable std::shared_mutex mutex;
  std::unordered_map<CounterKey, std::unique_ptr<std::atomic<std::uint64_t>>, KeyHash, KeyEq>
      counters;
  std::unordered_map<std::string, std::unique_ptr<Histogram>, StringHash, std::equal_to<>>
      histograms;
  std::map<std::string, Gauge, std::less<>> gauges;

  std::pair<std::atomic<std::uint64_t>*, Histogram*> lookup(const CounterKeyView& key) {
    {
      std::shared_lock lock(mutex);
      const auto c = counters.find(key);
      const auto h = histograms.find(key.route);
      if (c != counters.end() && h != histograms.end()) return {c->second.get(), h->second.get()};
    }
    std::unique_lock lock(mutex);
    auto& counter =
        counters[CounterKey{std::string(key.method), std::string(key.route), key.status}];
    if (!counter) counter = std::make_unique<std::atomic<std::uint64_t>>(0);
    auto h = histograms.find(key.route);
    if (h == histograms.end()) {
      h = histograms.emplace(std::string(key.route), std::make_unique<Histogram>()).first;
    }
    return {counter.get(), h->second.get()};
  }

  std::mutex series_mutex;
  std::vector<std::unique_ptr<RouteSeries>> series;
};

namespace {

void observe(std::atomic<std::uint64_t>& counter, Histogram& histogram, double seconds) {
  counter.fetch_add(1, std::memory_order_relaxed);
  const auto bucket =
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin();
  histogram.buckets[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  histogram.sum.fetch_add(seconds, std::memory_order_relaxed);
}

}  // namespace

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::observe_request(std::string_view method, std::string_view route, int status,
                              double seconds) {
  auto [counter, histogram] = impl_->lookup({method_label(method), route, status});
  observe(*counter, *histogram, seconds);
}

const Metrics::RouteSeries& Metrics::route_series(std::string_view route) {
  std::lock_guard lock(impl_->series_mutex);
  for (const auto& s : impl_->series) {
    if (s->route == route) return *s;
  }
  return *impl_->series.emplace_back(std::make_unique<RouteSeries>(route));
}

void Metrics::observe_request(const RouteSeries& series, std::string_view method, int status,
                              double seconds) {
  const std::size_t m = method_index(method);
  if (status < kFirstCachedStatus || status >= kFirstCachedStatus + kCachedStatuses) {
    observe_request(kMethodLabels[m], series.route, status, seconds);
    return;
  }
  auto& slot = series.counters[m][static_cast<std::size_t>(status - kFirstCachedStatus)];
  std::atomic<std::uint64_t>* counter = slot.load(std::memory_order_acquire);
  Histogram* histogram = series.histogram.load(std::memory_order_acquire);
  if (counter == nullptr || histogram == nullptr) {
    auto found = impl_->lookup({kMethodLabels[m], series.route, status});
    counter = found.first;
    histogram = found.second;
    slot.store(counter, std::memory_order_release);
    series.histogram.store(histogram, std::memory_order_release);
  }
  observe(*counter, *histogram, seconds);
}

void Metrics::set_gauge(std::string_view name, std::string_view help, double value) {
  std::unique_lock lock(impl_->mutex);
  auto it = impl_->gauges.find(name);
  if (it == impl_->gauges.end()) {
    impl_->gauges.emplace(std::string(name), Gauge{std::string(help), value});
  } else {
    it->second.value = value;
  }
}

std::string Metrics::render() const {
  struct CounterRow {
    std::string labels;
    std::uint64_t value;
  };
  struct HistogramRow {
    std::string route;
    std::array<std::uint64_t, kBuckets.size()> buckets;
    double sum;
  };
  std::vector<CounterRow> counters;
  std::vector<HistogramRow> histograms;
  std::string out;
  {
    std::shared_lock lock(impl_->mutex);
    for (const auto& [name, gauge] : impl_->gauges) {
      fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name,
                     escape_help(gauge.help), name, name, gauge.value);
    }
    for (const auto& [key, value] : impl_->counters) {
      counters.push_back(
          {fmt::format("method=\"{}\",route=\"{}\",status=\"{}\"", escape_label(key.method),
                       escape_label(key.route), key.status),
           value->load(std::memory_order_relaxed)});
    }
    for (const auto& [route, h] : impl_->histograms) {
      HistogramRow row{escape_label(route), {}, 0};
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        row.buckets[i] = h->buckets[i].load(std::memory_order_relaxed);
      }
      row.sum = h->sum.load(std::memory_order_relaxed);
      histograms.push_back(std::move(row));
    }
  }
  std::sort(counters.begin(), counters.end(),
            [](const auto& a, const auto& b) { return a.labels < b.labels; });
  std::sort(histograms.begin(), histograms.end(),
            [](const auto& a, const auto& b) { return a.route < b.route; });

  out +=
      "# HELP orsa_http_requests_total HTTP requests served, by method, route and status.\n"
      "# TYPE orsa_http_requests_total counter\n";
  for (const auto& row : counters) {
    fmt::format_to(std::back_inserter(out), "orsa_http_requests_total{{{}}} {}\n", row.labels,
                   row.value);
  }
  out +=
      "# HELP orsa_http_request_duration_seconds HTTP request latency, by route.\n"
      "# TYPE orsa_http_request_duration_seconds histogram\n";
  for (const auto& row : histograms) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += row.buckets[i];
      const std::string le = std::isinf(kBuckets[i]) ? "+Inf" : fmt::format("{}", kBuckets[i]);
      fmt::format_to(std::back_inserter(out),
                     "orsa_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     row.route, le, cumulative);
    }
    // The count is the +Inf bucket, so the series stay consistent even
    // while observations race with rendering.
    fmt::format_to(std::back_inserter(out),
                   "orsa_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n"
                   "orsa_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                   row.route, row.sum, row.route, cumulative);
  }
  return out;
}

}  // namespace orsa::http
