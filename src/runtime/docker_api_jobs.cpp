// Jobs on the Docker Engine API: one container per job, its files
// bind-mounted from the job's work_dir (job_files.hpp), its limits enforced
// from here: the container's own signal handling is never trusted.

#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <tuple>

#include "core/strings.hpp"
#include "docker_api_detail.hpp"
#include "docker_job_json.hpp"
#include "docker_json.hpp"
#include "job_files.hpp"
#include "runtime/docker_api_runtime.hpp"
#include "unix_http.hpp"

namespace orsa::runtime {
namespace {

using detail::check_id;
using detail::status_error;
using Steady = std::chrono::steady_clock;

// After SIGKILL the kernel ends the process at once; a job still "running"
// this much later is stuck in the engine, and the caller hears so.
constexpr auto kKilledWaitLimit = std::chrono::seconds(60);

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ended(ContainerState state) {
  return state == ContainerState::kExited || state == ContainerState::kDead;
}

// The stop decisions of one wait: when to send SIGTERM, then SIGKILL.
class StopPlan {
 public:
  StopPlan(const JobWait& wait, std::int64_t deadline_ms)
      : wait_(wait), deadline_ms_(deadline_ms) {}

  /// Whether nothing is due: the job may keep running for now.
  bool quiet() {
    if (!term_sent_) return !late() && !cancel_requested();
    if (!kill_sent_) return Steady::now() - *term_sent_ < wait_.grace;
    return Steady::now() - *kill_sent_ < kKilledWaitLimit;
  }
  bool late() const { return now_unix_ms() >= deadline_ms_; }
  bool cancel_requested() {
    // Latched: a predicate that flips back cannot take a cancel back.
    if (!canceled_ && wait_.cancel && wait_.cancel()) canceled_ = true;
    return canceled_;
  }
  bool term_sent() const { return term_sent_.has_value(); }
  bool kill_sent() const { return kill_sent_.has_value(); }
  void mark_term() { term_sent_ = Steady::now(); }
  void mark_kill() { kill_sent_ = Steady::now(); }
  bool kill_overdue() const {
    return kill_sent_ && Steady::now() - *kill_sent_ >= kKilledWaitLimit;
  }

 private:
  const JobWait& wait_;
  std::int64_t deadline_ms_;
  bool canceled_ = false;
  std::optional<Steady::time_point> term_sent_;
  std::optional<Steady::time_point> kill_sent_;
};

// The job's CPU time as last read, read again once `interval` has passed:
// the engine counts it only while the container runs.
class CpuSampler {
 public:
  explicit CpuSampler(std::chrono::milliseconds interval) : interval_(interval) {}

  void sample(const std::function<std::optional<std::int64_t>()>& read) {
    const auto now = Steady::now();
    if (now < next_) return;
    next_ = now + interval_;
    if (auto ns = read(); ns && (!last_ns_ || *ns > *last_ns_)) last_ns_ = ns;
  }
  std::optional<std::int64_t> cpu_ms() const {
    if (!last_ns_) return std::nullopt;
    return *last_ns_ / 1'000'000;
  }

