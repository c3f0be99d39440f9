#include "workers/rollouts.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <tuple>

#include "core/json.hpp"
#include "core/random.hpp"
#include "http/client.hpp"
#include "rollout_support.hpp"

namespace orsa::workers {
namespace {

using services::project_key;
using store::Deployment;
using store::DeploymentStatus;

constexpr auto kHealthPoll = std::chrono::milliseconds(100);
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
// Enough for the model's own traceback: gunicorn's halt traceback, printed
// after it, alone takes about 20 lines.
constexpr std::size_t kReasonLogLines = 80;
constexpr std::size_t kReasonLogBytes = 16 * 1024;

std::map<std::string, std::string> env_from_json(const std::string& text) {
  std::map<std::string, std::string> env;
  const Json doc = Json::parse(text, nullptr, false);
  if (!doc.is_object()) return env;
  for (const auto& [name, value] : doc.items()) {
    if (value.is_string()) env[name] = value.get<std::string>();
  }
  return env;
}

// One network per deployment; the name says its egress, so allowing or
// denying egress gives the next rollout a new network and the sweep removes
// the old one.
std::string network_name(const Deployment& d, bool egress) {
  return "orsa-net-" + d.id + (egress ? "-egress" : "");
}

// The container's user: not root, so that even an escape lands as an
// unprivileged uid on the host (the build keeps the app readable by all).
constexpr const char* kServiceUser = "65534:65534";

}  // namespace

Rollouts::Rollouts(store::Store& store, services::Accounts& accounts, gateway::RouteTable& routes,
                   services::Audit& audit, const Clock& clock, services::DeploymentOptions options)
    : store_(store),
      accounts_(accounts),
      routes_(routes),
      audit_(audit),
      clock_(clock),
      options_(options) {}

Rollouts::~Rollouts() {
  stop();
}

void Rollouts::set_leadership(std::function<bool()> leading) {
  leading_ = std::move(leading);
}

void Rollouts::start(runtime::Runtime& runtime, RegistryAccess registry) {
  runtime_ = &runtime;
  registry_ = std::move(registry);
  tasks_ = std::make_unique<WorkQueue>("deployments", options_.workers);
  if (!options_.reconcile_in_background) return;
  reconciler_ = std::make_unique<BackgroundThread>(
      "reconciler", [this](const std::stop_token&) { reconciler_loop(); });
  events_ = std::make_unique<BackgroundThread>("runtime events",
                                               [this](const std::stop_token&) { events_loop(); });
}

void Rollouts::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (tasks_) tasks_->stop();
  if (reconciler_) reconciler_->stop();
  if (events_) events_->stop();
}

// --- what the API operations ask (services::DeploymentControl) ---------------

bool Rollouts::attached() const {
  return runtime_ != nullptr;
}

std::int32_t Rollouts::max_replicas() const {
  return runtime_ != nullptr ? runtime_->max_replicas() : 1;
}

// On an instance that does not lead, the API's row change is all: the
// leader's next pass applies it (reconcile_deployment), so that only one
// instance ever creates, starts or stops a deployment's container.
bool Rollouts::leads() const {
  return !leading_ || leading_();
}

void Rollouts::roll_out(const std::string& deployment_id) {
  if (!leads()) return;
  enqueue(deployment_id, [this, deployment_id] { run_rollout(deployment_id); });
}

void Rollouts::resume(const std::string& deployment_id) {
  if (!leads()) return;
  {
    std::lock_guard lock(mu_);
    crashes_.erase(deployment_id);
  }
  enqueue(deployment_id, [this, deployment_id] { bring_up(deployment_id, true, BringUp::kStart); });
}

void Rollouts::forget(const std::string& deployment_id) {
  routes_.forget(deployment_id);
  std::lock_guard lock(mu_);
  crashes_.erase(deployment_id);
  replicas_.erase(deployment_id);
}

Result<void> Rollouts::logs(const std::string& container_id, const runtime::LogOptions& options,
                            const std::function<bool(const runtime::LogLine&)>& sink) {
  return runtime_->logs(container_id, options, sink);
}

// --- the collector and the gateway --------------------------------------------

