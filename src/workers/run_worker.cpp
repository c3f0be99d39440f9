// The run worker: a dispatcher thread asks the fair queue what may start,
// marks it running and hands it to an executor, which runs the job to its
// end (one container, its log kept in a bounded file as it prints) and
// records the outcome. See ADR 0010 for why runs are jobs.

#include "workers/run_worker.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/json.hpp"
#include "core/work_queue.hpp"
#include "run_log_file.hpp"

namespace orsa::workers {
namespace {

namespace fs = std::filesystem;
using store::RunStatus;

// A missed wake (a run that ended on another path) costs at most this.
constexpr auto kDispatchPoll = std::chrono::seconds(5);
// The runtime's own copy of the log (podman's k8s-file adds a timestamp and
// stream tag to each line): room for the kept log several times over, so
// the runtime does not truncate what the follower has yet to read.
constexpr std::int64_t kRuntimeLogBytes = 64 * runs::kMiB;
constexpr std::uint64_t kMaxErrorFileBytes = 64 * 1024;
constexpr std::int64_t kOutputSlackBytes = runs::kMiB;  // error.json beside a full result
constexpr auto kEngineDeadlineMargin = std::chrono::seconds(30);

std::string mib(std::int64_t bytes) {
  return std::to_string(bytes / runs::kMiB) + " MiB";
}

// The caller's options with the run's time limit, which the model is told
// so it can stop in time (the control plane enforces it regardless).
std::string job_options(const store::Run& run) {
  Json options = Json::parse(run.options_json, nullptr, false);
  if (!options.is_object()) options = Json::object();
  options["time_limit_s"] = run.time_limit_s;
  return options.dump();
}

// error.json's message, if the runner wrote one.
std::string error_message(runtime::JobRuntime& jobs, const std::string& job_id,
                          const fs::path& scratch) {
  const fs::path file = scratch / "error.json";
  if (!jobs.copy_job_output(job_id, runtime::JobOutput::kError, file, kMaxErrorFileBytes)) {
    return {};
  }
  std::ifstream in(file);
  const Json error = Json::parse(in, nullptr, false);
  if (!error.is_object()) return {};
  const auto message = error.find("message");
  return message != error.end() && message->is_string() ? message->get<std::string>() : "";
}

}  // namespace

struct RunWorker::Impl {
  Impl(store::Store& s, runs::RunData& d, services::Accounts& a, const Clock& c, RunWorkerOptions o)
      : store(s), data(d), accounts(a), clock(c), options(std::move(o)) {}

  store::Store& store;
  runs::RunData& data;
  services::Accounts& accounts;
  const Clock& clock;
  const RunWorkerOptions options;

  services::Runs* runs = nullptr;
  runtime::Runtime* runtime = nullptr;
  runtime::JobRuntime* jobs = nullptr;
  std::string registry_host;

  mutable std::mutex mu;
  std::condition_variable_any wake_cv;
  bool wake_pending = false;
  // Runs executing here → their cancel flag.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> active;
  std::set<std::string> pulled;  // image references this process pulled
  std::atomic<bool> stopping{false};
  std::unique_ptr<WorkQueue> executors;
  std::unique_ptr<BackgroundThread> dispatcher;

  void dispatch_loop(const std::stop_token& stop);
  void start_allowed();
  // Whether this instance may recover the run: its own, or claimed by an
  // instance that died.
  bool recoverable(const store::Run& run) const {
    return run.runner.empty() || run.runner == options.instance_id || !options.runner_alive ||
           !options.runner_alive(run.runner);
  }
  bool of_dead_instance(const store::Run& run) const {
    return !run.runner.empty() && run.runner != options.instance_id && recoverable(run);
  }
  void take_over_runs_of_dead_instances();
  bool queue_again(const store::Run& run);
  std::shared_ptr<std::atomic<bool>> activate(const store::Run& run);
  void deactivate(const std::string& id);

