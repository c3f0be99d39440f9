#include "services/deployments.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/json.hpp"
#include "find_authorized.hpp"
#include "manifest/project_config.hpp"

namespace orsa::services {
namespace {

using store::Deployment;
using store::DeploymentStatus;

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

}  // namespace

std::string project_key(const Deployment& d) {
  return d.owner_username + "/" + d.project_name;
}

Deployments::Deployments(store::DeploymentStore& deployments, store::ImageStore& images,
                         store::ProjectStore& projects, source::SourceRepos& repos,
                         gateway::RouteTable& routes, Audit& audit, DeploymentControl& control,
                         DeploymentOptions options)
    : deployments_(deployments),
      images_(images),
      projects_(projects),
      repos_(repos),
      routes_(routes),
      audit_(audit),
      control_(control),
      options_(options) {}

Result<Deployment> Deployments::save(Deployment& d) {
  auto saved = deployments_.save(d);
  if (saved) d = *saved;
  return saved;
}

Result<Deployment> Deployments::authorized(const auth::Principal& who, std::string_view id,
                                           auth::Action action) {
  return find_authorized(who, action,
                         [&](const OwnerScope& scope) { return deployments_.find(scope, id); });
}

Result<Deployments::Settings> Deployments::settings_for(const store::Image& image,
                                                        const DeployRequest& request) {
  std::int64_t memory = options_.default_memory_mb;
  std::int64_t cpu = options_.default_cpu_millis;
  Settings settings;
  // orsa.toml at the image's commit may ask for other resources.
  auto project = projects_.find_by_id(OwnerScope::everyone(), image.project_id);
  if (project) {
    auto toml =
        repos_.read_file({project->owner_username, project->name}, image.commit_sha, "orsa.toml");
    if (toml) {
      if (auto config = manifest::parse_project_config(*toml)) {
        const manifest::ProjectConfig& wanted = *config;
        if (wanted.memory_mb) memory = *wanted.memory_mb;
        if (wanted.cpus) cpu = std::llround(*wanted.cpus * 1000);
        settings.timeout_s = wanted.timeout_s;
        settings.max_body_bytes = wanted.max_body_bytes;
        settings.workers = wanted.workers;
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
    return fail(Error::invalid_argument(
        "cpus must be between 0.1 and " +
        std::to_string(static_cast<double>(options_.max_cpu_millis) / 1000.0)));
  }
  if (settings.timeout_s > options_.max_timeout_s) {
    return fail(Error::invalid_argument(
        "orsa.toml asks for [service] timeout = " + std::to_string(settings.timeout_s) +
        " s; this installation allows at most " + std::to_string(options_.max_timeout_s) +
        " s per call (submit a run for longer solves)"));
  }
  auto replicas = replicas_for(request);
  if (!replicas) return fail(replicas.error());
  settings.memory_mb = memory;
  settings.cpu_millis = cpu;
  settings.replicas = *replicas;
  return settings;
}

Result<std::int64_t> Deployments::replicas_for(const DeployRequest& request) const {
  const std::int64_t cap = std::min(options_.max_replicas, control_.max_replicas());
  const std::int64_t wanted =
      request.replicas.value_or(std::min<std::int64_t>(options_.replicas, cap));
  if (wanted >= 1 && wanted <= cap) return wanted;
  if (cap == 1 && wanted > 1) {
    return fail(Error::invalid_argument(
        "this installation runs one replica per deployment (its container runtime or its "
        "admin's cap); replicas must be 1"));
  }
  return fail(Error::invalid_argument("replicas must be between 1 and " + std::to_string(cap)));
}

Result<void> Deployments::check_counts(const auth::Principal& who, const store::Image& image) {
  auto own = deployments_.list(OwnerScope::of(image.owner_id), std::nullopt);
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
    return images_.find(scope, request.image_id);
  });
  if (!image) return fail(image.error());
  auto settings = settings_for(*image, request);
  if (!settings) return fail(settings.error());
  auto env = env_to_json(request.env.value_or(std::map<std::string, std::string>{}), options_);
  if (!env) return fail(env.error());
  if (auto ok = check_counts(who, *image); !ok) return fail(ok.error());
  // Checked last, so callers without access learn nothing from a 503.
  if (!control_.attached()) return fail(Error::unavailable("no container runtime is attached"));
  return deployments_.create(
      {.project_id = image->project_id,
       .image_id = image->id,
       .visibility = request.visibility.value_or(store::Visibility::kPrivate),
       .memory_mb = settings->memory_mb,
       .cpu_millis = settings->cpu_millis,
       .env_json = *env,
       .timeout_s = settings->timeout_s,
       .max_body_bytes = settings->max_body_bytes,
       .workers = settings->workers,
       .replicas = settings->replicas});
}

Result<Deployment> Deployments::create(const auth::Principal& who, const DeployRequest& request,
                                       const Caller& caller) {
  auto d = validate_and_create(who, request);
  if (!d) return d;
  audit_.record(who.user_id, "deploy", "deployment:" + d->id, caller.ip,
                project_key(*d) + " image " + d->image_tag);
  control_.roll_out(d->id);
  control_.refresh_route(d->project_id);
  return d;
}

Result<Deployment> Deployments::get(const auth::Principal& who, std::string_view id) {
  return authorized(who, id, auth::Action::kRead);
}

Result<std::vector<Deployment>> Deployments::list(const auth::Principal& who,
                                                  const std::optional<ProjectRef>& project) {
  if (!project) return deployments_.list(auth::Policy::scope(who), std::nullopt);
  auto p = projects_.find(auth::Policy::scope(who), project->owner, project->name);
  if (!p) return fail(p.error());
  return deployments_.list(auth::Policy::scope(who), p->id);
}

Result<Deployment> Deployments::stop_deployment(const auth::Principal& who, std::string_view id,
                                                const Caller& caller) {
  auto d = authorized(who, id, auth::Action::kDeploy);
  if (!d) return d;
  if (control_.is_busy(d->id))
    return fail(Error::conflict("the deployment is changing; try again shortly"));
  audit_.record(who.user_id, "deployment_stop", "deployment:" + d->id, caller.ip);
  d->desired_running = false;
  d->status = DeploymentStatus::kStopped;
  d->status_reason = "stopped by " + who.username;
  if (auto saved = save(*d); !saved) return saved;
  control_.refresh_route(d->project_id);
  control_.stop_container(*d, false);
  return save(*d);
}

Result<Deployment> Deployments::start_deployment(const auth::Principal& who, std::string_view id,
                                                 const Caller& caller) {
  auto d = authorized(who, id, auth::Action::kDeploy);
  if (!d) return d;
  if (!control_.attached()) return fail(Error::unavailable("no container runtime is attached"));
  if (d->desired_running && d->status != DeploymentStatus::kCrashloop) return d;
  if (control_.is_busy(d->id))
    return fail(Error::conflict("the deployment is changing; try again shortly"));
  audit_.record(who.user_id, "deployment_start", "deployment:" + d->id, caller.ip);
  d->desired_running = true;
  d->status = DeploymentStatus::kPending;
  d->status_reason.clear();
  auto saved = save(*d);
  if (!saved) return saved;
  control_.resume(d->id);
  return saved;
}

Result<void> Deployments::remove(const auth::Principal& who, std::string_view id,
                                 const Caller& caller) {
  auto d = authorized(who, id, auth::Action::kDeploy);
  if (!d) return fail(d.error());
  // No wait for a task in flight (a rollout, a retirement): its saves update
  // the row, so once the row is gone they change nothing, and the reconciler,
  // which leaves a busy deployment's containers alone, sweeps whatever the
  // task started when it ends.
  if (auto ok = deployments_.remove(auth::Policy::scope(who), d->id); !ok) return ok;
  audit_.record(who.user_id, "deployment_delete", "deployment:" + d->id, caller.ip);
  control_.refresh_route(d->project_id);
  control_.stop_container(*d, true);
  control_.forget(d->id);
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
  if (d->container_id.empty() || !control_.attached()) return {};  // nothing ran (yet)
  runtime::LogOptions options{.tail = query.tail, .since = query.since, .follow = query.follow};
  options.keep_going = [&] { return sink(nullptr); };
  return control_.logs(d->container_id, options,
                       [&](const runtime::LogLine& line) { return sink(&line); });
}

Result<DeploymentMetrics> Deployments::metrics(const auth::Principal& who, std::string_view id) {
  auto d = authorized(who, id, auth::Action::kRead);
  if (!d) return fail(d.error());
  DeploymentMetrics out{.stats = routes_.stats(d->id), .workers = d->workers};
  out.queued = gateway::queued_calls(out.stats.in_flight, out.workers);
  return out;
}

Result<bool> Deployments::image_in_use(std::string_view image_id) {
  auto count = deployments_.count_using_image(image_id);
  if (!count) return fail(count.error());
  return *count > 0;
}

}  // namespace orsa::services