Result<void> Rollouts::stop_idle(const Deployment& deployment) {
  if (is_busy(deployment.id)) return fail(Error::conflict("the deployment is changing"));
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment.id);
  if (!d) return fail(d.error());
  if (!is_live(*d) && d->status != DeploymentStatus::kPaused) return {};
  d->desired_running = false;
  d->status = DeploymentStatus::kStopped;
  d->status_reason = std::string(kIdleReason);
  if (auto saved = save(*d); !saved) return fail(saved.error());
  refresh_route(d->project_id);
  // The container is kept (stopped): starting it again is the fast way back.
  stop_container(*d, false);
  if (auto saved = save(*d); !saved) return fail(saved.error());
  return {};
}

void Rollouts::wake(const std::string& deployment_id) {
  // Busy (being paused, say): the wake runs when that task ends, so the
  // request the gateway holds is not left waiting for a wake nobody runs.
  after_task(deployment_id, "wake", [this, deployment_id] { wake_now(deployment_id); });
}

void Rollouts::wake_now(const std::string& deployment_id) {
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment_id);
  if (!d) return;
  if (d->status == DeploymentStatus::kPaused) return thaw(*d);
  if (d->status == DeploymentStatus::kStopped && d->status_reason == kIdleReason) {
    bring_up(deployment_id, true, BringUp::kStart);
  }
}

// --- the warm idle tier -------------------------------------------------------

std::int64_t Rollouts::last_activity(const Deployment& d) const {
  std::int64_t last = d.started_at.value_or(d.created_at);
  if (d.last_request_at) last = std::max(last, *d.last_request_at);
  if (auto seen = routes_.stats(d.id).last_request_at) last = std::max(last, *seen);
  return last;
}

void Rollouts::pause_idle(const std::vector<Deployment>& all) {
  if (options_.pause_idle.count() <= 0 || !runtime_->can_pause()) return;
  const std::int64_t now = clock_.now_unix();
  for (const auto& d : all) {
    if (!is_live(d) || now - last_activity(d) < options_.pause_idle.count()) continue;
    enqueue(
        d.id, [this, id = d.id] { pause(id); }, IfBusy::kSkip);
  }
}

void Rollouts::pause(const std::string& deployment_id) {
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment_id);
  if (!d || !is_live(*d)) return;
  if (clock_.now_unix() - last_activity(*d) < options_.pause_idle.count()) return;  // called since
  // From now on a request waits for the thaw (the route is idle) ...
  const gateway::Upstream upstream = upstream_of(*d);
  d->status = DeploymentStatus::kPaused;
  d->status_reason = std::string(kIdleReason);
  if (!save(*d)) return;
  refresh_route(d->project_id);
  // ... and one already on its way is answered first.
  const auto deadline = SteadyClock::now() + options_.drain_timeout;
  while (routes_.in_flight(upstream) > 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(kDrainPoll);
  }
  if (auto paused = runtime_->pause(d->container_id); !paused) {
    spdlog::warn("deployment {} ({}): cannot pause, it keeps running: {}", d->id, project_key(*d),
                 paused.error().message);
    d->status = DeploymentStatus::kHealthy;
    d->status_reason.clear();
    save_or_log(*d);
    refresh_route(d->project_id);
    return;
  }
  spdlog::info("deployment {} ({}) paused after {} s without a request", d->id, project_key(*d),
               options_.pause_idle.count());
}

std::optional<std::int64_t> Rollouts::paused_memory(const Deployment& deployment) {
  if (runtime_ == nullptr || deployment.container_id.empty()) return std::nullopt;
  return runtime_->memory_bytes(deployment.container_id);
}

void Rollouts::thaw(Deployment& d) {
  if (auto thawed = runtime_->unpause(d.container_id); !thawed) {
    // A container that cannot be thawed (gone, the engine restarted) is
    // started as an idle-stopped one would be.
    spdlog::warn("deployment {} ({}): cannot unpause, starting it again: {}", d.id, project_key(d),
                 thawed.error().message);
    d.status = DeploymentStatus::kStopped;
    if (!save(d)) return;
    return bring_up(d.id, true, BringUp::kStart);
  }
  d.status = DeploymentStatus::kHealthy;
  d.status_reason.clear();
  // A request woke it: idle time counts from now, even before the gateway's
  // own record of that request reaches the table.
  d.last_request_at = clock_.now_unix();
  if (!save(d)) return;
  refresh_route(d.project_id);
}

