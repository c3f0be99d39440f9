#pragma once

// The gateway's recording side of the RouteTable (not needed by the control
// plane, which reads through RouteTable's own methods).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "balancer.hpp"
#include "gateway/route_table.hpp"

namespace orsa::gateway {

/// The gauges of a route's replicas, in the order of Route::upstreams.
using ReplicaGauges = std::vector<GaugePtr>;

/// One deployment's counters; lock-free, updated from any network thread.
struct RouteTable::Recorder {
  explicit Recorder(std::string id) : deployment_id(std::move(id)) {}

  /// A request for this deployment started (counts it in flight, stamps last_request_at).
  void begin();
  /// It ended with `status` after `elapsed`; bytes are body bytes each way.
  void finish(int status, std::chrono::nanoseconds elapsed, std::uint64_t bytes_in,
              std::uint64_t bytes_out);
  /// The counters as plain numbers.
  StatsSnapshot snapshot() const;

  /// The route of a project with what the gateway records into, from one
  /// snapshot of the table (the hot path: no lock, no allocation).
  struct Found {
    std::shared_ptr<const Route> route;  // null: no such project
    std::shared_ptr<Recorder> recorder;
    std::shared_ptr<const ReplicaGauges> replicas;  // the gauges of route->upstreams
  };
  /// Looks up (owner, project) in `table`.
  static Found lookup(RouteTable& table, std::string_view owner, std::string_view project);

  const std::string deployment_id;
  std::array<std::atomic<std::uint64_t>, 5> requests_by_class{};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_buckets{};
  std::atomic<std::uint64_t> latency_sum_ns{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::int64_t> last_request_at{0};  // unix seconds; 0 = never
};

}  // namespace orsa::gateway
