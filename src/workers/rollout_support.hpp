#pragma once

// What the three files of workers::Rollouts (rollouts, routes, reconciler)
// share; private to the module.

#include <chrono>
#include <string_view>

#include "store/models.hpp"

namespace orsa::workers {

using SteadyClock = std::chrono::steady_clock;

/// The status reason of a deployment the collector stopped for being idle;
/// the gateway wakes it on the next request.
inline constexpr std::string_view kIdleReason = "idle";

/// Wanted running, healthy and reachable: what the gateway routes to.
inline bool is_live(const store::Deployment& d) {
  return d.desired_running && d.status == store::DeploymentStatus::kHealthy && d.host_port > 0;
}

}  // namespace orsa::workers