// --- workers ----------------------------------------------------------------

void Rollouts::enqueue(const std::string& deployment_id, Task task, IfBusy if_busy) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !tasks_) return;
    if (!busy_.insert(deployment_id).second && if_busy == IfBusy::kSkip) return;
  }
  post(deployment_id, std::move(task));
}

void Rollouts::after_task(const std::string& deployment_id, std::string_view kind, Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !tasks_) return;
    if (!busy_.insert(deployment_id).second) {
      auto& waiting = deferred_[deployment_id];
      // One of each kind is enough: a burst of requests wakes it once.
      if (std::ranges::none_of(waiting, [&](const auto& w) { return w.first == kind; }))
        waiting.emplace_back(std::string(kind), std::move(task));
      return;
    }
  }
  post(deployment_id, std::move(task));
}

void Rollouts::post(const std::string& deployment_id, Task task) {
  tasks_->post([this, deployment_id, task = std::move(task)] {
    // However the task ends (an exception is logged and counted by the
    // queue), the deployment is free for the next task.
    struct Done {
      Rollouts& self;
      const std::string& id;
      ~Done() { self.task_done(id); }
    } done{*this, deployment_id};
    try {
      task();
    } catch (const std::exception& e) {
      fail_after_bug(deployment_id, e.what());
      throw;
    }
  });
}

void Rollouts::fail_after_bug(const std::string& deployment_id, std::string_view what) {
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment_id);
  if (!d) return;
  fail_rollout(*d, "internal error in the deployer: " + std::string(what));
}

void Rollouts::task_done(const std::string& deployment_id) {
  Task next;
  {
    std::lock_guard lock(mu_);
    last_task_end_[deployment_id] = ++tasks_finished_;
    if (auto it = deferred_.find(deployment_id); it != deferred_.end() && !stopping_) {
      next = std::move(it->second.front().second);  // the deployment stays busy for it
      it->second.erase(it->second.begin());
      if (it->second.empty()) deferred_.erase(it);
    } else {
      busy_.erase(deployment_id);
      deferred_.erase(deployment_id);
    }
  }
  if (next) post(deployment_id, std::move(next));
  reconcile_soon();
}

std::uint64_t Rollouts::tasks_finished() {
  std::lock_guard lock(mu_);
  return tasks_finished_;
}

bool Rollouts::task_finished_since(const std::string& deployment_id, std::uint64_t mark) {
  std::lock_guard lock(mu_);
  const auto it = last_task_end_.find(deployment_id);
  return it != last_task_end_.end() && it->second > mark;
}

bool Rollouts::is_busy(const std::string& deployment_id) {
  std::lock_guard lock(mu_);
  return busy_.contains(deployment_id);
}

Result<Deployment> Rollouts::save(Deployment& d) {
  auto saved = store_.deployments().save(d);
  if (saved) d = *saved;
  return saved;
}

void Rollouts::save_or_log(Deployment& d) {
  auto saved = save(d);
  if (saved) return;
  // Deleted under a task: nothing to record, and the reconciler sweeps.
  if (saved.error().code == ErrorCode::kNotFound)
    spdlog::info("deployment {} was deleted while it changed", d.id);
  else
    spdlog::error("deployment {}: cannot record status: {}", d.id, saved.error().message);
}

std::string Rollouts::image_reference(const Deployment& d) const {
  return registry_.host + "/" + project_key(d) + "@" + d.image_digest;
}