  // One run, start to end, on an executor thread.
  void execute(const store::Run& run, std::optional<std::string> adopted_job);
  Result<std::string> pull_image(const store::Run& run, bool again);
  runtime::JobSpec job_spec(const store::Run& run, const std::string& image,
                            const fs::path& input) const;
  Result<std::string> start_job(const store::Run& run);
  Result<runtime::JobOutcome> wait_with_log(const store::Run& run, const std::string& job_id,
                                            const std::atomic<bool>& cancel);
  void reread_log(const std::string& run_id, const std::string& job_id);
  services::RunEnd verdict(const store::Run& run, const runtime::JobOutcome& outcome,
                           const std::string& job_id, const fs::path& scratch);
  void record(const store::Run& run, const services::RunEnd& end);
  void clean_up(const store::Run& run, const std::string& job_id);

  Result<std::vector<std::pair<store::Run, std::string>>> recover();
  fs::path live_log(const std::string& id) const {
    return services::live_log_file(options.live_log_dir, id);
  }
  fs::path scratch_dir(const std::string& id) const { return options.work_root / (id + ".out"); }
};

// --- Dispatching ---------------------------------------------------------

void RunWorker::Impl::dispatch_loop(const std::stop_token& stop) {
  auto next_sweep = std::chrono::steady_clock::now() + options.sweep_interval;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu);
      wake_cv.wait_for(lock, stop, kDispatchPoll, [this] { return wake_pending; });
      wake_pending = false;
    }
    if (options.runner_alive && std::chrono::steady_clock::now() >= next_sweep) {
      take_over_runs_of_dead_instances();
      next_sweep = std::chrono::steady_clock::now() + options.sweep_interval;
    }
    if (stop.stop_requested()) return;
    start_allowed();
  }
}

void RunWorker::Impl::start_allowed() {
  auto ids = services::next_runs_to_start(store.runs(), options.limits);
  if (!ids) {
    spdlog::warn("runs: cannot read the queue: {}", ids.error().message);
    return;
  }
  for (const auto& id : *ids) {
    // The row says running before any container exists, so a crash between
    // the two leaves a run that recovery fails, never a lost one.
    auto run = store.runs().mark_running(id, "", clock.now_unix(), options.instance_id);
    if (!run) continue;  // canceled meanwhile
    activate(*run);
    if (!executors->post([this, r = *run] { execute(r, std::nullopt); })) {
      deactivate(id);  // stopping: the next start fails it as orphaned
    }
  }
}

std::shared_ptr<std::atomic<bool>> RunWorker::Impl::activate(const store::Run& run) {
  auto flag = std::make_shared<std::atomic<bool>>(run.cancel_requested);
  std::lock_guard lock(mu);
  active[run.id] = flag;
  return flag;
}

void RunWorker::Impl::deactivate(const std::string& id) {
  std::lock_guard lock(mu);
  active.erase(id);
  wake_pending = true;  // a slot opened
  wake_cv.notify_all();
}

// --- One run -------------------------------------------------------------

void RunWorker::Impl::execute(const store::Run& run, std::optional<std::string> adopted_job) {
  std::shared_ptr<std::atomic<bool>> cancel;
  {
    std::lock_guard lock(mu);
    if (auto it = active.find(run.id); it != active.end()) cancel = it->second;
  }
  if (!cancel) cancel = activate(run);
  std::string job_id;
  if (adopted_job) {
    job_id = std::move(*adopted_job);
  } else {
    auto started = start_job(run);
    if (!started) {
      record(run, {.status = RunStatus::kFailed, .reason = started.error().message});
      return deactivate(run.id);
    }
    job_id = std::move(*started);
  }
  auto outcome = wait_with_log(run, job_id, *cancel);
  if (!outcome && stopping) return;  // the job runs on; the next start adopts it
  if (!outcome) {
    record(run, {.status = RunStatus::kFailed,
                 .reason = "lost the run's container: " + outcome.error().message,
                 .log_file = live_log(run.id)});
  } else {
    std::error_code ec;
    fs::create_directories(scratch_dir(run.id), ec);
    auto end = verdict(run, *outcome, job_id, scratch_dir(run.id));
    end.log_file = live_log(run.id);
    record(run, end);
  }
  clean_up(run, job_id);
  deactivate(run.id);
}

