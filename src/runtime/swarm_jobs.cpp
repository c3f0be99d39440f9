// The job half of the Swarm runtime (ADR 0021): a run is a one-shot service
// on an overlay of its own; its task fetches its input from the jobs
// listener and uploads its result there, into the work_dir this process
// keeps for it.

#include <algorithm>
#include <chrono>
#include <thread>
#include <tuple>

#include "core/strings.hpp"
#include "docker_api_detail.hpp"
#include "docker_json.hpp"
#include "job_files.hpp"
#include "runtime/swarm_runtime.hpp"
#include "swarm_json.hpp"
#include "unix_http.hpp"

namespace orsa::runtime {
namespace {

namespace fs = std::filesystem;
using detail::status_error;

// The job's work_dir, kept on the service so a restarted process finds it.
constexpr const char* kLabelWorkDir = "orsa.work-dir";
constexpr auto kTokenMargin = std::chrono::minutes(5);
constexpr auto kUnreachableLimit = std::chrono::minutes(2);
// A network still has the task's endpoint a moment after its service went.
constexpr int kNetworkRemoveAttempts = 20;
constexpr auto kNetworkRemovePause = std::chrono::milliseconds(250);

std::string token_secret(const std::string& job) {
  return job + "-token";
}

std::string job_network(const std::string& job) {
  return job + "-net";
}

bool task_ended(const std::string& state) {
  return state == "complete" || state == "failed" || state == "shutdown" || state == "rejected" ||
         state == "orphaned" || state == "remove";
}

}  // namespace

Result<std::string> SwarmRuntime::create_job_secret(const std::string& name, const JobSpec& spec,
                                                    const std::string& token) {
  std::map<std::string, std::string> labels = {{kLabelJob, "true"}};
  if (const auto it = spec.labels.find(kLabelOwner); it != spec.labels.end()) {
    labels.insert(*it);
  }
  const std::string body = swarm::secret_body(name, labels, token);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto created = http_->request("POST", path("/secrets/create"), body, {}, options_.call_timeout);
    if (!created) return fail(created.error());
    if (created->status == 201 || created->status == 200) {
      return swarm::parse_created_id(created->body);
    }
    Error error = status_error(created->status, created->body, "create secret " + name);
    // Left by a start that a crash interrupted: replaced.
    if (error.code != ErrorCode::kConflict || attempt > 0) return fail(std::move(error));
    if (auto removed = delete_object("secrets", name); !removed) return fail(removed.error());
  }
  return fail(Error::internal("unreachable"));
}

Result<void> SwarmRuntime::delete_object(const std::string& kind, const std::string& name) {
  auto reply =
      http_->request("DELETE", path("/" + kind + "/" + name), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status == 200 || reply->status == 204 || reply->status == 404) return {};
  return fail(status_error(reply->status, reply->body, "remove " + kind + " " + name));
}

Result<std::string> SwarmRuntime::start_job(const JobSpec& spec) {
  if (!options_.job_files) {
    return fail(Error::unavailable("runs on Swarm need the jobs listener (--jobs-listen)"));
  }
  if (spec.labels.contains(kLabelManaged)) {
    return fail(Error::invalid_argument("a job may not carry the deployments' label"));
  }
  if (auto ok = detail::check_id(spec.name); !ok) return fail(ok.error());
  std::string name = swarm::service_name(spec.name);
  auto input_bytes = detail::prepare_served_job_files(spec);
  if (!input_bytes) return fail(input_bytes.error());
  const auto undo = [&](Error error) -> Result<std::string> {
    std::ignore = remove_job(name);
    std::ignore = detail::remove_job_files(spec.work_dir);
    return fail(std::move(error));
  };
  const auto ttl = std::max(spec.deadline, std::chrono::seconds(1)) + kTokenMargin;
  auto access =
      options_.job_files(spec.work_dir, static_cast<std::uint64_t>(spec.max_output_bytes), ttl);
  if (!access) return undo(access.error());
  auto secret_id = create_job_secret(token_secret(name), spec, access->token);
  if (!secret_id) return undo(secret_id.error());
  if (auto made = create_network({.name = job_network(name),
                                  .labels = {{kLabelJob, "true"}, {"orsa.job-name", name}},
                                  .egress = false});
      !made) {
    return undo(made.error());
  }
  JobSpec job = spec;
  job.name = name;
  job.labels[kLabelJob] = "true";
  job.labels[kLabelWorkDir] = spec.work_dir.string();
  const swarm::JobServiceOptions options{.job_url = access->url,
                                         .token_secret = token_secret(name),
                                         .token_secret_id = *secret_id,
                                         .network = job_network(name),
                                         .input_bytes = *input_bytes};
  auto created =
      http_->request("POST", path("/services/create"), swarm::job_service_spec(job, options),
                     registry_auth_headers(spec.image), options_.call_timeout);
  if (!created) return undo(created.error());
  if (created->status != 201 && created->status != 200) {
    return undo(status_error(created->status, created->body, "create job " + name));
  }
  auto id = swarm::parse_created_id(created->body);
  if (!id) return undo(id.error());
  return name;  // the service's name: a restarted process finds it by name as by id
}