runtime::ContainerSpec Rollouts::spec_for(const Deployment& d, const std::string& network) const {
  runtime::ContainerSpec spec;
  spec.network = network;
  spec.user = kServiceUser;
  spec.name = "orsa-" + d.id + "-" + random_hex(4);
  spec.image = image_reference(d);
  spec.labels = {{runtime::kLabelManaged, "true"},
                 {runtime::kLabelDeployment, d.id},
                 {runtime::kLabelProject, project_key(d)},
                 {runtime::kLabelOwner, d.owner_id}};
  spec.env = env_from_json(d.env_json);
  spec.env["ORSA_IMAGE_DIGEST"] = d.image_digest;
  spec.env["ORSA_DEPLOYMENT"] = d.id;
  spec.container_port = options_.container_port;
  spec.replicas = static_cast<std::int32_t>(d.replicas);
  spec.memory_bytes = d.memory_mb * 1024 * 1024;
  spec.cpus = static_cast<double>(d.cpu_millis) / 1000.0;
  return spec;
}

std::string Rollouts::failure_reason(const Deployment& d, const std::string& what) {
  std::string reason = what;
  if (d.container_id.empty()) return reason;
  runtime::LogOptions options{.tail = kReasonLogLines};
  std::string lines;
  // Best effort: a reason without log lines still names what failed.
  std::ignore = runtime_->logs(d.container_id, options, [&](const runtime::LogLine& line) {
    lines += line.text + "\n";
    return true;
  });
  // The end of the log matters most; a reason is stored and shown, so bounded.
  if (lines.size() > kReasonLogBytes) lines.erase(0, lines.size() - kReasonLogBytes);
  if (!lines.empty()) reason += "; last log lines:\n" + lines;
  return reason;
}

void Rollouts::run_rollout(const std::string& deployment_id) {
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment_id);
  if (!d || !d->desired_running) return;
  d->status = DeploymentStatus::kPulling;
  d->status_reason.clear();
  if (!save(*d)) return;
  // Pinned by digest, an image already in the store is this very image (the
  // prefetcher's pull or an earlier deploy's); the API authorised its use.
  if (!runtime_->has_image(image_reference(*d))) {
    if (auto pulled = pull_image(*d); !pulled) return fail_rollout(*d, pulled.error().message);
  }
  bring_up(deployment_id, false, BringUp::kStart);
}

Result<void> Rollouts::pull_image(const Deployment& d) {
  auto project = store_.projects().find(OwnerScope::everyone(), d.owner_username, d.project_name);
  auto token =
      project ? accounts_.issue_pull_token(
                    {.user_id = d.owner_id, .username = d.owner_username, .role = Role::kDeveloper},
                    project_key(d))
              : Result<std::string>(fail(project.error()));
  // Pull-only: a runtime that leaked its credentials could not push with them.
  if (!token)
    return fail(Error::unavailable("cannot authorise the pull: " + token.error().message));
  runtime::RegistryAuth auth{registry_.host, d.owner_username, *token};
  if (auto pulled = runtime_->pull(image_reference(d), auth); !pulled) {
    return fail(Error::unavailable("pull failed: " + pulled.error().message));
  }
  return {};
}

void Rollouts::bring_up(const std::string& deployment_id, bool reuse_container, BringUp mode) {
  auto d = store_.deployments().find(OwnerScope::everyone(), deployment_id);
  if (!d) return;
  const bool waking = d->status == DeploymentStatus::kStopped && d->status_reason == kIdleReason;
  d->desired_running = true;
  d->status = DeploymentStatus::kStarting;
  d->status_reason = waking ? "waking from idle" : "";
  if (!save(*d)) return;
  if (!waking) refresh_route(d->project_id);
  bool started = false;
  if (reuse_container && !d->container_id.empty()) {
    started = runtime_->start(d->container_id).has_value();
  }
  if (!started) {
    // Not a rollout's first start, which has just pulled: the image may have
    // been collected since, or be on another node only (a cluster runtime).
    if (reuse_container && !runtime_->has_image(image_reference(*d))) {
      if (auto pulled = pull_image(*d); !pulled) return fail_rollout(*d, pulled.error().message);
    }
    // The old container is replaced; if it cannot be removed the reconciler
    // sweeps it as an orphan.
    if (!d->container_id.empty()) std::ignore = runtime_->remove(d->container_id);
    auto network = ensure_network(*d);
    if (!network) {
      d->container_id.clear();
      return fail_rollout(*d, "cannot create the network: " + network.error().message);
    }
    auto id = runtime_->run(spec_for(*d, *network));
    if (!id) {
      d->container_id.clear();
      return fail_rollout(*d, "cannot start the container: " + id.error().message);
    }
    d->container_id = *id;
  }
  auto info = runtime_->inspect(d->container_id);
  if (info) {
    record_endpoint(*info, *d);
    track_replicas(*info, *d);
  } else {
    d->upstream_host.clear();
    d->host_port = 0;
  }
  if (!save(*d)) return;
  auto healthy = wait_healthy(*d);
  if (healthy) return go_live(*d);
  if (mode == BringUp::kRestart) {
    // The container stays: the reconciler sees it down again and counts a
    // fast failure, so a version that keeps dying ends in crashloop.
    d->status_reason = "restart failed: " + healthy.error().message.substr(0, 200);
    save_or_log(*d);
    if (auto now = runtime_->inspect(d->container_id);
        now && now->state == runtime::ContainerState::kRunning) {
      // The next pass sees it running unhealthy and tries again.
      std::ignore = runtime_->stop(d->container_id, options_.stop_grace);
    }
    return;
  }
  fail_rollout(*d, healthy.error().message);
}

