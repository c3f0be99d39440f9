#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/work_queue.hpp"
#include "gateway/route_table.hpp"
#include "runtime/runtime.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/deployments.hpp"
#include "store/store.hpp"

namespace orsa::workers {

/// The background side of deployments: workers pull, start and health-check
/// what services::Deployments recorded (rollouts.cpp); the gateway's route of
/// each project follows every change (rollout_routes.cpp); a reconciler
/// compares desired with actual state every few seconds and on demand,
/// restarts crashed containers with backoff, removes orphans and adopts
/// running containers after a restart (reconciler.cpp). Tasks run on one
/// core::WorkQueue, one task per deployment at a time; the reconciler and
/// the runtime's event stream each on a core::BackgroundThread.
class Rollouts final : public services::DeploymentControl {
 public:
  /// Where and how the runtime pulls images from the embedded registry.
  struct RegistryAccess {
    std::string host;  // "127.0.0.1:8080", as the runtime reaches it
  };

  Rollouts(store::Store& store, services::Accounts& accounts, gateway::RouteTable& routes,
           services::Audit& audit, const Clock& clock, services::DeploymentOptions options);
  ~Rollouts() override;
  Rollouts(const Rollouts&) = delete;
  Rollouts& operator=(const Rollouts&) = delete;

  /// Attaches the runtime and starts the workers and the reconciler (its
  /// first pass adopts containers that survived a restart).
  void start(runtime::Runtime& runtime, RegistryAccess registry);
  /// Before start(): whether this instance leads (LeaseKeeper::held). The
  /// reconciler's passes change containers only while it does; otherwise
  /// they only follow the database (routes, last requests). Unset: always.
  void set_leadership(std::function<bool()> leading);
  /// Stops workers and the reconciler; containers keep running.
  void stop();

  // services::DeploymentControl
  bool attached() const override;
  std::int32_t max_replicas() const override;
  bool is_busy(const std::string& deployment_id) override;
  void roll_out(const std::string& deployment_id) override;
  void resume(const std::string& deployment_id) override;
  void stop_container(store::Deployment& d, bool remove_container) override;
  void refresh_route(const std::string& project_id) override;
  void forget(const std::string& deployment_id) override;
  Result<void> logs(const std::string& container_id, const runtime::LogOptions& options,
                    const std::function<bool(const runtime::LogLine&)>& sink) override;

  /// Collector: stops a deployment nobody called for a while; the next
  /// gateway request wakes it.
  Result<void> stop_idle(const store::Deployment& deployment);
  /// Collector: the memory a paused deployment's frozen container holds.
  std::optional<std::int64_t> paused_memory(const store::Deployment& deployment);
  /// Gateway: a request arrived for an idle (paused or stopped) deployment.
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

  // When the deployment already has a task: kQueue beside it, kSkip not at all.
  enum class IfBusy { kQueue, kSkip };
  void enqueue(const std::string& deployment_id, Task task, IfBusy if_busy = IfBusy::kQueue);
  /// Now if the deployment is free, else once its task (and the tasks
  /// deferred before this one) ended; one task of each `kind` waits.
  void after_task(const std::string& deployment_id, std::string_view kind, Task task);
  void post(const std::string& deployment_id, Task task);
  void task_done(const std::string& deployment_id);
  std::uint64_t tasks_finished();
  bool task_finished_since(const std::string& deployment_id, std::uint64_t mark);
  void fail_after_bug(const std::string& deployment_id, std::string_view what);
  void reconciler_loop();
  void events_loop();

  // Steps run by workers; each owns the deployment while it runs (busy set).
  void run_rollout(const std::string& deployment_id);
  /// The image into the runtime's store, with the owner's pull-only token.
  Result<void> pull_image(const store::Deployment& d);
  // kStart: a failure fails the deployment; kRestart: it counts as a crash.
  enum class BringUp { kStart, kRestart };
  void bring_up(const std::string& deployment_id, bool reuse_container, BringUp mode);
  void restart_crashed(const std::string& deployment_id);
  Result<void> wait_healthy(store::Deployment& d);
  void go_live(store::Deployment& d);
  void wake_now(const std::string& deployment_id);
  /// The warm idle tier: live deployments idle for options.pause_idle are
  /// frozen (one task each); a request thaws them.
  void pause_idle(const std::vector<store::Deployment>& all);
  void pause(const std::string& deployment_id);
  void thaw(store::Deployment& d);
  std::int64_t last_activity(const store::Deployment& d) const;
  void retire_later(const std::string& old_id, const std::string& replaced_by);
  void retire(const std::string& old_id, const std::string& replaced_by);
  void fail_rollout(store::Deployment& d, std::string reason);