 private:
  std::chrono::milliseconds interval_;
  Steady::time_point next_{};
  std::optional<std::int64_t> last_ns_;
};

}  // namespace

Result<void> validate_job_spec(const JobSpec& spec) {
  if (spec.labels.contains(kLabelManaged)) {
    return fail(Error::invalid_argument(std::string("a job must not carry the label ") +
                                        kLabelManaged + " (the reconciler removes those)"));
  }
  if (spec.network.empty()) {
    return fail(Error::invalid_argument("a job runs without a network or on its own network"));
  }
  if (auto ok = validate_spec(docker::job_container_spec(spec)); !ok) return fail(ok.error());
  return detail::validate_job_files(spec);
}

Result<std::string> DockerApiRuntime::start_job(const JobSpec& spec) {
  if (auto valid = validate_job_spec(spec); !valid) return fail(valid.error());
  // A job's files are bind-mounted by host path and its output is a tmpfs
  // mounted here: from inside a container neither reaches the engine's host.
  if (!options_.attach_container.empty()) {
    return fail(Error::unavailable(
        "runs are not available while ORSA itself runs in a container (ADR 0017); "
        "run orsa-deployer on the host for runs"));
  }
  auto mounts = detail::prepare_job_files(spec);
  if (!mounts) return fail(mounts.error());
  const auto abandon = [&](Error error, const std::string& id) -> Result<std::string> {
    // Best effort: the error to report is the one that stopped the start.
    if (!id.empty()) std::ignore = remove(id);
    std::ignore = detail::remove_job_files(spec.work_dir);
    return fail(std::move(error));
  };
  auto created = http_->request(
      "POST", path("/containers/create?name=" + percent_encode(spec.name)),
      docker::create_job_body(spec, *mounts, options_.userns_mode), {}, options_.call_timeout);
  if (!created) return abandon(created.error(), {});
  if (created->status != 201 && created->status != 200) {
    return abandon(status_error(created->status, created->body, "create job " + spec.name), {});
  }
  auto id = docker::parse_created_id(created->body);
  if (!id) return abandon(id.error(), {});
  if (auto started = start_and_attach(*id, spec.network); !started) {
    return abandon(started.error(), *id);
  }
  return id;
}

Result<docker::JobState> DockerApiRuntime::inspect_job(const std::string& id) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  auto reply =
      http_->request("GET", path("/containers/" + id + "/json"), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200)
    return fail(status_error(reply->status, reply->body, "inspect job " + id));
  auto state = docker::parse_job_state(reply->body);
  if (!state) return fail(state.error());
  if (!state->is_job) return fail(Error::invalid_argument("container " + id + " is not a job"));
  return state;
}

Result<void> DockerApiRuntime::signal_job(const std::string& id, const char* signal) {
  auto reply = http_->request("POST", path("/containers/" + id + "/kill?signal=" + signal), {}, {},
                              options_.call_timeout);
  if (!reply) return fail(reply.error());
  // 409 (dockerd) or 500 "not running" (podman): it ended meanwhile.
  if (reply->status == 204 || reply->status == 200 || reply->status == 409) return {};
  Error error = status_error(reply->status, reply->body, "signal job " + id);
  if (error.message.find("not running") != std::string::npos ||
      error.message.find("state exited") != std::string::npos) {
    return {};
  }
  return fail(std::move(error));
}

Result<void> DockerApiRuntime::await_exit(const std::string& id,
                                          const std::function<bool()>& keep_waiting) {
  detail::StreamHandlers handlers;
  handlers.on_data = [](std::string_view) { return true; };  // {"StatusCode": n}: inspect says more
  handlers.on_tick = keep_waiting;
  auto end = http_->stream("POST", path("/containers/" + id + "/wait"), {}, {},
                           std::chrono::milliseconds(0), handlers);
  if (!end) return fail(end.error());
  if (end->status >= 300) return fail(status_error(end->status, end->error_body, "wait for " + id));
  return {};
}

std::optional<std::int64_t> DockerApiRuntime::job_cpu_ns(const std::string& id) {
  auto reply =
      http_->request("GET", path("/containers/" + id + "/stats?stream=false&one-shot=true"), {}, {},
                     options_.call_timeout);
  if (!reply || reply->status != 200) return std::nullopt;
  return docker::parse_cpu_usage_ns(reply->body);
}

std::optional<std::int64_t> DockerApiRuntime::memory_bytes(const std::string& id) {
  if (!check_id(id)) return std::nullopt;
  auto reply =
      http_->request("GET", path("/containers/" + id + "/stats?stream=false&one-shot=true"), {}, {},
                     options_.call_timeout);
  if (!reply || reply->status != 200) return std::nullopt;
  return docker::parse_memory_usage(reply->body);
}