void Rollouts::record_endpoint(const runtime::ContainerInfo& info, Deployment& d) const {
  if (!info.endpoints.empty()) {
    d.upstream_host = info.endpoints.front().host;
    d.host_port = info.endpoints.front().port;
  } else if (!info.ip_address.empty()) {
    // On its own network: its address there.
    d.upstream_host = info.ip_address;
    d.host_port = options_.container_port;
  } else {
    // The port published on loopback.
    d.upstream_host.clear();
    d.host_port = info.host_port;
  }
}

Result<void> Rollouts::wait_healthy(Deployment& d) {
  const auto deadline = SteadyClock::now() + options_.health_timeout;
  const http::Client client(std::chrono::seconds(2));
  while (SteadyClock::now() < deadline) {
    auto info = runtime_->inspect(d.container_id);
    if (!info)
      return fail(Error::unavailable("cannot inspect the container: " + info.error().message));
    if (info->state == runtime::ContainerState::kExited ||
        info->state == runtime::ContainerState::kDead) {
      return fail(Error::unavailable(failure_reason(
          d, "the container exited with code " + std::to_string(info->exit_code) +
                 (info->oom_killed
                      ? " (out of memory: its limit is " + std::to_string(d.memory_mb) + " MiB)"
                      : ""))));
    }
    Deployment seen = d;
    record_endpoint(*info, seen);
    track_replicas(*info, d);
    if (seen.host_port != 0 &&
        (seen.host_port != d.host_port || seen.upstream_host != d.upstream_host)) {
      d.host_port = seen.host_port;
      d.upstream_host = seen.upstream_host;
      if (auto saved = save(d); !saved) return fail(saved.error());
    }
    if (d.host_port != 0) {
      const auto upstream = upstream_of(d);
      auto res = client.request(
          "GET", "http://" + upstream.host + ":" + std::to_string(upstream.port) + "/healthz");
      if (res && res->status == 200) return {};
    }
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, kHealthPoll, [&] { return stopping_; })) {
        return fail(Error::unavailable("the control plane is stopping"));
      }
    }
  }
  return fail(Error::unavailable(failure_reason(
      d, "no 200 from /healthz within " + std::to_string(options_.health_timeout.count()) + " s")));
}

void Rollouts::go_live(Deployment& d) {
  d.status = DeploymentStatus::kHealthy;
  d.status_reason.clear();
  d.started_at = clock_.now_unix();
  // The newest live deployment wins the route. The gateway switches before
  // the row says healthy, so whoever reads "healthy" can call it at once.
  route_ahead_of_save(d);
  auto save_result = save(d);
  const bool saved = static_cast<bool>(save_result);
  if (!saved) {
    // The reconciler's next pass health-checks it again and goes live then.
    spdlog::warn("deployment {}: cannot record it healthy: {}", d.id, save_result.error().message);
  }
  // From the rows as they now are: also what the early route could not be
  // (its read failed), or undoing it when the save did.
  refresh_route(d.project_id);
  if (!saved) return;
  auto siblings = store_.deployments().list(OwnerScope::everyone(), d.project_id);
  if (!siblings) return;
  for (const auto& old : *siblings) {
    if (old.id != d.id && old.desired_running && old.created_at <= d.created_at)
      retire_later(old.id, d.id);
  }
}

