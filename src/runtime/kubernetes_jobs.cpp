// The job half of the Kubernetes runtime (ADR 0021): a run is a batch/v1
// Job whose pod fetches its input from the jobs listener and uploads its
// result there, into the work_dir this process keeps for it.

#include <chrono>
#include <thread>
#include <tuple>

#include "core/json.hpp"
#include "core/strings.hpp"
#include "job_files.hpp"
#include "kubernetes/answers.hpp"
#include "kubernetes/api_client.hpp"
#include "kubernetes/job_watch.hpp"
#include "kubernetes/requests.hpp"
#include "runtime/kubernetes/objects.hpp"
#include "runtime/kubernetes_runtime.hpp"

namespace orsa::runtime {
namespace {

namespace fs = std::filesystem;
using kubernetes::status_error;

// The job's work_dir, kept on the Job (a path is no label value: it rides
// as an annotation) so that a restarted process finds it again.
constexpr const char* kLabelWorkDir = "orsa.work-dir";
// The token outlives the Job's own deadline by this much: an upload at the
// last moment still gets in.
constexpr auto kTokenMargin = std::chrono::minutes(5);
// A wait that cannot read its Job for this long gives up (the Job's own
// deadline still stops it).
constexpr auto kUnreachableLimit = std::chrono::minutes(2);

std::string files_secret(const std::string& job) {
  return job + "-files";
}

std::string pull_secret(const std::string& job) {
  return job + "-pull";
}

Result<void> check_job_id(const std::string& id) {
  if (auto ok = kubernetes::to_dns_label(id); !ok || *ok != id) {
    return fail(Error::invalid_argument("invalid job id '" + id + "'"));
  }
  return {};
}

}  // namespace

Result<void> KubernetesRuntime::ensure_jobs_policy() {
  {
    std::lock_guard lock(auth_mutex_);
    if (jobs_policy_ready_) return {};
  }
  auto body = kubernetes::jobs_network_policy_object(
      options_.namespace_, options_.gateway_namespace, options_.gateway_labels, options_.jobs_port);
  if (!body) return fail(body.error());
  auto created = api_->request("POST", objects("networkpolicies"), *body);
  if (!created) return fail(created.error());
  if (created->status != 200 && created->status != 201 && created->status != 409) {
    return fail(status_error(created->status, created->body, "create the jobs' network policy"));
  }
  std::lock_guard lock(auth_mutex_);
  jobs_policy_ready_ = true;
  return {};
}

Result<std::string> KubernetesRuntime::start_job(const JobSpec& spec) {
  if (!options_.job_files) {
    return fail(Error::unavailable("runs on Kubernetes need the jobs listener (--jobs-listen)"));
  }
  if (spec.labels.contains(kLabelManaged)) {
    return fail(Error::invalid_argument("a job may not carry the deployments' label"));
  }
  if (spec.deadline.count() <= 0) {
    return fail(Error::invalid_argument("a job on Kubernetes needs a deadline"));
  }
  auto name = kubernetes::to_dns_label(spec.name);
  if (!name) return fail(name.error());
  if (auto ok = ensure_jobs_policy(); !ok) return fail(ok.error());
  auto input_bytes = detail::prepare_served_job_files(spec);
  if (!input_bytes) return fail(input_bytes.error());
  const auto undo = [&](Error error) -> Result<std::string> {
    std::ignore = remove_job(*name);
    std::ignore = detail::remove_job_files(spec.work_dir);
    return fail(std::move(error));
  };
  auto access = options_.job_files(spec.work_dir, static_cast<std::uint64_t>(spec.max_output_bytes),
                                   spec.deadline + kTokenMargin);
  if (!access) return undo(access.error());
  kubernetes::RunJob run{.name = *name,
                         .namespace_ = options_.namespace_,
                         .job = spec,
                         .job_url = access->url,
                         .files_secret = files_secret(*name),
                         .input_bytes = *input_bytes,
                         .time_limit = spec.deadline};
  run.job.labels[kLabelWorkDir] = spec.work_dir.string();
  std::optional<RegistryAuth> auth;
  {
    std::lock_guard lock(auth_mutex_);
    if (const auto it = auth_by_image_.find(spec.image); it != auth_by_image_.end()) {
      auth = it->second;
    }
  }
  if (auth && !auth->server.empty() && (!auth->username.empty() || !auth->password.empty())) {
    run.pull_secret = pull_secret(*name);
    if (auto ok = ensure_pull_secret(run.pull_secret, *auth); !ok) return undo(ok.error());
  }
  auto secret = kubernetes::job_files_secret_object(run.files_secret, options_.namespace_, *name,
                                                    access->token);
  if (!secret) return undo(secret.error());
  if (auto ok = apply("secrets", run.files_secret, *secret); !ok) return undo(ok.error());
  auto job = kubernetes::job_object(run);
  if (!job) return undo(job.error());
  if (auto ok = apply("jobs", *name, *job); !ok) return undo(ok.error());
  return *name;
}

Result<std::string> KubernetesRuntime::read_job(const std::string& id) {
  if (auto ok = check_job_id(id); !ok) return fail(ok.error());
  auto reply = api_->request("GET", objects("jobs", id));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, "job " + id));
  return std::move(reply->body);
}