  Result<store::Deployment> save(store::Deployment& d);
  void save_or_log(store::Deployment& d);
  runtime::ContainerSpec spec_for(const store::Deployment& d, const std::string& network) const;
  /// Creates the deployment's own network (egress as its project allows); its name.
  Result<std::string> ensure_network(const store::Deployment& d);
  /// Removes the deployment's networks (the runtime keeps one still in use).
  void remove_networks(const store::Deployment& d);
  /// Where the gateway and the health check reach the deployment.
  static gateway::Upstream upstream_of(const store::Deployment& d);
  /// Where each of its replicas answers (runtimes with replicas), else upstream_of.
  std::vector<gateway::Upstream> upstreams_of(const store::Deployment& d) const;
  /// Remembers where the replicas of a deployment's workload answer.
  void track_replicas(const runtime::ContainerInfo& info, const store::Deployment& d);
  /// The endpoint a deployment's row records: its first replica, its own
  /// network address, or the port published on the host.
  void record_endpoint(const runtime::ContainerInfo& info, store::Deployment& d) const;
  std::string image_reference(const store::Deployment& d) const;
  std::string failure_reason(const store::Deployment& d, const std::string& what);
  void refresh_all_routes(const std::vector<store::Deployment>& all);
  bool leads() const;
  /// The project's route as it will be once `about_to_save` is saved.
  void route_ahead_of_save(const store::Deployment& about_to_save);
  gateway::Route route_for(const std::vector<store::Deployment>& of_project) const;
  void persist_last_requests(const std::vector<store::Deployment>& all);
  void reconcile_containers(const std::vector<store::Deployment>& all,
                            const std::vector<runtime::ContainerInfo>& containers);
  void reconcile_networks(const std::vector<store::Deployment>& all);
  void reach_networks(const std::vector<runtime::ContainerInfo>& containers);
  void reconcile_deployment(const store::Deployment& d,
                            const std::map<std::string, runtime::ContainerInfo>& by_id);
  void on_crash(const store::Deployment& d, const runtime::ContainerInfo& c);

  store::Store& store_;
  services::Accounts& accounts_;
  gateway::RouteTable& routes_;
  services::Audit& audit_;
  const Clock& clock_;
  services::DeploymentOptions options_;
  runtime::Runtime* runtime_ = nullptr;
  RegistryAccess registry_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool reconcile_requested_ = false;
  std::set<std::string> busy_;  // deployments with a queued or running task
  // Tasks to run, in order, when the deployment's task ends: (kind, task).
  std::map<std::string, std::vector<std::pair<std::string, Task>>> deferred_;
  std::map<std::string, Crashes> crashes_;
  // Deployments on runtimes that report endpoints (swarm): where each
  // replica answers (the row holds the first), from the last inspect.
  std::map<std::string, std::vector<gateway::Upstream>> replicas_;
  std::uint64_t tasks_finished_ = 0;                    // tasks ended since start
  std::map<std::string, std::uint64_t> last_task_end_;  // deployment → tasks_finished_ then
  std::mutex routes_mu_;              // route recomputations of one project must not interleave
  std::function<bool()> leading_;     // set before start(), read-only after
  std::mutex reconcile_mu_;           // one reconcile() pass at a time, whoever calls it
  std::unique_ptr<WorkQueue> tasks_;  // rollouts, stops, wakes: one task per deployment at a time
  std::unique_ptr<BackgroundThread> reconciler_;
  std::unique_ptr<BackgroundThread> events_;  // runtime events make the reconciler run at once
};

}  // namespace orsa::workers