// The run's image in the runtime's store. A digest names immutable content,
// so one pulled by this process is not pulled again (a registry round trip
// per run); start_job pulls anew if the runtime lost it meanwhile.
Result<std::string> RunWorker::Impl::pull_image(const store::Run& run, bool again) {
  auto image = store.images().find(OwnerScope::everyone(), run.image_id);
  if (!image) return fail(Error::not_found("the run's image is gone"));
  std::string reference = registry_host + "/" + image->repository + "@" + run.image_digest;
  {
    std::lock_guard lock(mu);
    if (!again && pulled.contains(reference)) return reference;
  }
  // Pull-only, as the owner: the runtime's credentials cannot push.
  auto token = accounts.issue_pull_token(
      {.user_id = run.owner_id, .username = run.owner_username, .role = Role::kDeveloper},
      image->repository);
  if (!token) {
    return fail(Error::unavailable("cannot authorise the pull: " + token.error().message));
  }
  if (auto ok = runtime->pull(reference, {registry_host, run.owner_username, *token}); !ok) {
    return fail(Error::unavailable("pull failed: " + ok.error().message));
  }
  std::lock_guard lock(mu);
  pulled.insert(reference);
  return reference;
}

runtime::JobSpec RunWorker::Impl::job_spec(const store::Run& run, const std::string& image,
                                           const fs::path& input) const {
  runtime::JobSpec spec;
  spec.name = "orsa-" + run.id;
  spec.image = image;
  spec.labels = {{kLabelRun, run.id}, {runtime::kLabelOwner, run.owner_id}};
  spec.env = {{"ORSA_RUN", run.id}, {"ORSA_IMAGE_DIGEST", run.image_digest}};
  spec.command = options.command;
  spec.input_file = input;
  spec.options_json = job_options(run);
  spec.work_dir = options.work_root / run.id;
  spec.memory_bytes = run.memory_mb * runs::kMiB;
  spec.cpus = static_cast<double>(run.cpu_millis) / 1000.0;
  spec.pids_limit = options.pids_limit;
  spec.log_max_bytes = kRuntimeLogBytes;
  spec.max_output_bytes = options.max_result_bytes + kOutputSlackBytes;
  spec.user = options.user;
  // Past the caller's own stop (time limit, then grace), for when no
  // instance waits on the job any more.
  spec.deadline = std::chrono::seconds(run.time_limit_s) +
                  std::chrono::ceil<std::chrono::seconds>(options.grace) + kEngineDeadlineMargin;
  return spec;
}

Result<std::string> RunWorker::Impl::start_job(const store::Run& run) {
  auto input = data.path_of(run.input_digest);
  if (!input) return fail(Error::internal("the run's input is missing from the data directory"));
  auto image = pull_image(run, false);
  if (!image) return fail(image.error());
  auto id = jobs->start_job(job_spec(run, *image, *input));
  if (!id) {  // perhaps the image went from the runtime's store: once more, pulled
    image = pull_image(run, true);
    if (!image) return fail(image.error());
    id = jobs->start_job(job_spec(run, *image, *input));
  }
  if (!id) {
    return fail(Error::unavailable("cannot start the run's container: " + id.error().message));
  }
  if (auto saved = store.runs().set_container(run.id, *id); !saved) {
    spdlog::warn("runs: cannot record the container of {}: {}", run.id, saved.error().message);
  }
  return id;
}

