#include "gateway/route_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "recorder.hpp"

namespace orsa::gateway {
namespace {

using RouteKey = std::pair<std::string, std::string>;  // (owner, project)
using RouteKeyView = std::pair<std::string_view, std::string_view>;

struct RouteKeyHash {
  using is_transparent = void;
  std::size_t operator()(const RouteKeyView& k) const {
    const std::hash<std::string_view> h;
    return h(k.first) * 31 ^ h(k.second);
  }
  std::size_t operator()(const RouteKey& k) const {
    return (*this)(RouteKeyView(k.first, k.second));
  }
};

struct RouteKeyEq {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::string_view(a.first) == std::string_view(b.first) &&
           std::string_view(a.second) == std::string_view(b.second);
  }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

struct Entry {
  std::shared_ptr<const Route> route;
  std::shared_ptr<const ReplicaGauges> replicas;
};

/// An immutable view of the table; readers load it with one atomic operation
/// and writers replace it whole (writes are rare: deployments change state).
struct Snapshot {
  std::unordered_map<RouteKey, Entry, RouteKeyHash, RouteKeyEq> routes;
  std::unordered_map<std::string, std::shared_ptr<RouteTable::Recorder>, StringHash,
                     std::equal_to<>>
      recorders;
  // The last route of each deployment with counters: its labels in /metrics.
  std::unordered_map<std::string, std::shared_ptr<const Route>, StringHash, std::equal_to<>>
      route_of;
};

std::size_t class_index(int status) {
  return static_cast<std::size_t>(std::clamp(status / 100, 1, 5) - 1);
}

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

struct RouteTable::Impl {
  // Readers: one atomic load of the current snapshot. (libstdc++ 12 guards
  // atomic<shared_ptr> with a lock bit in the pointer, held for a refcount
  // increment: about as cheap as an uncontended shared_mutex, and writers can
  // never block readers.)
  std::atomic<std::shared_ptr<const Snapshot>> snapshot{std::make_shared<const Snapshot>()};
  std::mutex write_mutex;  // serialises writers and guards `gauges`
  std::map<std::pair<std::string, std::uint16_t>, std::weak_ptr<UpstreamGauge>> gauges;

  std::shared_ptr<const Snapshot> load() const { return snapshot.load(std::memory_order_acquire); }

  /// Copies the snapshot, lets `change` edit the copy, publishes it. Caller holds write_mutex.
  template <class F>
  void update(F&& change) {
    auto next = std::make_shared<Snapshot>(*load());
    change(*next);
    snapshot.store(std::move(next), std::memory_order_release);
  }