Result<kubernetes::JobState> KubernetesRuntime::job_state(const std::string& id) {
  auto job = read_job(id);
  if (!job) return fail(job.error());
  auto pods = kubernetes::read_list(
      *api_,
      objects("pods") +
          "?labelSelector=" + percent_encode(std::string(kubernetes::kLabelJobName) + "=" + id),
      "pods of job " + id);
  if (!pods) return fail(pods.error());
  return kubernetes::job_state_of(Json::parse(*job, nullptr, false), *pods);
}

// The Job controller stops the pod (SIGTERM, then SIGKILL after the pod's
// grace period) and starts no other once the Job is past its deadline.
Result<void> KubernetesRuntime::stop_job_now(const std::string& id, std::int64_t after_seconds) {
  const std::string patch =
      Json{{"spec", {{"activeDeadlineSeconds", std::max<std::int64_t>(1, after_seconds)}}}}.dump();
  auto reply = api_->request("PATCH", objects("jobs", id), patch, "application/merge-patch+json");
  if (!reply) return fail(reply.error());
  if (reply->status == 200) return {};
  return fail(status_error(reply->status, reply->body, "stop job " + id));
}

Result<JobOutcome> KubernetesRuntime::wait_job(const std::string& id, const JobWait& wait) {
  if (auto ok = check_job_id(id); !ok) return fail(ok.error());
  kubernetes::JobState state;
  auto polled = detail::poll_job(
      wait, options_.job_poll, kUnreachableLimit,
      [&]() -> Result<detail::JobLook> {
        // While it runs, as the watch last saw it (no request); once it has
        // ended, read with its pods: the exit code is the pod's.
        if (auto cached = job_watch_->find(id)) {
          auto seen = kubernetes::job_state_of(*cached, Json::array());
          if (!seen.finished) {
            detail::JobLook look;
            if (seen.started_at) look.started_at_ms = *seen.started_at * 1000;
            state = std::move(seen);
            return look;
          }
        }
        auto read = job_state(id);
        if (!read) return fail(read.error());
        state = std::move(*read);
        detail::JobLook look{.ended = state.finished};
        if (state.started_at) look.started_at_ms = *state.started_at * 1000;
        return look;
      },
      [&](std::chrono::milliseconds elapsed) {
        return stop_job_now(id, std::chrono::duration_cast<std::chrono::seconds>(elapsed).count());
      });
  if (!polled) return fail(polled.error());
  JobOutcome out{.canceled = polled->canceled};
  out.timed_out = polled->timed_out || (state.deadline_exceeded && !polled->canceled);
  // A pod the controller stopped may be gone before its status was read.
  out.exit_code = state.exit_known ? state.exit_code : (state.deadline_exceeded ? 143 : 1);
  out.oom_killed = state.oom_killed;
  out.killed = polled->stop_asked && state.exit_known && state.exit_code == 137;
  if (state.started_at) out.started_at_ms = *state.started_at * 1000;
  if (state.finished_at) out.finished_at_ms = *state.finished_at * 1000;
  return out;
}

