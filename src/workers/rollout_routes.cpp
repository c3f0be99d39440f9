// workers::Rollouts, the gateway's side: which deployment of a project
// serves its route, recomputed after every change of state.

#include <algorithm>
#include <map>
#include <mutex>

#include "rollout_support.hpp"
#include "workers/rollouts.hpp"

namespace orsa::workers {

using services::project_key;
using store::Deployment;
using store::DeploymentStatus;

gateway::Upstream Rollouts::upstream_of(const Deployment& d) {
  return {d.upstream_host.empty() ? "127.0.0.1" : d.upstream_host,
          static_cast<std::uint16_t>(d.host_port)};
}

std::vector<gateway::Upstream> Rollouts::upstreams_of(const Deployment& d) const {
  {
    std::lock_guard lock(mu_);
    const auto it = replicas_.find(d.id);
    if (it != replicas_.end()) return it->second;
  }
  return {upstream_of(d)};
}

void Rollouts::track_replicas(const runtime::ContainerInfo& info, const Deployment& d) {
  std::vector<gateway::Upstream> upstreams;
  upstreams.reserve(info.endpoints.size());
  for (const auto& e : info.endpoints) upstreams.push_back({e.host, e.port});
  std::lock_guard lock(mu_);
  if (upstreams.empty()) {
    replicas_.erase(d.id);
  } else {
    replicas_.insert_or_assign(d.id, std::move(upstreams));
  }
}

gateway::Route Rollouts::route_for(const std::vector<Deployment>& of_project) const {
  // Newest first: the newest live deployment serves; else an idle one (paused
  // or stopped) can be woken.
  const Deployment& newest = of_project.front();
  gateway::Route route{.owner = newest.owner_username,
                       .project = newest.project_name,
                       .owner_id = newest.owner_id,
                       .project_id = newest.project_id,
                       .deployment_id = newest.id,
                       .visibility = newest.visibility == store::Visibility::kPublic
                                         ? gateway::Visibility::kPublic
                                         : gateway::Visibility::kPrivate,
                       .state = gateway::RouteState::kUnavailable,
                       .upstreams = {}};
  const auto use = [&](const Deployment& d, gateway::RouteState state) {
    route.deployment_id = d.id;
    route.visibility = d.visibility == store::Visibility::kPublic ? gateway::Visibility::kPublic
                                                                  : gateway::Visibility::kPrivate;
    route.state = state;
    route.upstreams = upstreams_of(d);
    route.timeout_s = d.timeout_s;
    route.max_body_bytes = d.max_body_bytes;
    route.workers = d.workers;
  };
  for (const auto& d : of_project) {
    if (is_live(d)) {
      use(d, gateway::RouteState::kServing);
      return route;
    }
  }
  for (const auto& d : of_project) {
    const bool idle = d.status == DeploymentStatus::kPaused ||
                      (d.status == DeploymentStatus::kStopped && d.status_reason == kIdleReason);
    const bool waking =
        d.status == DeploymentStatus::kStarting && d.status_reason == "waking from idle";
    if (idle || waking) {
      use(d, gateway::RouteState::kIdle);
      return route;
    }
  }
  return route;
}

void Rollouts::refresh_route(const std::string& project_id) {
  std::lock_guard lock(routes_mu_);
  auto all = store_.deployments().list(OwnerScope::everyone(), project_id);
  if (!all) return;
  if (all->empty()) {
    // The project's last deployment is gone: find its name among the routes.
    for (const auto& route : routes_.routes()) {
      auto p = store_.projects().find(OwnerScope::everyone(), route.owner, route.project);
      if (!p || p->id == project_id) routes_.erase(route.owner, route.project);
    }
    return;
  }
  routes_.put(route_for(*all));
}

void Rollouts::route_ahead_of_save(const Deployment& about_to_save) {
  std::lock_guard lock(routes_mu_);
  auto all = store_.deployments().list(OwnerScope::everyone(), about_to_save.project_id);
  if (!all) return;
  auto same = std::ranges::find(*all, about_to_save.id, &Deployment::id);
  if (same == all->end()) return;
  *same = about_to_save;
  routes_.put(route_for(*all));
}

void Rollouts::refresh_all_routes(const std::vector<Deployment>& all) {
  std::lock_guard lock(routes_mu_);
  std::map<std::string, std::vector<Deployment>> by_project;
  for (const auto& d : all) by_project[project_key(d)].push_back(d);
  for (const auto& route : routes_.routes()) {
    if (!by_project.contains(route.owner + "/" + route.project)) {
      routes_.erase(route.owner, route.project);
    }
  }
  for (const auto& [key, list] : by_project) routes_.put(route_for(list));
}

}  // namespace orsa::workers
