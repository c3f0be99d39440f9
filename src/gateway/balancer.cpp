#include "balancer.hpp"

#include <limits>

namespace orsa::gateway {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::int64_t ticks(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool is_tried(TriedSet tried, std::size_t i) {
  return ((tried >> i) & 1U) != 0;
}

}  // namespace

std::optional<std::size_t> pick_replica(std::span<const GaugePtr> replicas, TriedSet tried,
                                        std::chrono::steady_clock::time_point now,
                                        std::uint64_t rotation) {
  const std::size_t n = std::min(replicas.size(), kMaxReplicas);
  if (n == 0) return std::nullopt;
  const std::int64_t now_ns = ticks(now);
  std::optional<std::size_t> best;
  std::uint64_t best_load = std::numeric_limits<std::uint64_t>::max();
  std::optional<std::size_t> soonest;  // the ejected one back first, if all are out
  std::int64_t soonest_ns = std::numeric_limits<std::int64_t>::max();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (rotation + k) % n;
    if (is_tried(tried, i)) continue;
    const UpstreamGauge& gauge = *replicas[i];
    const std::int64_t ejected_until = gauge.ejected_until_ns.load(kRelaxed);
    if (ejected_until > now_ns) {
      if (ejected_until < soonest_ns) {
        soonest_ns = ejected_until;
        soonest = i;
      }
      continue;
    }
    const std::uint64_t load = gauge.in_flight.load(kRelaxed);
    if (load < best_load) {
      best_load = load;
      best = i;
    }
  }
  return best ? best : soonest;
}

void record_success(UpstreamGauge& gauge) {
  // Loads first: on the hot path both are already zero, and a store would
  // bounce the cache line between the threads that share the replica.
  if (gauge.consecutive_failures.load(kRelaxed) != 0) gauge.consecutive_failures.store(0, kRelaxed);
  if (gauge.ejected_until_ns.load(kRelaxed) != 0) gauge.ejected_until_ns.store(0, kRelaxed);
}

bool record_failure(UpstreamGauge& gauge, std::chrono::steady_clock::time_point now,
                    const BalancerPolicy& policy) {
  const std::uint32_t failures = gauge.consecutive_failures.fetch_add(1, kRelaxed) + 1;
  if (failures < policy.eject_after) return false;
  gauge.ejected_until_ns.store(ticks(now + policy.ejection), kRelaxed);
  return true;
}

}  // namespace orsa::gateway