// Waits for the job while another thread copies its output into the log
// file, so followers see lines as the model prints them.
Result<runtime::JobOutcome> RunWorker::Impl::wait_with_log(const store::Run& run,
                                                           const std::string& job_id,
                                                           const std::atomic<bool>& cancel) {
  auto log = RunLogFile::create(live_log(run.id), services::kLogHeadBytes, services::kLogTailBytes);
  std::atomic<bool> job_ended{false};
  std::jthread reader([&] {
    if (!log) return;
    run_guarded("run log", [&] {
      // The stream serves live readers only: once the job has ended its log
      // is read again whole (reread_log), so following may stop at once (a
      // podman follow stream sometimes outlives its container).
      runtime::LogOptions follow{.follow = true,
                                 .keep_going = [&] { return !stopping && !job_ended; }};
      std::ignore = jobs->job_logs(job_id, follow, [&](const runtime::LogLine& line) {
        log->append_line(line.text);
        return true;
      });
    });
  });
  runtime::JobWait wait{.time_limit = std::chrono::seconds(run.time_limit_s),
                        .grace = options.grace,
                        .cancel = [&cancel] { return cancel.load(); },
                        .abandon = [this] { return stopping.load(); }};
  auto outcome = jobs->wait_job(job_id, wait);
  job_ended = true;
  reader.join();
  if (log) {
    if (auto finished = log->finish(); !finished) {
      spdlog::warn("runs: the log of {} is incomplete: {}", run.id, finished.error().message);
    }
  }
  if (outcome) reread_log(run.id, job_id);
  return outcome;
}

// A followed log stream may skip lines a model prints in a burst (the
// engine's follower falls behind its own log file); the log of an ended job
// read whole does not. That copy replaces the live file, and is what is kept.
void RunWorker::Impl::reread_log(const std::string& run_id, const std::string& job_id) {
  const fs::path whole = live_log(run_id).string() + ".whole";
  auto log = RunLogFile::create(whole, services::kLogHeadBytes, services::kLogTailBytes);
  if (!log) return;
  auto read = jobs->job_logs(job_id, {}, [&](const runtime::LogLine& line) {
    log->append_line(line.text);
    return true;
  });
  std::error_code ec;
  if (!read || !log->finish()) {
    fs::remove(whole, ec);
    return;
  }
  fs::rename(whole, live_log(run_id), ec);
}

services::RunEnd RunWorker::Impl::verdict(const store::Run& run, const runtime::JobOutcome& outcome,
                                          const std::string& job_id, const fs::path& scratch) {
  services::RunEnd end{.exit_code = outcome.exit_code, .cpu_ms = outcome.cpu_ms.value_or(0)};
  const fs::path result = scratch / "result.json";
  auto copied = jobs->copy_job_output(job_id, runtime::JobOutput::kResult, result,
                                      static_cast<std::uint64_t>(options.max_result_bytes));
  if (copied) end.result_file = result;
  const bool too_large = !copied && copied.error().code == ErrorCode::kTooLarge;
  const std::string killed = outcome.killed
                                 ? "; it ignored SIGTERM and was killed " +
                                       std::to_string(options.grace.count() / 1000) + " s later"
                                 : "";
  if (outcome.canceled) {
    end.status = RunStatus::kCanceled;
    end.reason = "canceled while running" + killed;
  } else if (outcome.timed_out) {
    end.status = RunStatus::kTimedOut;
    end.reason = "stopped at its time limit of " + std::to_string(run.time_limit_s) + " s" +
                 killed + (copied ? "; the result is what it wrote before" : "");
  } else if (outcome.oom_killed) {
    end.status = RunStatus::kFailed;
    end.reason = "out of memory: the run used all of its " + std::to_string(run.memory_mb) +
                 " MiB (ask for more with memory_mb, up to the installation's maximum)";
  } else if (too_large) {
    end.status = RunStatus::kFailed;
    end.reason = "the result is larger than the limit of " + mib(options.max_result_bytes);
  } else if (outcome.exit_code == 0) {
    end.status = copied ? RunStatus::kSucceeded : RunStatus::kFailed;
    if (!copied) end.reason = "the model ended without writing a result";
  } else {
    const std::string message = error_message(*jobs, job_id, scratch);
    end.status = outcome.exit_code == 3 ? RunStatus::kInvalidInput : RunStatus::kFailed;
    end.reason = !message.empty() ? message
                                  : "the model exited with code " +
                                        std::to_string(outcome.exit_code) + " (see the log)";
  }
  return end;
}