Result<JobOutcome> DockerApiRuntime::wait_job(const std::string& id, const JobWait& wait) {
  auto first = inspect_job(id);
  if (!first) return fail(first.error());
  // The deadline counts from the engine's record of the start, so it is the
  // same for a caller that restarted and waits again.
  const std::int64_t deadline_ms =
      first->started_at_ms.value_or(now_unix_ms()) + wait.time_limit.count();
  StopPlan plan(wait, deadline_ms);
  JobOutcome outcome;
  CpuSampler cpu(wait.cpu_sample_interval);
  const auto sample_cpu = [&] { cpu.sample([&] { return job_cpu_ns(id); }); };
  const auto abandoned = [&wait] { return wait.abandon && wait.abandon(); };
  for (auto state = std::move(first);; state = inspect_job(id)) {
    if (!state) return fail(state.error());
    if (abandoned()) return fail(Error::unavailable("stopped waiting for job " + id));
    if (ended(state->state)) {
      outcome.exit_code = state->exit_code;
      outcome.oom_killed = state->oom_killed;
      outcome.started_at_ms = state->started_at_ms;
      outcome.finished_at_ms = state->finished_at_ms;
      outcome.cpu_ms = cpu.cpu_ms();
      return outcome;
    }
    sample_cpu();
    if (state->state == ContainerState::kCreated) {
      return fail(Error::unavailable("job " + id + " was created but never started"));
    }
    if (!plan.term_sent() && (plan.late() || plan.cancel_requested())) {
      // The time limit wins a tie: the run had used up its time either way.
      outcome.timed_out = plan.late();
      outcome.canceled = !outcome.timed_out;
      if (auto sent = signal_job(id, "SIGTERM"); !sent) return fail(sent.error());
      plan.mark_term();
    } else if (plan.term_sent() && !plan.kill_sent() && !plan.quiet()) {
      if (auto sent = signal_job(id, "SIGKILL"); !sent) return fail(sent.error());
      outcome.killed = true;
      plan.mark_kill();
    } else if (plan.kill_overdue()) {
      return fail(Error::unavailable("job " + id + " did not end after SIGKILL"));
    }
    const auto waited_from = Steady::now();
    const auto keep_waiting = [&] {
      sample_cpu();
      return plan.quiet() && !abandoned();
    };
    if (auto waited = await_exit(id, keep_waiting); !waited) {
      return fail(waited.error());
    }
    // A wait that returns at once while the job still runs would spin.
    if (Steady::now() - waited_from < std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

Result<std::uint64_t> DockerApiRuntime::copy_job_output(const std::string& id, JobOutput which,
                                                        const std::filesystem::path& destination,
                                                        std::uint64_t max_bytes) {
  auto state = inspect_job(id);
  if (!state) return fail(state.error());
  if (!ended(state->state)) return fail(Error::conflict("job " + id + " has not ended"));
  if (state->output_dir.empty()) {
    return fail(Error::not_found("job " + id + " has no output directory"));
  }
  return detail::copy_output_file(state->output_dir, detail::output_file_name(which), destination,
                                  max_bytes);
}

Result<void> DockerApiRuntime::job_logs(const std::string& id, const LogOptions& options,
                                        const std::function<bool(const LogLine&)>& sink) {
  return logs(id, options, sink);
}

Result<void> DockerApiRuntime::remove_job(const std::string& id) {
  auto state = inspect_job(id);
  if (!state && state.error().code == ErrorCode::kNotFound) return {};
  if (!state) return fail(state.error());
  // Files first: a container left by a failure here is still listed by
  // list_jobs, and removing it again finds no files and is fine.
  if (state->output_dir.filename() == "out") {
    if (auto ok = detail::remove_job_files(state->output_dir.parent_path()); !ok) {
      return fail(ok.error());
    }
  }
  return remove(id);
}

Result<void> DockerApiRuntime::discard_work_dir(const std::filesystem::path& work_dir) {
  if (work_dir.empty() || !work_dir.is_absolute() || !work_dir.has_filename()) {
    return fail(Error::invalid_argument("job work_dir must be an absolute path"));
  }
  return detail::remove_job_files(work_dir);
}

Result<std::vector<ContainerInfo>> DockerApiRuntime::list_jobs(
    const std::map<std::string, std::string>& labels) {
  auto with_job = labels;
  with_job[kLabelJob] = "true";
  return list(with_job);
}

}  // namespace orsa::runtime
