// workers::Rollouts, the reconciler: compares the desired state in the
// store with the runtime's containers every few seconds (and on demand),
// restarts crashed containers with backoff, removes orphans and adopts
// running containers after a restart.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "rollout_support.hpp"
#include "workers/rollouts.hpp"

namespace orsa::workers {
namespace {

constexpr auto kEventsRetry = std::chrono::seconds(2);

}  // namespace

using services::project_key;
using store::Deployment;
using store::DeploymentStatus;

void Rollouts::reconcile_soon() {
  {
    std::lock_guard lock(mu_);
    reconcile_requested_ = true;
  }
  cv_.notify_all();
}

void Rollouts::reconciler_loop() {
  for (;;) {
    reconcile();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.reconcile_interval,
                 [&] { return stopping_ || reconcile_requested_; });
    if (stopping_) return;
    reconcile_requested_ = false;
  }
}

// A container that dies is noticed within the event's delivery time instead
// of the next periodic pass. When the runtime cannot stream events, the
// periodic pass alone still converges.
void Rollouts::events_loop() {
  const auto stopping = [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
  while (!stopping()) {
    auto streamed =
        runtime_->events({{runtime::kLabelManaged, "true"}}, [&](const runtime::Event* event) {
          if (event != nullptr && (event->action == "die" || event->action == "oom")) {
            reconcile_soon();
          }
          return !stopping();
        });
    if (!streamed) spdlog::debug("runtime events: {}", streamed.error().message);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kEventsRetry, [&] { return stopping_; });
  }
}

void Rollouts::reconcile() {
  if (runtime_ == nullptr) return;
  // Two passes at once would both see a crash and both restart it.
  std::lock_guard pass(reconcile_mu_);
  const std::uint64_t pass_began = tasks_finished();
  auto all = store_.deployments().list(OwnerScope::everyone(), std::nullopt);
  if (!all) {
    spdlog::warn("reconciler: cannot read deployments: {}", all.error().message);
    return;
  }
  persist_last_requests(*all);
  // Another instance leads and changes containers; this one keeps its
  // gateway's routes in step with the rows.
  if (leading_ && !leading_()) return refresh_all_routes(*all);
  auto containers = runtime_->list({{runtime::kLabelManaged, "true"}});
  if (!containers) {
    spdlog::warn("reconciler: cannot list containers: {}", containers.error().message);
    return;
  }
  reach_networks(*containers);
  pause_idle(*all);
  reconcile_containers(*all, *containers);
  reconcile_networks(*all);
  std::map<std::string, runtime::ContainerInfo> by_id;
  for (const auto& c : *containers) by_id.emplace(c.id, c);
  for (const auto& d : *all) {
    // A task that ended after the snapshot changed the row and the container;
    // the pass it requested on ending sees both fresh.
    if (task_finished_since(d.id, pass_began)) continue;
    if (const auto c = by_id.find(d.container_id); c != by_id.end()) track_replicas(c->second, d);
    reconcile_deployment(d, by_id);
  }
  if (auto fresh = store_.deployments().list(OwnerScope::everyone(), std::nullopt)) {
    refresh_all_routes(*fresh);
  }
}

// The gateway counts requests in memory; the table keeps the last one's time
// across restarts (the collector's idle rule and the API read it).
void Rollouts::persist_last_requests(const std::vector<Deployment>& all) {
  for (const auto& d : all) {
    const auto seen = routes_.stats(d.id).last_request_at;
    if (seen && (!d.last_request_at || *seen > *d.last_request_at)) {
      // Bookkeeping for the idle collector; the next pass retries.
      std::ignore = store_.deployments().record_last_request(d.id, *seen);
    }
  }
}

// Containers no deployment wants (deleted, replaced, failed, or left by a
// crash of this process mid-rollout) are removed.
void Rollouts::reconcile_containers(const std::vector<Deployment>& all,
                                    const std::vector<runtime::ContainerInfo>& containers) {
  const auto by_id = index_by_id(all);
  for (const auto& c : containers) {
    const std::string dep_id = deployment_label(c.labels);
    if (!dep_id.empty() && is_busy(dep_id)) continue;
    if (container_wanted(by_id, c)) continue;
    spdlog::info("reconciler: removing orphaned container {} ({})", c.name,
                 dep_id.empty() ? "no deployment" : dep_id);
    std::ignore = runtime_->remove(c.id);  // still an orphan next pass if this fails
  }
}

// Networks of deployments that are gone or have no container (failed,
// deleted, replaced): the runtime refuses to remove one still in use, so
// trying is safe.
void Rollouts::reconcile_networks(const std::vector<Deployment>& all) {
  auto networks = runtime_->list_networks({{runtime::kLabelManaged, "true"}});
  if (!networks) {
    spdlog::debug("reconciler: cannot list networks: {}", networks.error().message);
    return;
  }
  const auto by_id = index_by_id(all);
  for (const auto& n : *networks) {
    const std::string dep_id = deployment_label(n.labels);
    if (!dep_id.empty() && is_busy(dep_id)) continue;
    if (network_wanted(by_id, n)) continue;
    if (runtime_->remove_network(n.name)) {
      spdlog::info("reconciler: removed network {} ({})", n.name,
                   dep_id.empty() ? "no deployment" : dep_id);
    }
  }
}

