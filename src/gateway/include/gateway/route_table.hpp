#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orsa::gateway {

enum class Visibility { kPrivate, kPublic };

/// What the gateway does with a request for a project.
enum class RouteState {
  kServing,      // proxy to one of `upstreams`
  kIdle,         // stopped by the collector: wake it, hold the request until serving
  kUnavailable,  // deployed but not healthy (starting, failed, stopped): 503
};

struct Upstream {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool operator==(const Upstream&) const = default;
};

/// The gateway's view of one project's live deployment.
struct Route {
  std::string owner;    // owner username, the first path segment
  std::string project;  // project name, the second path segment
  std::string owner_id;
  std::string project_id;
  std::string deployment_id;
  Visibility visibility = Visibility::kPrivate;
  RouteState state = RouteState::kUnavailable;
  // The deployment's replicas, where the gateway reaches each (meaningful
  // when serving); calls go to the least busy healthy one.
  std::vector<Upstream> upstreams;
  // The service's own limits (orsa.toml's [service] timeout and
  // max_body_bytes); 0 → the gateway's. The gateway enforces them itself,
  // so a caller learns which setting was hit instead of a bare 502.
  std::int64_t timeout_s = 0;
  std::int64_t max_body_bytes = 0;
  // Calls the service serves at once ([service] workers); more wait in its
  // queue. 0 → unknown.
  std::int64_t workers = 0;
};

/// Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
// Up to an hour: a synchronous solve may take minutes (its [service] timeout).
inline constexpr std::array<double, 17> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 60, 300, 900, 3600};

/// Calls waiting for a free worker of a service that has `workers` of them
/// busy with the others (0 when unknown).
constexpr std::uint64_t queued_calls(std::uint64_t in_flight, std::int64_t workers) {
  if (workers <= 0) return 0;
  const auto capacity = static_cast<std::uint64_t>(workers);
  return in_flight > capacity ? in_flight - capacity : 0;
}

/// Counters of one deployment's proxied traffic, as read by the API.
struct StatsSnapshot {
  std::array<std::uint64_t, 5> requests_by_class{};  // 1xx … 5xx (index 0 = 1xx)
  std::uint64_t bytes_in = 0;                        // request bodies
  std::uint64_t bytes_out = 0;                       // response bodies
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> latency_buckets{};  // non-cumulative
  double latency_sum_seconds = 0;
  std::uint64_t in_flight = 0;
  std::optional<std::int64_t> last_request_at;  // unix seconds
};

/// The routes and per-deployment counters shared by the gateway (readers,
/// on network threads, lock-free on the hot path) and the control plane
/// (writers: deployments, reconciler, collector). Thread-safe.
class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  /// Adds or replaces the route of (route.owner, route.project).
  void put(Route route);
  /// Removes the route of a project (then its requests answer 404).
  void erase(std::string_view owner, std::string_view project);
  /// The current route, or null.
  std::shared_ptr<const Route> find(std::string_view owner, std::string_view project) const;
  /// Every route (for the reconciler's comparison and tests).
  std::vector<Route> routes() const;

  /// Counters of a deployment (zeros when it has seen no request).
  StatsSnapshot stats(std::string_view deployment_id) const;
  /// Requests currently proxied to an upstream (blue/green waits for 0).
  std::uint64_t in_flight(const Upstream& upstream) const;
  /// Drops the counters of a deleted deployment.
  void forget(std::string_view deployment_id);
  /// Per-deployment series in the Prometheus text format, appended to /metrics.
  std::string render_metrics() const;

  // Recording side, used by the gateway.
  struct Recorder;
  std::shared_ptr<Recorder> recorder(std::string_view deployment_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::gateway
