#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/policy.hpp"
#include "core/error.hpp"
#include "gateway/route_table.hpp"
#include "runtime/runtime.hpp"
#include "services/audit.hpp"
#include "services/projects.hpp"
#include "source/repos.hpp"
#include "store/deployments.hpp"
#include "store/images.hpp"
#include "store/projects.hpp"

namespace orsa::services {

/// Limits and timings of deployments; the maxima are the admin's caps on
/// what a project may ask for (in orsa.toml or in the request).
struct DeploymentOptions {
  std::int64_t default_memory_mb = 512;
  std::int64_t max_memory_mb = 4096;
  std::int64_t default_cpu_millis = 1000;
  std::int64_t max_cpu_millis = 4000;
  // Longest [service] timeout an orsa.toml may ask for: one synchronous call
  // holds a worker and a gateway connection that long (runs are for longer).
  std::int64_t max_timeout_s = 3600;
  std::size_t max_env_vars = 64;
  std::size_t max_env_value_bytes = 4096;
  std::size_t max_running_per_user = 10;    // deployments wanted running at once
  std::size_t max_per_project = 50;         // rows kept per project (history)
  std::chrono::seconds health_timeout{60};  // from container start to 200 on /healthz
  std::chrono::seconds stop_grace{10};
  std::chrono::seconds drain_timeout{30};  // old version's in-flight requests, blue/green
  std::chrono::seconds reconcile_interval{5};
  // Idle this long (no request), a deployment is paused: its container frozen,
  // memory kept, thawed by the next request in milliseconds. 0: never paused
  // (the collector's idle stop still applies).
  std::chrono::seconds pause_idle{600};
  // Off: no reconciler or event threads; the caller drives reconcile()
  // (unit tests, which must not race a pass they did not start).
  bool reconcile_in_background = true;
  int crashloop_failures = 5;             // fast failures in a row → crashloop
  std::chrono::seconds fast_failure{60};  // a run shorter than this is a fast failure
  std::chrono::seconds max_backoff{60};
  std::uint16_t container_port = 8000;  // the service template's gunicorn port
  std::int32_t replicas = 1;            // when the request names none
  std::int32_t max_replicas = 4;        // the admin's cap, under the runtime's own
  std::size_t workers = 4;              // rollouts, restarts and wakes at once
};

/// What a caller asks to deploy.
struct DeployRequest {
  std::string image_id;
  std::optional<std::int64_t> memory_mb;
  std::optional<double> cpus;
  std::optional<std::map<std::string, std::string>> env;
  std::optional<store::Visibility> visibility;
  std::optional<std::int64_t> replicas;
};

/// Log lines of a deployment's container.
/// A deployment's gateway counters with its capacity for calls at once.
struct DeploymentMetrics {
  gateway::StatsSnapshot stats;
  std::int64_t workers = 0;  // [service] workers: calls served at once
  std::uint64_t queued = 0;  // calls in flight beyond the workers, waiting
};

struct LogQuery {
  std::optional<std::size_t> tail;
  std::optional<std::int64_t> since;  // unix seconds
  bool follow = false;
};

/// "owner/name" of a deployment's project.
std::string project_key(const store::Deployment& d);

/// The background side of deployments that the API operations drive
/// (workers::Rollouts): rollouts, container stops and the gateway's routes.
class DeploymentControl {
 public:
  virtual ~DeploymentControl() = default;
  /// Whether a container runtime is attached; without one deploying is 503.
  virtual bool attached() const = 0;
  /// Replicas one deployment may have on the attached runtime (1 without one).
  virtual std::int32_t max_replicas() const = 0;
  /// Whether a task (rollout, start, wake) of the deployment is queued or running.
  virtual bool is_busy(const std::string& deployment_id) = 0;
  /// Queues the rollout of a new deployment: pull, start, health check, go live.
  virtual void roll_out(const std::string& deployment_id) = 0;
  /// Queues starting a stopped deployment again; its crash history starts over.
  virtual void resume(const std::string& deployment_id) = 0;
  /// Stops the deployment's container now; with `remove_container` removes
  /// it and its networks too.
  virtual void stop_container(store::Deployment& d, bool remove_container) = 0;
  /// Recomputes the gateway route of a project from its deployments.
  virtual void refresh_route(const std::string& project_id) = 0;
  /// Forgets a deleted deployment (its gateway counters, its crash history).
  virtual void forget(const std::string& deployment_id) = 0;
  /// Streams a container's log lines (runtime::Runtime::logs).
  virtual Result<void> logs(const std::string& container_id, const runtime::LogOptions& options,
                            const std::function<bool(const runtime::LogLine&)>& sink) = 0;
};

/// Deployments as the API sees them: turns images into deployments (the
/// desired state) and returns; workers::Rollouts pulls, starts and
/// health-checks them and keeps the gateway's routes in step. One live
/// deployment per project: a new one goes live only once healthy
/// (blue/green), then the old one stops.
class Deployments {
 public:
  Deployments(store::DeploymentStore& deployments, store::ImageStore& images,
              store::ProjectStore& projects, source::SourceRepos& repos,
              gateway::RouteTable& routes, Audit& audit, DeploymentControl& control,
              DeploymentOptions options);

