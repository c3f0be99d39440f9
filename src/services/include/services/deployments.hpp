#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth/policy.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/work_queue.hpp"
#include "gateway/route_table.hpp"
#include "runtime/runtime.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/projects.hpp"
#include "source/repos.hpp"
#include "store/store.hpp"

namespace orsa::services {

/// Limits and timings of deployments; the maxima are the admin's caps on
/// what a project may ask for (in orsa.toml or in the request).
struct DeploymentOptions {
  std::int64_t default_memory_mb = 512;
  std::int64_t max_memory_mb = 4096;
  std::int64_t default_cpu_millis = 1000;
  std::int64_t max_cpu_millis = 4000;
  std::size_t max_env_vars = 64;
  std::size_t max_env_value_bytes = 4096;
  std::size_t max_running_per_user = 10;    // deployments wanted running at once
  std::size_t max_per_project = 50;         // rows kept per project (history)
  std::chrono::seconds health_timeout{60};  // from container start to 200 on /healthz
  std::chrono::seconds stop_grace{10};
  std::chrono::seconds drain_timeout{30};  // old version's in-flight requests, blue/green
  std::chrono::seconds reconcile_interval{5};
  // Off: no reconciler or event threads; the caller drives reconcile()
  // (unit tests, which must not race a pass they did not start).
  bool reconcile_in_background = true;
  int crashloop_failures = 5;             // fast failures in a row → crashloop
  std::chrono::seconds fast_failure{60};  // a run shorter than this is a fast failure
  std::chrono::seconds max_backoff{60};
  std::uint16_t container_port = 8000;  // the service template's gunicorn port
  std::size_t workers = 4;              // rollouts, restarts and wakes at once
};

/// What a caller asks to deploy.
struct DeployRequest {
  std::string image_id;
  std::optional<std::int64_t> memory_mb;
  std::optional<double> cpus;
  std::optional<std::map<std::string, std::string>> env;
  std::optional<store::Visibility> visibility;
};

/// Log lines of a deployment's container.
struct LogQuery {
  std::optional<std::size_t> tail;
  std::optional<std::int64_t> since;  // unix seconds
  bool follow = false;
};

/// Deployments: turns images into running containers behind the gateway.
/// API calls record the desired state and return; workers pull, start and
/// health-check; a reconciler compares desired with actual state every few
/// seconds (and on demand), restarts crashed containers with backoff,
/// removes orphans, adopts running containers after a restart and keeps the
/// gateway's route table in step. One live deployment per project: a new
/// one goes live only once healthy (blue/green), then the old one stops.
class Deployments {
 public:
  /// Where and how the runtime pulls images from the embedded registry.
  struct RegistryAccess {
    std::string host;  // "127.0.0.1:8080", as the runtime reaches it
  };

  Deployments(store::Store& store, source::SourceRepos& repos, Accounts& accounts,
              gateway::RouteTable& routes, Audit& audit, const Clock& clock,
              DeploymentOptions options);
  ~Deployments();
  Deployments(const Deployments&) = delete;
  Deployments& operator=(const Deployments&) = delete;

  /// Attaches the runtime and starts the workers and the reconciler (its
  /// first pass adopts containers that survived a restart).
  void start(runtime::Runtime& runtime, RegistryAccess registry);
  /// Stops workers and the reconciler; containers keep running.
  void stop();

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
  Result<gateway::StatsSnapshot> metrics(const auth::Principal& who, std::string_view id);

  /// Is an image used by a deployment (then it may not be deleted)?
  Result<bool> image_in_use(std::string_view image_id);
  /// Collector: stops a deployment nobody called for a while; the next
  /// gateway request wakes it.
  Result<void> stop_idle(const store::Deployment& deployment);
  /// Gateway: a request arrived for an idle-stopped deployment.
  void wake(const std::string& deployment_id);
  /// Runs a reconcile pass soon (after API changes, runtime events).
  void reconcile_soon();
  /// One reconcile pass, now (tests, start-up).
  void reconcile();

 private:
  struct Crashes {
    int fast_failures = 0;
    std::chrono::steady_clock::time_point next_attempt{};
  };
  using Task = std::function<void()>;