Result<fs::path> KubernetesRuntime::job_work_dir(const std::string& id) {
  auto job = read_job(id);
  if (!job) return fail(job.error());
  const auto labels = kubernetes::labels_of(Json::parse(*job, nullptr, false));
  const auto it = labels.find(kLabelWorkDir);
  if (it == labels.end() || it->second.empty() || it->second.front() != '/') {
    return fail(Error::not_found("job " + id + " names no work directory"));
  }
  return fs::path(it->second);
}

Result<std::uint64_t> KubernetesRuntime::copy_job_output(const std::string& id, JobOutput which,
                                                         const fs::path& destination,
                                                         std::uint64_t max_bytes) {
  auto dir = job_work_dir(id);
  if (!dir) return fail(dir.error());
  return detail::copy_output_file(*dir / "out", detail::output_file_name(which), destination,
                                  max_bytes);
}

Result<void> KubernetesRuntime::job_logs(const std::string& id, const LogOptions& options,
                                         const std::function<bool(const LogLine&)>& sink) {
  if (auto ok = check_job_id(id); !ok) return fail(ok.error());
  // A pod has no log until its container starts: a follower waits for it.
  while (options.follow) {
    auto state = job_state(id);
    if (!state) return fail(state.error());
    if (state->pod_started || state->finished) break;
    if (options.keep_going && !options.keep_going()) return {};
    std::this_thread::sleep_for(options_.job_poll);
  }
  return pod_logs(std::string(kubernetes::kLabelJobName) + "=" + id, options, sink);
}

Result<void> KubernetesRuntime::remove_job(const std::string& id) {
  if (auto ok = check_job_id(id); !ok) return fail(ok.error());
  auto dir = job_work_dir(id);
  // Its pods go with it (the garbage collector); the Secrets are ORSA's to remove.
  const std::tuple<const char*, std::string, const char*> parts[] = {
      {"jobs", id, "?propagationPolicy=Background"},
      {"secrets", files_secret(id), ""},
      {"secrets", pull_secret(id), ""}};
  for (const auto& [kind, name, query] : parts) {
    auto reply = api_->request("DELETE", objects(kind, name) + query);
    if (!reply) return fail(reply.error());
    if (reply->status != 200 && reply->status != 202 && reply->status != 404) {
      return fail(
          status_error(reply->status, reply->body, "delete " + std::string(kind) + " " + name));
    }
  }
  if (dir) return detail::remove_job_files(*dir);
  return {};
}

Result<void> KubernetesRuntime::discard_work_dir(const fs::path& work_dir) {
  return detail::remove_job_files(work_dir);
}

Result<std::vector<ContainerInfo>> KubernetesRuntime::list_jobs(
    const std::map<std::string, std::string>& labels) {
  auto wanted = labels;
  wanted[kLabelJob] = "true";
  auto jobs = kubernetes::read_list(
      *api_,
      objects("jobs") + "?labelSelector=" + percent_encode(kubernetes::label_selector(wanted)),
      "list jobs");
  if (!jobs) return fail(jobs.error());
  std::vector<ContainerInfo> out;
  for (const Json& job : *jobs) {
    if (!kubernetes::has_labels(kubernetes::labels_of(job), wanted)) continue;
    out.push_back(kubernetes::job_info_of(job));
  }
  return out;
}

}  // namespace orsa::runtime
