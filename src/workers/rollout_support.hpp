#pragma once

// What the three files of workers::Rollouts (rollouts, routes, reconciler)
// share; private to the module.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.hpp"
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

/// Deployments by id, for the orphan rules below.
using DeploymentIndex = std::map<std::string, const store::Deployment*, std::less<>>;

inline DeploymentIndex index_by_id(const std::vector<store::Deployment>& all) {
  DeploymentIndex by_id;
  for (const auto& d : all) by_id.emplace(d.id, &d);
  return by_id;
}

/// The deployment a managed container or network is labelled with ("" if none).
inline std::string deployment_label(const std::map<std::string, std::string>& labels) {
  const auto it = labels.find(runtime::kLabelDeployment);
  return it == labels.end() ? "" : it->second;
}

/// A managed container is wanted only as the container its deployment row
/// names: others are left by deletes, replacements, failures or a crash of
/// the deployer mid-rollout (the reconciler and `orsa-deployer check` remove them).
inline bool container_wanted(const DeploymentIndex& by_id, const runtime::ContainerInfo& c) {
  const auto it = by_id.find(deployment_label(c.labels));
  return it != by_id.end() && it->second->container_id == c.id;
}

/// A managed network is wanted while its deployment exists and has a container.
inline bool network_wanted(const DeploymentIndex& by_id, const runtime::NetworkInfo& n) {
  const auto it = by_id.find(deployment_label(n.labels));
  return it != by_id.end() && !it->second->container_id.empty();
}

}  // namespace orsa::workers