  /// The gauge of an upstream, shared by every route to it. Caller holds write_mutex.
  std::shared_ptr<UpstreamGauge> gauge(const Upstream& upstream) {
    std::erase_if(gauges, [](const auto& kv) { return kv.second.expired(); });
    auto& slot = gauges[{upstream.host, upstream.port}];
    auto gauge = slot.lock();
    if (!gauge) {
      gauge = std::make_shared<UpstreamGauge>();
      slot = gauge;
    }
    return gauge;
  }
};

RouteTable::RouteTable() : impl_(std::make_unique<Impl>()) {}
RouteTable::~RouteTable() = default;

void RouteTable::put(Route route) {
  std::lock_guard lock(impl_->write_mutex);
  if (route.upstreams.size() > kMaxReplicas) route.upstreams.resize(kMaxReplicas);
  auto gauges = std::make_shared<ReplicaGauges>();
  gauges->reserve(route.upstreams.size());
  for (const auto& upstream : route.upstreams) gauges->push_back(impl_->gauge(upstream));
  auto shared = std::make_shared<const Route>(std::move(route));
  impl_->update([&](Snapshot& s) {
    if (!s.recorders.contains(shared->deployment_id)) {
      s.recorders.emplace(shared->deployment_id, std::make_shared<Recorder>(shared->deployment_id));
    }
    s.route_of.insert_or_assign(shared->deployment_id, shared);
    s.routes.insert_or_assign(RouteKey(shared->owner, shared->project),
                              Entry{shared, std::move(gauges)});
  });
}

void RouteTable::erase(std::string_view owner, std::string_view project) {
  std::lock_guard lock(impl_->write_mutex);
  impl_->update([&](Snapshot& s) {
    const auto it = s.routes.find(RouteKeyView(owner, project));
    if (it != s.routes.end()) s.routes.erase(it);
  });
}

std::shared_ptr<const Route> RouteTable::find(std::string_view owner,
                                              std::string_view project) const {
  const auto snap = impl_->load();
  const auto it = snap->routes.find(RouteKeyView(owner, project));
  return it == snap->routes.end() ? nullptr : it->second.route;
}

std::vector<Route> RouteTable::routes() const {
  const auto snap = impl_->load();
  std::vector<Route> out;
  out.reserve(snap->routes.size());
  for (const auto& [key, entry] : snap->routes) out.push_back(*entry.route);
  std::ranges::sort(out, {}, [](const Route& r) { return std::tie(r.owner, r.project); });
  return out;
}

StatsSnapshot RouteTable::stats(std::string_view deployment_id) const {
  const auto snap = impl_->load();
  const auto it = snap->recorders.find(deployment_id);
  return it == snap->recorders.end() ? StatsSnapshot{} : it->second->snapshot();
}

std::uint64_t RouteTable::in_flight(const Upstream& upstream) const {
  std::lock_guard lock(impl_->write_mutex);
  const auto it = impl_->gauges.find({upstream.host, upstream.port});
  if (it == impl_->gauges.end()) return 0;
  const auto gauge = it->second.lock();
  return gauge ? gauge->in_flight.load() : 0;
}

void RouteTable::forget(std::string_view deployment_id) {
  std::lock_guard lock(impl_->write_mutex);
  impl_->update([&](Snapshot& s) {
    const auto it = s.recorders.find(deployment_id);
    if (it != s.recorders.end()) s.recorders.erase(it);
    const auto route = s.route_of.find(deployment_id);
    if (route != s.route_of.end()) s.route_of.erase(route);
  });
}

std::shared_ptr<RouteTable::Recorder> RouteTable::recorder(std::string_view deployment_id) {
  if (auto snap = impl_->load(); snap->recorders.contains(deployment_id)) {
    return snap->recorders.find(deployment_id)->second;
  }
  std::lock_guard lock(impl_->write_mutex);
  std::shared_ptr<Recorder> out;
  impl_->update([&](Snapshot& s) {
    auto [it, inserted] = s.recorders.try_emplace(std::string(deployment_id));
    if (inserted) it->second = std::make_shared<Recorder>(std::string(deployment_id));
    out = it->second;
  });
  return out;
}

namespace {

/// One deployment's counters with the labels of its series.
struct Series {
  std::string labels;  // deployment="…",owner="…",project="…"
  StatsSnapshot stats;
  std::int64_t workers = 0;
};

std::map<std::string_view, Series> all_series(const Snapshot& snap) {
  std::map<std::string_view, Series> all;  // sorted, for stable output
  for (const auto& [id, rec] : snap.recorders) {
    Series series{.labels = fmt::format("deployment=\"{}\"", escape_label(id)),
                  .stats = rec->snapshot()};
    if (const auto route = snap.route_of.find(id); route != snap.route_of.end()) {
      series.labels +=
          fmt::format(",owner=\"{}\",project=\"{}\"", escape_label(route->second->owner),
                      escape_label(route->second->project));
      series.workers = route->second->workers;
    }
    all.emplace(id, std::move(series));
  }
  return all;
}

void render_latency(std::back_insert_iterator<std::string> o, const Series& s) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += s.stats.latency_buckets[i];
    fmt::format_to(o, "orsa_gateway_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", s.labels,
                   kLatencyBuckets[i], cumulative);
  }
  cumulative += s.stats.latency_buckets.back();
  fmt::format_to(o, "orsa_gateway_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", s.labels,
                 cumulative);
  fmt::format_to(o, "orsa_gateway_request_duration_seconds_sum{{{}}} {}\n", s.labels,
                 s.stats.latency_sum_seconds);
  fmt::format_to(o, "orsa_gateway_request_duration_seconds_count{{{}}} {}\n", s.labels, cumulative);
}

}  // namespace