  Result<store::Deployment> authorized(const auth::Principal& who, std::string_view id,
                                       auth::Action action);
  Result<store::Deployment> validate_and_create(const auth::Principal& who,
                                                const DeployRequest& request);
  Result<std::pair<std::int64_t, std::int64_t>> resources_for(const store::Image& image,
                                                              const DeployRequest& request);
  Result<void> check_counts(const auth::Principal& who, const store::Image& image);
  void enqueue(const std::string& deployment_id, Task task);
  void task_done(const std::string& deployment_id);
  std::uint64_t tasks_finished();
  bool task_finished_since(const std::string& deployment_id, std::uint64_t mark);
  void fail_after_bug(const std::string& deployment_id, std::string_view what);
  void reconciler_loop();
  void events_loop();

  // Steps run by workers; each owns the deployment while it runs (busy set).
  void roll_out(const std::string& deployment_id);
  // kStart: a failure fails the deployment; kRestart: it counts as a crash.
  enum class BringUp { kStart, kRestart };
  void bring_up(const std::string& deployment_id, bool reuse_container, BringUp mode);
  void restart_crashed(const std::string& deployment_id);
  Result<void> wait_healthy(store::Deployment& d);
  void go_live(store::Deployment& d);
  void retire(store::Deployment& old, const std::string& replaced_by);
  void fail_rollout(store::Deployment& d, std::string reason);
  void stop_container(store::Deployment& d, bool remove_container);

  Result<store::Deployment> save(store::Deployment& d);
  void save_or_log(store::Deployment& d);
  runtime::ContainerSpec spec_for(const store::Deployment& d, const std::string& network) const;
  /// Creates the deployment's own network (egress as its project allows); its name.
  Result<std::string> ensure_network(const store::Deployment& d);
  /// Removes the deployment's networks (the runtime keeps one still in use).
  void remove_networks(const store::Deployment& d);
  /// Where the gateway and the health check reach the deployment.
  static gateway::Upstream upstream_of(const store::Deployment& d);
  std::string image_reference(const store::Deployment& d) const;
  std::string failure_reason(const store::Deployment& d, const std::string& what);
  void refresh_route(const std::string& project_id);
  void refresh_all_routes(const std::vector<store::Deployment>& all);
  gateway::Route route_for(const std::vector<store::Deployment>& of_project) const;
  bool is_busy(const std::string& deployment_id);
  void persist_last_requests(const std::vector<store::Deployment>& all);
  void reconcile_containers(const std::vector<store::Deployment>& all,
                            const std::vector<runtime::ContainerInfo>& containers);
  void reconcile_networks(const std::vector<store::Deployment>& all);
  void reconcile_deployment(const store::Deployment& d,
                            const std::map<std::string, runtime::ContainerInfo>& by_id);
  void on_crash(const store::Deployment& d, const runtime::ContainerInfo& c);

  store::Store& store_;
  source::SourceRepos& repos_;
  Accounts& accounts_;
  gateway::RouteTable& routes_;
  Audit& audit_;
  const Clock& clock_;
  DeploymentOptions options_;
  runtime::Runtime* runtime_ = nullptr;
  RegistryAccess registry_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool reconcile_requested_ = false;
  std::set<std::string> busy_;    // deployments with a queued or running task
  std::set<std::string> waking_;  // idle deployments being started by a request
  std::map<std::string, Crashes> crashes_;
  std::uint64_t tasks_finished_ = 0;                    // tasks ended since start
  std::map<std::string, std::uint64_t> last_task_end_;  // deployment → tasks_finished_ then
  std::mutex routes_mu_;              // route recomputations of one project must not interleave
  std::mutex reconcile_mu_;           // one reconcile() pass at a time, whoever calls it
  std::unique_ptr<WorkQueue> tasks_;  // rollouts, stops, wakes: one task per deployment at a time
  std::unique_ptr<BackgroundThread> reconciler_;
  std::unique_ptr<BackgroundThread> events_;  // runtime events make the reconciler run at once
};

}  // namespace orsa::services