Result<JobOutcome> SwarmRuntime::wait_job(const std::string& id, const JobWait& wait) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  std::optional<swarm::Service> service;
  std::optional<swarm::Task> task;
  auto polled = detail::poll_job(
      wait, options_.job_poll, kUnreachableLimit,
      [&]() -> Result<detail::JobLook> {
        auto body = get("/services/" + id, "job " + id);
        if (!body) return fail(body.error());
        auto parsed = swarm::parse_service(*body);
        if (!parsed) return fail(parsed.error());
        service = std::move(*parsed);
        const std::string filter = R"({"service":[")" + service->id + R"("]})";
        auto tasks_body = get("/tasks?filters=" + percent_encode(filter), "tasks of " + id);
        if (!tasks_body) return fail(tasks_body.error());
        auto tasks = swarm::parse_tasks(*tasks_body);
        if (!tasks) return fail(tasks.error());
        if (!tasks->empty()) task = tasks->front();
        // Counted from the service's creation: a node's pull counts against it.
        detail::JobLook look{.ended = task && task_ended(task->state)};
        if (service->created_at > 0) look.started_at_ms = service->created_at * 1000;
        return look;
      },
      // The task gets SIGTERM, then SIGKILL after the stop grace period.
      [&](std::chrono::milliseconds) { return scale(service ? service->id : id, 0); });
  if (!polled) return fail(polled.error());
  if (!task || !service) return fail(Error::internal("job " + id + " ended without a task"));
  const swarm::Task& ended = *task;
  JobOutcome out{.exit_code = ended.exit_code,
                 .timed_out = polled->timed_out,
                 .canceled = polled->canceled,
                 .killed = polled->stop_asked && ended.exit_code == 137};
  if (ended.state == "rejected" && out.exit_code == 0) out.exit_code = 1;  // it never ran
  if (service->created_at > 0) out.started_at_ms = service->created_at * 1000;
  if (ended.updated_at > 0) out.finished_at_ms = ended.updated_at * 1000;
  return out;
}

Result<std::uint64_t> SwarmRuntime::copy_job_output(const std::string& id, JobOutput which,
                                                    const fs::path& destination,
                                                    std::uint64_t max_bytes) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  auto body = get("/services/" + id, "job " + id);
  if (!body) return fail(body.error());
  auto service = swarm::parse_service(*body);
  if (!service) return fail(service.error());
  const auto dir = service->labels.find(kLabelWorkDir);
  if (dir == service->labels.end() || dir->second.empty() || dir->second.front() != '/') {
    return fail(Error::not_found("job " + id + " names no work directory"));
  }
  return detail::copy_output_file(fs::path(dir->second) / "out", detail::output_file_name(which),
                                  destination, max_bytes);
}

Result<void> SwarmRuntime::job_logs(const std::string& id, const LogOptions& options,
                                    const std::function<bool(const LogLine&)>& sink) {
  return logs(id, options, sink);
}

Result<void> SwarmRuntime::remove_job(const std::string& id) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  std::optional<fs::path> work_dir;
  if (auto body = get("/services/" + id, "job " + id)) {
    if (auto service = swarm::parse_service(*body)) {
      const auto dir = service->labels.find(kLabelWorkDir);
      if (dir != service->labels.end() && !dir->second.empty() && dir->second.front() == '/') {
        work_dir = fs::path(dir->second);
      }
    }
  }
  if (auto ok = remove(id); !ok) return ok;
  if (auto ok = delete_object("secrets", token_secret(id)); !ok) return ok;
  for (int attempt = 1;; ++attempt) {
    auto removed = engine_.remove_network(job_network(id));
    if (removed || removed.error().code == ErrorCode::kNotFound) break;
    if (attempt == kNetworkRemoveAttempts) return removed;
    std::this_thread::sleep_for(kNetworkRemovePause);
  }
  if (work_dir) return detail::remove_job_files(*work_dir);
  return {};
}

Result<void> SwarmRuntime::discard_work_dir(const fs::path& work_dir) {
  return detail::remove_job_files(work_dir);
}

Result<std::vector<ContainerInfo>> SwarmRuntime::list_jobs(
    const std::map<std::string, std::string>& labels) {
  auto wanted = labels;
  wanted[kLabelJob] = "true";
  auto body =
      get("/services?filters=" + percent_encode(docker::label_filters(wanted, false)), "list jobs");
  if (!body) return fail(body.error());
  auto services = swarm::parse_services(*body);
  if (!services) return fail(services.error());
  std::vector<ContainerInfo> out;
  for (const auto& service : *services) {
    const bool matches = std::ranges::all_of(wanted, [&](const auto& kv) {
      const auto it = service.labels.find(kv.first);
      return it != service.labels.end() && it->second == kv.second;
    });
    if (!matches) continue;
    ContainerInfo info;
    info.id = service.name;
    info.name = service.name;
    info.image = service.image;
    info.labels = service.labels;
    info.state = service.replicas > 0 ? ContainerState::kRunning : ContainerState::kExited;
    if (service.created_at > 0) info.started_at = service.created_at;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace orsa::runtime