std::string RouteTable::render_metrics() const {
  const auto all = all_series(*impl_->load());
  std::string out;
  auto o = std::back_inserter(out);
  static constexpr std::array<std::string_view, 5> kClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  fmt::format_to(o,
                 "# HELP orsa_gateway_requests_total Requests to deployments by status class.\n"
                 "# TYPE orsa_gateway_requests_total counter\n");
  for (const auto& [id, s] : all) {
    for (std::size_t i = 0; i < kClasses.size(); ++i) {
      fmt::format_to(o, "orsa_gateway_requests_total{{{},class=\"{}\"}} {}\n", s.labels,
                     kClasses[i], s.stats.requests_by_class[i]);
    }
  }
  fmt::format_to(o,
                 "# HELP orsa_gateway_request_duration_seconds Gateway request latency.\n"
                 "# TYPE orsa_gateway_request_duration_seconds histogram\n");
  for (const auto& [id, s] : all) render_latency(o, s);
  fmt::format_to(o,
                 "# HELP orsa_gateway_bytes_total Body bytes proxied (in: requests, out: "
                 "responses).\n"
                 "# TYPE orsa_gateway_bytes_total counter\n");
  for (const auto& [id, s] : all) {
    fmt::format_to(o, "orsa_gateway_bytes_total{{{},direction=\"in\"}} {}\n", s.labels,
                   s.stats.bytes_in);
    fmt::format_to(o, "orsa_gateway_bytes_total{{{},direction=\"out\"}} {}\n", s.labels,
                   s.stats.bytes_out);
  }
  fmt::format_to(o,
                 "# HELP orsa_gateway_in_flight Calls to a deployment in progress (served or "
                 "queued).\n"
                 "# TYPE orsa_gateway_in_flight gauge\n");
  for (const auto& [id, s] : all) {
    fmt::format_to(o, "orsa_gateway_in_flight{{{}}} {}\n", s.labels, s.stats.in_flight);
  }
  fmt::format_to(o,
                 "# HELP orsa_gateway_queued Calls waiting for a free worker of the service "
                 "([service] workers).\n"
                 "# TYPE orsa_gateway_queued gauge\n");
  for (const auto& [id, s] : all) {
    fmt::format_to(o, "orsa_gateway_queued{{{}}} {}\n", s.labels,
                   queued_calls(s.stats.in_flight, s.workers));
  }
  return out;
}

// ---- Recorder ----

void RouteTable::Recorder::begin() {
  in_flight.fetch_add(1, std::memory_order_relaxed);
  // Written at most once per second: the load keeps the cache line shared.
  const std::int64_t now = std::time(nullptr);
  if (last_request_at.load(std::memory_order_relaxed) != now) {
    last_request_at.store(now, std::memory_order_relaxed);
  }
}

void RouteTable::Recorder::finish(int status, std::chrono::nanoseconds elapsed, std::uint64_t in,
                                  std::uint64_t out) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  requests_by_class[class_index(status)].fetch_add(1, kRelaxed);
  if (in != 0) bytes_in.fetch_add(in, kRelaxed);
  if (out != 0) bytes_out.fetch_add(out, kRelaxed);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const auto bucket = std::ranges::lower_bound(kLatencyBuckets, seconds) - kLatencyBuckets.begin();
  latency_buckets[static_cast<std::size_t>(bucket)].fetch_add(1, kRelaxed);
  latency_sum_ns.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count())),
                           kRelaxed);
  in_flight.fetch_sub(1, kRelaxed);
}

StatsSnapshot RouteTable::Recorder::snapshot() const {
  StatsSnapshot s;
  for (std::size_t i = 0; i < s.requests_by_class.size(); ++i) {
    s.requests_by_class[i] = requests_by_class[i].load();
  }
  s.bytes_in = bytes_in.load();
  s.bytes_out = bytes_out.load();
  for (std::size_t i = 0; i < s.latency_buckets.size(); ++i) {
    s.latency_buckets[i] = latency_buckets[i].load();
  }
  s.latency_sum_seconds = static_cast<double>(latency_sum_ns.load()) / 1e9;
  s.in_flight = in_flight.load();
  if (const auto at = last_request_at.load(); at != 0) s.last_request_at = at;
  return s;
}

RouteTable::Recorder::Found RouteTable::Recorder::lookup(RouteTable& table, std::string_view owner,
                                                         std::string_view project) {
  const auto snap = table.impl_->load();
  const auto it = snap->routes.find(RouteKeyView(owner, project));
  if (it == snap->routes.end()) return {};
  Found found{it->second.route, nullptr, it->second.replicas};
  const auto rec = snap->recorders.find(found.route->deployment_id);
  // Absent only after forget() of a deployment whose route is still up.
  found.recorder =
      rec != snap->recorders.end() ? rec->second : table.recorder(found.route->deployment_id);
  return found;
}

}  // namespace orsa::gateway