// The old version drains and stops in a task of its own, so the new one is
// free (to stop, delete, roll back) as soon as it is live.
void Rollouts::retire_later(const std::string& old_id, const std::string& replaced_by) {
  // Busy with a task of its own (being paused, say): retired when it ends.
  after_task(old_id, "retire", [this, old_id, replaced_by] { retire(old_id, replaced_by); });
}

void Rollouts::retire(const std::string& old_id, const std::string& replaced_by) {
  auto found = store_.deployments().find(OwnerScope::everyone(), old_id);
  if (!found || !found->desired_running) return;
  Deployment& old = *found;
  const gateway::Upstream upstream = upstream_of(old);
  old.desired_running = false;
  old.status = DeploymentStatus::kStopped;
  old.status_reason = "replaced by " + replaced_by;
  if (!save(old)) return;
  refresh_route(old.project_id);
  // Requests already on their way to the old version finish first.
  const auto deadline = SteadyClock::now() + options_.drain_timeout;
  while (old.host_port != 0 && routes_.in_flight(upstream) > 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(kDrainPoll);
  }
  // SIGTERM first: the old version's workers shut down cleanly.
  stop_container(old, false);
  stop_container(old, true);
  save_or_log(old);
  audit_.record(std::nullopt, "deployment_replaced", "deployment:" + old.id, "",
                "by " + replaced_by);
}

void Rollouts::fail_rollout(Deployment& d, std::string reason) {
  spdlog::warn("deployment {} ({}) failed: {}", d.id, project_key(d),
               reason.substr(0, reason.find('\n')));
  // A container left behind is swept as an orphan by the reconciler.
  if (!d.container_id.empty()) std::ignore = runtime_->remove(d.container_id);
  remove_networks(d);
  d.container_id.clear();
  d.host_port = 0;
  d.upstream_host.clear();
  d.desired_running = false;
  d.status = DeploymentStatus::kFailed;
  d.status_reason = std::move(reason);
  save_or_log(d);
  refresh_route(d.project_id);
  audit_.record(std::nullopt, "deployment_failed", "deployment:" + d.id, "",
                d.status_reason.substr(0, d.status_reason.find('\n')));
}

void Rollouts::stop_container(Deployment& d, bool remove_container) {
  if (d.container_id.empty() || runtime_ == nullptr || !leads()) return;
  if (remove_container) {
    if (auto ok = runtime_->remove(d.container_id); !ok) {
      spdlog::warn("deployment {}: cannot remove container: {}", d.id, ok.error().message);
    }
    remove_networks(d);
    d.container_id.clear();
    d.host_port = 0;
    d.upstream_host.clear();
    return;
  }
  if (auto ok = runtime_->stop(d.container_id, options_.stop_grace); !ok) {
    spdlog::warn("deployment {}: cannot stop container: {}", d.id, ok.error().message);
  }
}

Result<std::string> Rollouts::ensure_network(const Deployment& d) {
  auto project = store_.projects().find(OwnerScope::everyone(), d.owner_username, d.project_name);
  if (!project) return fail(project.error());
  const bool egress = project->allow_egress;
  std::string name = network_name(d, egress);
  runtime::NetworkSpec spec{.name = name,
                            .labels = {{runtime::kLabelManaged, "true"},
                                       {runtime::kLabelDeployment, d.id},
                                       {runtime::kLabelProject, project_key(d)},
                                       {runtime::kLabelOwner, d.owner_id}},
                            .egress = egress};
  if (auto made = runtime_->create_network(spec); !made) return fail(made.error());
  // The other kind, from before the setting changed, has no container now.
  // Best effort: one still in use stays, and the reconciler sweeps it later.
  std::ignore = runtime_->remove_network(network_name(d, !egress));
  return name;
}

void Rollouts::remove_networks(const Deployment& d) {
  for (const bool egress : {false, true}) {
    // The runtime keeps a network still in use; the reconciler sweeps it later.
    std::ignore = runtime_->remove_network(network_name(d, egress));
  }
}

}  // namespace orsa::workers