void RunWorker::Impl::record(const store::Run& run, const services::RunEnd& end) {
  auto done = runs->complete(run.id, end);
  if (!done && done.error().code != ErrorCode::kConflict) {
    spdlog::error("runs: cannot record the end of {}: {}", run.id, done.error().message);
    return;
  }
  if (done) {
    spdlog::info("runs: {} of {}/{} {}{}", run.id, run.owner_username, run.project_name,
                 store::run_status_name(done->status),
                 done->reason.empty() ? "" : " (" + done->reason + ")");
  }
}

void RunWorker::Impl::clean_up(const store::Run& run, const std::string& job_id) {
  if (auto removed = jobs->remove_job(job_id); !removed) {
    // The next start removes jobs no running run owns.
    spdlog::warn("runs: cannot remove the container of {}: {}", run.id, removed.error().message);
  }
  std::error_code ec;
  fs::remove_all(scratch_dir(run.id), ec);
  fs::remove(live_log(run.id), ec);
}

// --- Restart recovery ----------------------------------------------------

// Adopts the jobs of runs still running, removes every other job and what
// crashed starts left on disk, and fails running runs whose container is
// gone. Returns the runs to wait on again, with their job ids.
Result<std::vector<std::pair<store::Run, std::string>>> RunWorker::Impl::recover() {
  auto listed = jobs->list_jobs({});
  if (!listed) return fail(listed.error());
  auto unfinished = store.runs().unfinished();
  if (!unfinished) return fail(unfinished.error());
  std::map<std::string, store::Run> running;
  std::set<std::string> keep;  // runs whose files stay: adopted, or a live instance's
  for (auto& r : *unfinished) {
    if (r.status != RunStatus::kRunning) continue;
    if (!recoverable(r)) {
      keep.insert(r.id);
      continue;
    }
    running.emplace(r.id, std::move(r));
  }
  std::vector<std::pair<store::Run, std::string>> adopted;
  std::vector<std::string> live;
  for (const auto& job : *listed) {
    const auto label = job.labels.find(kLabelRun);
    if (label != job.labels.end() && keep.contains(label->second)) continue;  // a live instance's
    const auto it = label == job.labels.end() ? running.end() : running.find(label->second);
    const std::optional<std::string> recorded =
        it == running.end() ? std::nullopt : it->second.container_id;
    // A dead instance's run is not waited on here: it starts again or fails
    // (below).
    const bool ours =
        it != running.end() && !of_dead_instance(it->second) && (!recorded || *recorded == job.id);
    if (!ours) {
      std::ignore = jobs->remove_job(job.id);
      continue;
    }
    if (!it->second.container_id) std::ignore = store.runs().set_container(it->first, job.id);
    live.push_back(job.id);
    adopted.emplace_back(it->second, job.id);
  }
  // A dead instance's runs, their jobs removed above, start again here.
  for (const auto& [id, run] : running) {
    if (of_dead_instance(run)) queue_again(run);
  }
  auto orphaned = runs->fail_orphaned(live, [this](const store::Run& r) { return recoverable(r); });
  if (!orphaned) return fail(orphaned.error());
  for (const auto& [run, job] : adopted) keep.insert(run.id);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options.work_root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!keep.contains(name)) std::ignore = jobs->discard_work_dir(entry.path());
  }
  for (const auto& entry : fs::directory_iterator(options.live_log_dir, ec)) {
    if (!keep.contains(entry.path().stem().string())) fs::remove(entry.path(), ec);
  }
  if (!orphaned->empty() || !adopted.empty()) {
    spdlog::info("runs: adopted {} running runs; {} had lost their container", adopted.size(),
                 orphaned->size());
  }
  return adopted;
}