// Each live container's network, joined again where this process lost its
// place on it (ADR 0017); a no-op on the host once the bridge has its address.
void Rollouts::reach_networks(const std::vector<runtime::ContainerInfo>& containers) {
  std::set<std::string> networks;
  for (const auto& c : containers) {
    const bool live =
        c.state == runtime::ContainerState::kRunning || c.state == runtime::ContainerState::kPaused;
    if (live && !c.network.empty()) networks.insert(c.network);
  }
  for (const auto& network : networks) {
    if (auto ok = runtime_->ensure_reachable(network); !ok) {
      spdlog::warn("reconciler: network {} unreachable: {}", network, ok.error().message);
    }
  }
}

void Rollouts::reconcile_deployment(const Deployment& d,
                                    const std::map<std::string, runtime::ContainerInfo>& by_id) {
  if (is_busy(d.id)) return;
  const auto it = by_id.find(d.container_id);
  const bool running = it != by_id.end() && it->second.state == runtime::ContainerState::kRunning;
  if (!d.desired_running) {
    if (running) {
      Deployment copy = d;
      stop_container(copy, false);
    }
    return;
  }
  switch (d.status) {
    case DeploymentStatus::kPending:
      if (it != by_id.end()) {
        // Started again by the API (of another instance, or of this process
        // before a restart): the deployment's own container comes back.
        enqueue(d.id, [this, id = d.id] { bring_up(id, true, BringUp::kStart); });
        return;
      }
      [[fallthrough]];
    case DeploymentStatus::kPulling:
      // A rollout this process did not finish (it was restarted): start over.
      enqueue(d.id, [this, id = d.id] { run_rollout(id); });
      return;
    case DeploymentStatus::kStarting:
    case DeploymentStatus::kHealthy:
      if (running && d.status == DeploymentStatus::kHealthy) {
        std::lock_guard lock(mu_);
        crashes_.erase(d.id);  // forget old crashes once it stays up
        return;
      }
      if (running) {
        // Interrupted start-up: health-check it again.
        enqueue(d.id, [this, id = d.id] { bring_up(id, true, BringUp::kRestart); });
        return;
      }
      on_crash(d, it == by_id.end() ? runtime::ContainerInfo{} : it->second);
      return;
    case DeploymentStatus::kPaused:
      if (it != by_id.end() && it->second.state == runtime::ContainerState::kPaused) return;
      // Thawed by someone else: serve it again (the thaw of a running one is a no-op).
      if (running) {
        enqueue(
            d.id, [this, id = d.id] { wake_now(id); }, IfBusy::kSkip);
        return;
      }
      on_crash(d, it == by_id.end() ? runtime::ContainerInfo{} : it->second);
      return;
    case DeploymentStatus::kFailed:
    case DeploymentStatus::kStopped:
    case DeploymentStatus::kCrashloop:
      return;
  }
}

void Rollouts::on_crash(const Deployment& d, const runtime::ContainerInfo& c) {
  const auto now = SteadyClock::now();
  const bool fast = !c.started_at || !c.finished_at ||
                    *c.finished_at - *c.started_at < options_.fast_failure.count();
  int failures = 0;
  {
    std::lock_guard lock(mu_);
    auto& crashes = crashes_[d.id];
    if (crashes.next_attempt > now) return;  // backing off
    crashes.fast_failures = fast ? crashes.fast_failures + 1 : 1;
    failures = crashes.fast_failures;
    const auto backoff = std::min<std::chrono::seconds>(
        options_.max_backoff, std::chrono::seconds(1LL << std::min(failures - 1, 10)));
    crashes.next_attempt = now + backoff;
  }
  Deployment copy = d;
  if (failures >= options_.crashloop_failures) {
    copy.status = DeploymentStatus::kCrashloop;
    copy.status_reason = failure_reason(
        copy, "crashed " + std::to_string(options_.crashloop_failures) +
                  " times soon after starting; last exit code " + std::to_string(c.exit_code) +
                  (c.oom_killed ? " (out of memory: its limit is " + std::to_string(d.memory_mb) +
                                      " MiB; raise [resources] memory_mb in orsa.toml)"
                                : ""));
    save_or_log(copy);
    refresh_route(copy.project_id);
    audit_.record(std::nullopt, "deployment_crashloop", "deployment:" + d.id, "");
    return;
  }
  spdlog::warn("reconciler: deployment {} ({}) is down (exit code {}{}); restart {}", d.id,
               project_key(d), c.exit_code, c.oom_killed ? ", out of memory" : "", failures);
  enqueue(d.id, [this, id = d.id] { restart_crashed(id); });
}

void Rollouts::restart_crashed(const std::string& deployment_id) {
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment_id);
  if (!d || !d->desired_running) return;
  d->restarts += 1;
  if (!save(*d)) return;
  bring_up(deployment_id, true, BringUp::kRestart);
}

}  // namespace orsa::workers
