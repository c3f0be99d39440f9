#pragma once

// How the gateway spreads one deployment's calls over its replicas: the
// replica with the fewest calls in flight, skipping replicas that failed
// several times in a row (passive health: no probes, only what real calls
// see). Lock-free; every network thread shares the gauges of a route.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace orsa::gateway {

/// Calls in flight to one upstream address, and what recent calls saw of it.
struct UpstreamGauge {
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint32_t> consecutive_failures{0};
  // Steady-clock nanoseconds until which the replica gets no calls; 0 when it is in rotation.
  std::atomic<std::int64_t> ejected_until_ns{0};
};

using GaugePtr = std::shared_ptr<UpstreamGauge>;

struct BalancerPolicy {
  // Consecutive failures (connection refused or reset, no answer) that take
  // a replica out of rotation; a slow answer is never one.
  std::uint32_t eject_after = 3;
  // How long it stays out; the next call after that tries it again, and a
  // failure then ejects it again at once.
  std::chrono::milliseconds ejection{5'000};
};

/// At most this many replicas per route (a bit each in a call's tried set).
inline constexpr std::size_t kMaxReplicas = 64;

/// The replicas a call has tried already (bit i: replica i).
using TriedSet = std::uint64_t;

/// The replica for the next attempt of a call: the untried one with the
/// fewest calls in flight among those in rotation, ties broken from
/// `rotation` (so equal replicas take turns). When every untried replica is
/// ejected, the one whose ejection ends first (a route never refuses calls
/// because all its replicas failed once: it tries). None when all are tried.
std::optional<std::size_t> pick_replica(std::span<const GaugePtr> replicas, TriedSet tried,
                                        std::chrono::steady_clock::time_point now,
                                        std::uint64_t rotation);

/// A call got an answer from the replica: its failure streak ends.
void record_success(UpstreamGauge& gauge);

/// A call could not reach the replica or got no answer; true when this
/// failure took it out of rotation.
bool record_failure(UpstreamGauge& gauge, std::chrono::steady_clock::time_point now,
                    const BalancerPolicy& policy);

}  // namespace orsa::gateway