// A run whose instance died while running it cannot be waited on here (its
// time limit, cancel and log were that instance's): its job, if this runtime
// has it, is removed, and the run starts again from its input or fails.
void RunWorker::Impl::take_over_runs_of_dead_instances() {
  auto unfinished = store.runs().unfinished();
  if (!unfinished) {
    spdlog::warn("runs: cannot look for runs of stopped instances: {}", unfinished.error().message);
    return;
  }
  std::set<std::string> unsure;  // whether their job still runs is not known: the next sweep
  for (const auto& run : *unfinished) {
    if (run.status != RunStatus::kRunning || !of_dead_instance(run)) continue;
    auto jobs_of = jobs->list_jobs({{kLabelRun, run.id}});
    if (!jobs_of) {
      unsure.insert(run.id);
      continue;
    }
    for (const auto& job : *jobs_of) std::ignore = jobs->remove_job(job.id);
    queue_again(run);
  }
  auto failed = runs->fail_orphaned(
      {}, [&](const store::Run& r) { return !unsure.contains(r.id) && of_dead_instance(r); });
  if (!failed) return;
  for (const auto& run : *failed) {
    spdlog::info("runs: {} failed: instance {} stopped while running it", run.id, run.runner);
  }
}

// Where instances share run data, a dead instance's run goes back to the
// queue (its input is here too), at most max_attempts starts in all, so a
// run that kills its instance cannot go round the instances forever.
bool RunWorker::Impl::queue_again(const store::Run& run) {
  if (!options.take_over_others || run.attempts >= options.max_attempts) return false;
  if (!store.runs().requeue(run.id, run.runner)) return false;  // taken meanwhile
  std::error_code ec;
  fs::remove(live_log(run.id), ec);  // the next start writes its own
  spdlog::info("runs: {} queued again: instance {} stopped while running it", run.id, run.runner);
  return true;
}

// --- RunWorker -----------------------------------------------------------

RunWorker::RunWorker(store::Store& store, runs::RunData& data, services::Accounts& accounts,
                     const Clock& clock, RunWorkerOptions options)
    : impl_(std::make_unique<Impl>(store, data, accounts, clock, std::move(options))) {}

RunWorker::~RunWorker() {
  stop();
}

Result<void> RunWorker::start(services::Runs& runs, runtime::Runtime& runtime,
                              runtime::JobRuntime& jobs, std::string registry_host) {
  Impl& w = *impl_;
  std::error_code ec;
  fs::create_directories(w.options.work_root, ec);
  if (!ec) fs::create_directories(w.options.live_log_dir, ec);
  if (ec)
    return fail(Error::unavailable("cannot create the runs' work directory: " + ec.message()));
  w.runs = &runs;
  w.runtime = &runtime;
  w.jobs = &jobs;
  w.registry_host = std::move(registry_host);
  auto adopted = w.recover();
  if (!adopted) return fail(adopted.error());
  // Adopted runs each need a thread even when a smaller limit is set now.
  w.executors = std::make_unique<WorkQueue>(
      "runs", std::max(w.options.limits.max_concurrent, adopted->size()));
  for (auto& [run, job] : *adopted) {
    w.activate(run);
    w.executors->post([&w, r = run, j = job] { w.execute(r, j); });
  }
  w.dispatcher = std::make_unique<BackgroundThread>(
      "run dispatcher", [&w](const std::stop_token& stop) { w.dispatch_loop(stop); });
  wake();
  return {};
}

void RunWorker::stop() {
  Impl& w = *impl_;
  w.stopping = true;
  if (w.dispatcher) w.dispatcher->stop();
  if (w.executors) w.executors->stop();
}

void RunWorker::wake() {
  std::lock_guard lock(impl_->mu);
  impl_->wake_pending = true;
  impl_->wake_cv.notify_all();
}

void RunWorker::cancel_running(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->active.find(id); it != impl_->active.end()) *it->second = true;
}

std::size_t RunWorker::running() const {
  std::lock_guard lock(impl_->mu);
  return impl_->active.size();
}

}  // namespace orsa::workers
