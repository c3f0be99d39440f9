#include "services/deployments.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/json.hpp"
#include "core/random.hpp"
#include "core/work_queue.hpp"
#include "find_authorized.hpp"
#include "http/client.hpp"
#include "manifest/project_config.hpp"

namespace orsa::services {
namespace {

using store::Deployment;
using store::DeploymentStatus;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kHealthPoll = std::chrono::milliseconds(100);
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
// Enough for the model's own traceback: gunicorn's halt traceback, printed
// after it, alone takes about 20 lines.
constexpr std::size_t kReasonLogLines = 80;
constexpr std::size_t kReasonLogBytes = 16 * 1024;
constexpr auto kEventsRetry = std::chrono::seconds(2);
constexpr std::string_view kIdleReason = "idle";

bool valid_env_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  if (!(std::isupper(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::ranges::all_of(name, [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

Result<std::string> env_to_json(const std::map<std::string, std::string>& env,
                                const DeploymentOptions& options) {
  if (env.size() > options.max_env_vars) {
    return fail(Error::invalid_argument("env may have at most " +
                                        std::to_string(options.max_env_vars) + " variables"));
  }
  Json out = Json::object();
  for (const auto& [name, value] : env) {
    if (!valid_env_name(name)) {
      return fail(Error::invalid_argument("env name '" + name +
                                          "' must be upper-case letters, digits and '_'"));
    }
    if (name.starts_with("ORSA_")) {
      return fail(Error::invalid_argument("env names starting with ORSA_ are reserved"));
    }
    if (value.size() > options.max_env_value_bytes || value.find('\0') != std::string::npos) {
      return fail(Error::invalid_argument("env value of " + name + " is too long or has a NUL"));
    }
    out[name] = value;
  }
  return out.dump();
}

std::map<std::string, std::string> env_from_json(const std::string& text) {
  std::map<std::string, std::string> env;
  const Json doc = Json::parse(text, nullptr, false);
  if (!doc.is_object()) return env;
  for (const auto& [name, value] : doc.items()) {
    if (value.is_string()) env[name] = value.get<std::string>();
  }
  return env;
}

bool is_live(const Deployment& d) {
  return d.desired_running && d.status == DeploymentStatus::kHealthy && d.host_port > 0;
}

std::string project_key(const Deployment& d) {
  return d.owner_username + "/" + d.project_name;
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

Deployments::Deployments(store::Store& store, source::SourceRepos& repos, Accounts& accounts,
                         gateway::RouteTable& routes, Audit& audit, const Clock& clock,
                         DeploymentOptions options)
    : store_(store),
      repos_(repos),
      accounts_(accounts),
      routes_(routes),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)) {}

Deployments::~Deployments() {
  stop();
}

void Deployments::start(runtime::Runtime& runtime, RegistryAccess registry) {
  runtime_ = &runtime;
  registry_ = std::move(registry);
  tasks_ = std::make_unique<WorkQueue>("deployments", options_.workers);
  if (!options_.reconcile_in_background) return;
  reconciler_ = std::make_unique<BackgroundThread>(
      "reconciler", [this](const std::stop_token&) { reconciler_loop(); });
  events_ = std::make_unique<BackgroundThread>("runtime events",
                                               [this](const std::stop_token&) { events_loop(); });
}

void Deployments::stop() {
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

// --- API operations ---------------------------------------------------------

Result<Deployment> Deployments::authorized(const auth::Principal& who, std::string_view id,
                                           auth::Action action) {
  return find_authorized(
      who, action, [&](const OwnerScope& scope) { return store_.find_deployment(scope, id); });
}

Result<std::pair<std::int64_t, std::int64_t>> Deployments::resources_for(
    const store::Image& image, const DeployRequest& request) {
  std::int64_t memory = options_.default_memory_mb;
  std::int64_t cpu = options_.default_cpu_millis;
  // orsa.toml at the image's commit may ask for other resources.
  auto project = store_.find_project(OwnerScope::everyone(),
                                     image.repository.substr(0, image.repository.find('/')),
                                     image.repository.substr(image.repository.find('/') + 1));
  if (project) {
    auto toml =
        repos_.read_file({project->owner_username, project->name}, image.commit_sha, "orsa.toml");
    if (toml) {
      if (auto config = manifest::parse_project_config(*toml)) {
        if (config->memory_mb) memory = *config->memory_mb;
        if (config->cpus) cpu = std::llround(*config->cpus * 1000);
      }
    }
  }
  if (request.memory_mb) memory = *request.memory_mb;
  if (request.cpus) {
    if (!std::isfinite(*request.cpus))
      return fail(Error::invalid_argument("cpus must be a number"));
    cpu = std::llround(*request.cpus * 1000);
  }
  if (memory < 64 || memory > options_.max_memory_mb) {
    return fail(Error::invalid_argument("memory_mb must be between 64 and " +
                                        std::to_string(options_.max_memory_mb)));
  }
  if (cpu < 100 || cpu > options_.max_cpu_millis) {
    return fail(Error::invalid_argument("cpus must be between 0.1 and " +
                                        std::to_string(options_.max_cpu_millis / 1000.0)));
  }
  return std::pair{memory, cpu};
}

Result<void> Deployments::check_counts(const auth::Principal& who, const store::Image& image) {
  auto own = store_.list_deployments(OwnerScope::of(image.owner_id), std::nullopt);
  if (!own) return fail(own.error());
  const auto running =
      std::ranges::count_if(*own, [](const Deployment& d) { return d.desired_running; });
  const auto of_project = std::ranges::count_if(
      *own, [&](const Deployment& d) { return d.project_id == image.project_id; });
  if (static_cast<std::size_t>(running) >= options_.max_running_per_user &&
      !auth::Policy::require_admin(who)) {
    return fail(Error::conflict("at most " + std::to_string(options_.max_running_per_user) +
                                " deployments may run at once; stop one first"));
  }
  if (static_cast<std::size_t>(of_project) >= options_.max_per_project) {
    return fail(Error::conflict("the project has " + std::to_string(of_project) +
                                " deployments; delete old ones first"));
  }
  return {};
}

Result<Deployment> Deployments::validate_and_create(const auth::Principal& who,
                                                    const DeployRequest& request) {
  auto image = find_authorized(who, auth::Action::kDeploy, [&](const OwnerScope& scope) {
    return store_.find_image(scope, request.image_id);
  });
  if (!image) return fail(image.error());
  auto resources = resources_for(*image, request);
  if (!resources) return fail(resources.error());
  auto env = env_to_json(request.env.value_or(std::map<std::string, std::string>{}), options_);
  if (!env) return fail(env.error());
  if (auto ok = check_counts(who, *image); !ok) return fail(ok.error());
  // Checked last, so callers without access learn nothing from a 503.
  if (runtime_ == nullptr) return fail(Error::unavailable("no container runtime is attached"));
  return store_.create_deployment(
      {.project_id = image->project_id,
       .image_id = image->id,
       .visibility = request.visibility.value_or(store::Visibility::kPrivate),
       .memory_mb = resources->first,
       .cpu_millis = resources->second,
       .env_json = *env});
}

Result<Deployment> Deployments::create(const auth::Principal& who, const DeployRequest& request,
                                       const Caller& caller) {
  auto d = validate_and_create(who, request);
  if (!d) return d;
  audit_.record(who.user_id, "deploy", "deployment:" + d->id, caller.ip,
                project_key(*d) + " image " + d->image_tag);
  const std::string id = d->id;
  enqueue(id, [this, id] { roll_out(id); });
  refresh_route(d->project_id);
  return d;
}

Result<Deployment> Deployments::get(const auth::Principal& who, std::string_view id) {
  return authorized(who, id, auth::Action::kRead);
}

Result<std::vector<Deployment>> Deployments::list(const auth::Principal& who,
                                                  const std::optional<ProjectRef>& project) {
  if (!project) return store_.list_deployments(auth::Policy::scope(who), std::nullopt);
  auto p = store_.find_project(auth::Policy::scope(who), project->owner, project->name);
  if (!p) return fail(p.error());
  return store_.list_deployments(auth::Policy::scope(who), p->id);
}

Result<Deployment> Deployments::stop_deployment(const auth::Principal& who, std::string_view id,
                                                const Caller& caller) {
  auto d = authorized(who, id, auth::Action::kDeploy);
  if (!d) return d;
  if (is_busy(d->id)) return fail(Error::conflict("the deployment is changing; try again shortly"));
  audit_.record(who.user_id, "deployment_stop", "deployment:" + d->id, caller.ip);
  d->desired_running = false;
  d->status = DeploymentStatus::kStopped;
  d->status_reason = "stopped by " + who.username;
  if (auto saved = save(*d); !saved) return saved;
  refresh_route(d->project_id);
  stop_container(*d, false);
  return save(*d);
}

Result<Deployment> Deployments::start_deployment(const auth::Principal& who, std::string_view id,
                                                 const Caller& caller) {
  auto d = authorized(who, id, auth::Action::kDeploy);
  if (!d) return d;
  if (runtime_ == nullptr) return fail(Error::unavailable("no container runtime is attached"));
  if (d->desired_running && d->status != DeploymentStatus::kCrashloop) return d;
  if (is_busy(d->id)) return fail(Error::conflict("the deployment is changing; try again shortly"));
  audit_.record(who.user_id, "deployment_start", "deployment:" + d->id, caller.ip);
  d->desired_running = true;
  d->status = DeploymentStatus::kPending;
  d->status_reason.clear();
  auto saved = save(*d);
  if (!saved) return saved;
  {
    std::lock_guard lock(mu_);
    crashes_.erase(d->id);
  }
  const std::string dep_id = d->id;
  enqueue(dep_id, [this, dep_id] { bring_up(dep_id, true, BringUp::kStart); });
  return saved;
}

Result<void> Deployments::remove(const auth::Principal& who, std::string_view id,
                                 const Caller& caller) {
  auto d = authorized(who, id, auth::Action::kDeploy);
  if (!d) return fail(d.error());
  if (is_busy(d->id)) return fail(Error::conflict("the deployment is changing; try again shortly"));
  if (auto ok = store_.delete_deployment(auth::Policy::scope(who), d->id); !ok) return ok;
  audit_.record(who.user_id, "deployment_delete", "deployment:" + d->id, caller.ip);
  refresh_route(d->project_id);
  stop_container(*d, true);
  routes_.forget(d->id);
  {
    std::lock_guard lock(mu_);
    crashes_.erase(d->id);
  }
  return {};
}

Result<std::vector<runtime::LogLine>> Deployments::logs(const auth::Principal& who,
                                                        std::string_view id,
                                                        const LogQuery& query) {
  std::vector<runtime::LogLine> lines;
  LogQuery once = query;
  once.follow = false;
  auto ok = follow_logs(who, id, once, [&](const runtime::LogLine* line) {
    if (line != nullptr) lines.push_back(*line);
    return true;
  });
  if (!ok) return fail(ok.error());
  return lines;
}

Result<void> Deployments::follow_logs(const auth::Principal& who, std::string_view id,
                                      const LogQuery& query,
                                      const std::function<bool(const runtime::LogLine*)>& sink) {
  auto d = authorized(who, id, auth::Action::kRead);
  if (!d) return fail(d.error());
  if (d->container_id.empty() || runtime_ == nullptr) return {};  // nothing ran (yet)
  runtime::LogOptions options{.tail = query.tail, .since = query.since, .follow = query.follow};
  options.keep_going = [&] { return sink(nullptr); };
  return runtime_->logs(d->container_id, options,
                        [&](const runtime::LogLine& line) { return sink(&line); });
}

Result<gateway::StatsSnapshot> Deployments::metrics(const auth::Principal& who,
                                                    std::string_view id) {
  auto d = authorized(who, id, auth::Action::kRead);
  if (!d) return fail(d.error());
  return routes_.stats(d->id);
}

Result<bool> Deployments::image_in_use(std::string_view image_id) {
  auto count = store_.count_deployments_of_image(image_id);
  if (!count) return fail(count.error());
  return *count > 0;
}

Result<void> Deployments::stop_idle(const Deployment& deployment) {
  if (is_busy(deployment.id)) return fail(Error::conflict("the deployment is changing"));
  auto d = store_.find_deployment(OwnerScope::everyone(), deployment.id);
  if (!d) return fail(d.error());
  if (!is_live(*d)) return {};
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

void Deployments::wake(const std::string& deployment_id) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || busy_.contains(deployment_id)) return;
    waking_.insert(deployment_id);
  }
  enqueue(deployment_id, [this, deployment_id] {
    bring_up(deployment_id, true, BringUp::kStart);
    std::lock_guard lock(mu_);
    waking_.erase(deployment_id);
  });
}

// --- workers ----------------------------------------------------------------

void Deployments::enqueue(const std::string& deployment_id, Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !tasks_) return;
    busy_.insert(deployment_id);
  }
  tasks_->post([this, deployment_id, task = std::move(task)] {
    // However the task ends (an exception is logged and counted by the
    // queue), the deployment is free for the next task.
    struct Done {
      Deployments& self;
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

void Deployments::fail_after_bug(const std::string& deployment_id, std::string_view what) {
  auto d = store_.find_deployment(OwnerScope::everyone(), deployment_id);
  if (!d) return;
  fail_rollout(*d, "internal error in the deployer: " + std::string(what));
}

void Deployments::task_done(const std::string& deployment_id) {
  {
    std::lock_guard lock(mu_);
    busy_.erase(deployment_id);
    last_task_end_[deployment_id] = ++tasks_finished_;
  }
  reconcile_soon();
}

std::uint64_t Deployments::tasks_finished() {
  std::lock_guard lock(mu_);
  return tasks_finished_;
}

bool Deployments::task_finished_since(const std::string& deployment_id, std::uint64_t mark) {
  std::lock_guard lock(mu_);
  const auto it = last_task_end_.find(deployment_id);
  return it != last_task_end_.end() && it->second > mark;
}

bool Deployments::is_busy(const std::string& deployment_id) {
  std::lock_guard lock(mu_);
  return busy_.contains(deployment_id);
}

Result<Deployment> Deployments::save(Deployment& d) {
  auto saved = store_.save_deployment(d);
  if (saved) d = *saved;
  return saved;
}

void Deployments::save_or_log(Deployment& d) {
  if (auto saved = save(d); !saved)
    spdlog::error("deployment {}: cannot record status: {}", d.id, saved.error().message);
}

std::string Deployments::image_reference(const Deployment& d) const {
  return registry_.host + "/" + project_key(d) + "@" + d.image_digest;
}

runtime::ContainerSpec Deployments::spec_for(const Deployment& d,
                                             const std::string& network) const {
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
  spec.memory_bytes = d.memory_mb * 1024 * 1024;
  spec.cpus = static_cast<double>(d.cpu_millis) / 1000.0;
  return spec;
}

std::string Deployments::failure_reason(const Deployment& d, const std::string& what) {
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

void Deployments::roll_out(const std::string& deployment_id) {
  auto d = store_.find_deployment(OwnerScope::everyone(), deployment_id);
  if (!d || !d->desired_running) return;
  d->status = DeploymentStatus::kPulling;
  d->status_reason.clear();
  if (!save(*d)) return;
  auto project = store_.find_project(OwnerScope::everyone(), d->owner_username, d->project_name);
  auto token =
      project
          ? accounts_.issue_pull_token(
                {.user_id = d->owner_id, .username = d->owner_username, .role = Role::kDeveloper},
                project_key(*d))
          : Result<std::string>(fail(project.error()));
  // Pull-only: a runtime that leaked its credentials could not push with them.
  if (!token) return fail_rollout(*d, "cannot authorise the pull: " + token.error().message);
  runtime::RegistryAuth auth{registry_.host, d->owner_username, *token};
  if (auto pulled = runtime_->pull(image_reference(*d), auth); !pulled) {
    return fail_rollout(*d, "pull failed: " + pulled.error().message);
  }
  bring_up(deployment_id, false, BringUp::kStart);
}

void Deployments::bring_up(const std::string& deployment_id, bool reuse_container, BringUp mode) {
  auto d = store_.find_deployment(OwnerScope::everyone(), deployment_id);
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
  d->upstream_host = info ? info->ip_address : "";
  d->host_port = !info ? 0 : info->ip_address.empty() ? info->host_port : options_.container_port;
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

Result<void> Deployments::wait_healthy(Deployment& d) {
  const auto deadline = SteadyClock::now() + options_.health_timeout;
  const http::Client client(std::chrono::seconds(2));
  while (SteadyClock::now() < deadline) {
    auto info = runtime_->inspect(d.container_id);
    if (!info)
      return fail(Error::unavailable("cannot inspect the container: " + info.error().message));
    if (info->state == runtime::ContainerState::kExited ||
        info->state == runtime::ContainerState::kDead) {
      return fail(Error::unavailable(
          failure_reason(d, "the container exited with code " + std::to_string(info->exit_code) +
                                (info->oom_killed ? " (out of memory)" : ""))));
    }
    // On its own network: its address there; else the port published on loopback.
    const std::string host = info->ip_address;
    const std::int64_t port = host.empty() ? info->host_port : options_.container_port;
    if (port != 0 && (port != d.host_port || host != d.upstream_host)) {
      d.host_port = port;
      d.upstream_host = host;
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

void Deployments::go_live(Deployment& d) {
  d.status = DeploymentStatus::kHealthy;
  d.status_reason.clear();
  d.started_at = clock_.now_unix();
  if (!save(d)) return;
  // The newest live deployment wins the route: the gateway switches now.
  refresh_route(d.project_id);
  auto siblings = store_.list_deployments(OwnerScope::everyone(), d.project_id);
  if (!siblings) return;
  for (auto& old : *siblings) {
    if (old.id != d.id && old.desired_running && old.created_at <= d.created_at) retire(old, d.id);
  }
  refresh_route(d.project_id);
}

void Deployments::retire(Deployment& old, const std::string& replaced_by) {
  if (is_busy(old.id)) return;  // its own task finishes and then sees it is not wanted
  const gateway::Upstream upstream = upstream_of(old);
  old.desired_running = false;
  old.status = DeploymentStatus::kStopped;
  old.status_reason = "replaced by " + replaced_by;
  if (!save(old)) return;
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

void Deployments::fail_rollout(Deployment& d, std::string reason) {
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

void Deployments::stop_container(Deployment& d, bool remove_container) {
  if (d.container_id.empty() || runtime_ == nullptr) return;
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

// --- routes -----------------------------------------------------------------

gateway::Route Deployments::route_for(const std::vector<Deployment>& of_project) const {
  // Newest first: the newest live deployment serves; else an idle one can be woken.
  const Deployment& newest = of_project.front();
  gateway::Route route{.owner = newest.owner_username,
                       .project = newest.project_name,
                       .owner_id = newest.owner_id,
                       .deployment_id = newest.id,
                       .visibility = newest.visibility == store::Visibility::kPublic
                                         ? gateway::Visibility::kPublic
                                         : gateway::Visibility::kPrivate,
                       .state = gateway::RouteState::kUnavailable,
                       .upstream = {}};
  const auto use = [&](const Deployment& d, gateway::RouteState state) {
    route.deployment_id = d.id;
    route.visibility = d.visibility == store::Visibility::kPublic ? gateway::Visibility::kPublic
                                                                  : gateway::Visibility::kPrivate;
    route.state = state;
    route.upstream = upstream_of(d);
  };
  for (const auto& d : of_project) {
    if (is_live(d)) {
      use(d, gateway::RouteState::kServing);
      return route;
    }
  }
  for (const auto& d : of_project) {
    const bool idle = d.status == DeploymentStatus::kStopped && d.status_reason == kIdleReason;
    const bool waking =
        d.status == DeploymentStatus::kStarting && d.status_reason == "waking from idle";
    if (idle || waking) {
      use(d, gateway::RouteState::kIdle);
      return route;
    }
  }
  return route;
}

void Deployments::refresh_route(const std::string& project_id) {
  std::lock_guard lock(routes_mu_);
  auto all = store_.list_deployments(OwnerScope::everyone(), project_id);
  if (!all) return;
  if (all->empty()) {
    // The project's last deployment is gone: find its name among the routes.
    for (const auto& route : routes_.routes()) {
      auto p = store_.find_project(OwnerScope::everyone(), route.owner, route.project);
      if (!p || p->id == project_id) routes_.erase(route.owner, route.project);
    }
    return;
  }
  routes_.put(route_for(*all));
}

void Deployments::refresh_all_routes(const std::vector<Deployment>& all) {
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

// --- reconciler -------------------------------------------------------------

void Deployments::reconcile_soon() {
  {
    std::lock_guard lock(mu_);
    reconcile_requested_ = true;
  }
  cv_.notify_all();
}

void Deployments::reconciler_loop() {
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
void Deployments::events_loop() {
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

void Deployments::reconcile() {
  if (runtime_ == nullptr) return;
  // Two passes at once would both see a crash and both restart it.
  std::lock_guard pass(reconcile_mu_);
  const std::uint64_t pass_began = tasks_finished();
  auto all = store_.list_deployments(OwnerScope::everyone(), std::nullopt);
  if (!all) {
    spdlog::warn("reconciler: cannot read deployments: {}", all.error().message);
    return;
  }
  auto containers = runtime_->list({{runtime::kLabelManaged, "true"}});
  if (!containers) {
    spdlog::warn("reconciler: cannot list containers: {}", containers.error().message);
    return;
  }
  persist_last_requests(*all);
  reconcile_containers(*all, *containers);
  reconcile_networks(*all);
  std::map<std::string, runtime::ContainerInfo> by_id;
  for (const auto& c : *containers) by_id.emplace(c.id, c);
  for (const auto& d : *all) {
    // A task that ended after the snapshot changed the row and the container;
    // the pass it requested on ending sees both fresh.
    if (task_finished_since(d.id, pass_began)) continue;
    reconcile_deployment(d, by_id);
  }
  if (auto fresh = store_.list_deployments(OwnerScope::everyone(), std::nullopt)) {
    refresh_all_routes(*fresh);
  }
}

// The gateway counts requests in memory; the table keeps the last one's time
// across restarts (the collector's idle rule and the API read it).
void Deployments::persist_last_requests(const std::vector<Deployment>& all) {
  for (const auto& d : all) {
    const auto seen = routes_.stats(d.id).last_request_at;
    if (seen && (!d.last_request_at || *seen > *d.last_request_at)) {
      // Bookkeeping for the idle collector; the next pass retries.
      std::ignore = store_.record_last_request(d.id, *seen);
    }
  }
}

// Containers no deployment wants (deleted, replaced, failed, or left by a
// crash of this process mid-rollout) are removed.
void Deployments::reconcile_containers(const std::vector<Deployment>& all,
                                       const std::vector<runtime::ContainerInfo>& containers) {
  std::map<std::string, const Deployment*> by_id;
  for (const auto& d : all) by_id.emplace(d.id, &d);
  for (const auto& c : containers) {
    const auto label = c.labels.find(runtime::kLabelDeployment);
    const std::string dep_id = label == c.labels.end() ? "" : label->second;
    if (!dep_id.empty() && is_busy(dep_id)) continue;
    const auto it = by_id.find(dep_id);
    const bool wanted = it != by_id.end() && it->second->container_id == c.id;
    if (wanted) continue;
    spdlog::info("reconciler: removing orphaned container {} ({})", c.name,
                 dep_id.empty() ? "no deployment" : dep_id);
    std::ignore = runtime_->remove(c.id);  // still an orphan next pass if this fails
  }
}

Result<std::string> Deployments::ensure_network(const Deployment& d) {
  auto project = store_.find_project(OwnerScope::everyone(), d.owner_username, d.project_name);
  if (!project) return fail(project.error());
  const bool egress = project->allow_egress;
  const std::string name = network_name(d, egress);
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

void Deployments::remove_networks(const Deployment& d) {
  for (const bool egress : {false, true}) {
    // The runtime keeps a network still in use; the reconciler sweeps it later.
    std::ignore = runtime_->remove_network(network_name(d, egress));
  }
}

gateway::Upstream Deployments::upstream_of(const Deployment& d) {
  return {d.upstream_host.empty() ? "127.0.0.1" : d.upstream_host,
          static_cast<std::uint16_t>(d.host_port)};
}

// Networks of deployments that are gone or have no container (failed,
// deleted, replaced): the runtime refuses to remove one still in use, so
// trying is safe.
void Deployments::reconcile_networks(const std::vector<Deployment>& all) {
  auto networks = runtime_->list_networks({{runtime::kLabelManaged, "true"}});
  if (!networks) {
    spdlog::debug("reconciler: cannot list networks: {}", networks.error().message);
    return;
  }
  std::map<std::string, const Deployment*> by_id;
  for (const auto& d : all) by_id.emplace(d.id, &d);
  for (const auto& n : *networks) {
    const auto label = n.labels.find(runtime::kLabelDeployment);
    const std::string dep_id = label == n.labels.end() ? "" : label->second;
    if (!dep_id.empty() && is_busy(dep_id)) continue;
    const auto it = by_id.find(dep_id);
    if (it != by_id.end() && !it->second->container_id.empty()) continue;
    if (runtime_->remove_network(n.name)) {
      spdlog::info("reconciler: removed network {} ({})", n.name,
                   dep_id.empty() ? "no deployment" : dep_id);
    }
  }
}

void Deployments::reconcile_deployment(const Deployment& d,
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
    case DeploymentStatus::kPulling:
      // A rollout this process did not finish (it was restarted): start over.
      enqueue(d.id, [this, id = d.id] { roll_out(id); });
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
    case DeploymentStatus::kFailed:
    case DeploymentStatus::kStopped:
    case DeploymentStatus::kCrashloop:
      return;
  }
}

void Deployments::on_crash(const Deployment& d, const runtime::ContainerInfo& c) {
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
                  " times soon after starting; last exit code " + std::to_string(c.exit_code));
    save_or_log(copy);
    refresh_route(copy.project_id);
    audit_.record(std::nullopt, "deployment_crashloop", "deployment:" + d.id, "");
    return;
  }
  spdlog::warn("reconciler: deployment {} ({}) is down (exit code {}); restart {}", d.id,
               project_key(d), c.exit_code, failures);
  enqueue(d.id, [this, id = d.id] { restart_crashed(id); });
}

void Deployments::restart_crashed(const std::string& deployment_id) {
  auto d = store_.find_deployment(OwnerScope::everyone(), deployment_id);
  if (!d || !d->desired_running) return;
  d->restarts += 1;
  if (!save(*d)) return;
  bring_up(deployment_id, true, BringUp::kRestart);
}

}  // namespace orsa::services