  Result<store::Deployment> create(const auth::Principal& who, const DeployRequest& request,
                                   const Caller& caller);
  Result<store::Deployment> get(const auth::Principal& who, std::string_view id);
  /// Newest first; one project's when `project` is given.
  Result<std::vector<store::Deployment>> list(const auth::Principal& who,
                                              const std::optional<ProjectRef>& project);
  Result<store::Deployment> stop_deployment(const auth::Principal& who, std::string_view id,
                                            const Caller& caller);
  Result<store::Deployment> start_deployment(const auth::Principal& who, std::string_view id,
                                             const Caller& caller);
  Result<void> remove(const auth::Principal& who, std::string_view id, const Caller& caller);
  /// Log lines (all, or the last `tail`) of the deployment's container.
  Result<std::vector<runtime::LogLine>> logs(const auth::Principal& who, std::string_view id,
                                             const LogQuery& query);
  /// Streams the log to `sink` (with `follow`, until `sink` returns false or
  /// the container stops); `sink(nullptr)` comes at least once a second
  /// while no line arrives, so a follower can notice its client left.
  Result<void> follow_logs(const auth::Principal& who, std::string_view id, const LogQuery& query,
                           const std::function<bool(const runtime::LogLine*)>& sink);
  /// Gateway traffic counters of a deployment.
  Result<DeploymentMetrics> metrics(const auth::Principal& who, std::string_view id);

  /// Is an image used by a deployment (then it may not be deleted)?
  Result<bool> image_in_use(std::string_view image_id);

 private:
  Result<store::Deployment> authorized(const auth::Principal& who, std::string_view id,
                                       auth::Action action);
  Result<store::Deployment> validate_and_create(const auth::Principal& who,
                                                const DeployRequest& request);
  /// Resources and request limits: the request's, else orsa.toml's at the
  /// image's commit, else the defaults; checked against the admin's maxima.
  struct Settings {
    std::int64_t memory_mb = 0;
    std::int64_t cpu_millis = 0;
    std::int64_t timeout_s = 60;
    std::int64_t max_body_bytes = 1024 * 1024;
    std::int64_t workers = 2;
    std::int64_t replicas = 1;
  };
  Result<Settings> settings_for(const store::Image& image, const DeployRequest& request);
  Result<std::int64_t> replicas_for(const DeployRequest& request) const;
  Result<void> check_counts(const auth::Principal& who, const store::Image& image);
  Result<store::Deployment> save(store::Deployment& d);

  store::DeploymentStore& deployments_;
  store::ImageStore& images_;
  store::ProjectStore& projects_;
  source::SourceRepos& repos_;
  gateway::RouteTable& routes_;
  Audit& audit_;
  DeploymentControl& control_;
  DeploymentOptions options_;
};

}  // namespace orsa::services
