#include "workers/build_queue.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "build_process.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "core/work_queue.hpp"

namespace orsa::workers {
namespace {

using store::BuildStatus;

constexpr std::string_view kInterrupted = "interrupted";
constexpr std::int64_t kMaxBuilderTimeoutS = 3600;  // builder::parse_job's bound

/// Wakes followers of one build when lines arrive or the build ends.
struct LogChannel {
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t seq = 0;
  bool ended = false;

  void notify(bool end) {
    {
      std::lock_guard lock(mu);
      ++seq;
      ended = ended || end;
    }
    cv.notify_all();
  }
};

/// One queued or running build in this process.
struct Job {
  std::string id;
  std::shared_ptr<LogChannel> channel = std::make_shared<LogChannel>();
  BuildProcess process;
  std::atomic<bool> cancel_requested{false};
};

/// Appends lines to the log file, up to the size limit.
class LogWriter {
 public:
  LogWriter(const std::filesystem::path& path, std::size_t limit, LogChannel& channel)
      : file_(std::fopen(path.c_str(), "ae")), limit_(limit), channel_(channel) {}
  ~LogWriter() {
    if (file_ != nullptr) std::fclose(file_);
  }
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void line(std::string_view text) {
    if (file_ == nullptr || truncated_) return;
    std::string out(text);
    out.push_back('\n');
    if (written_ + out.size() > limit_) {
      out = "[log truncated: over " + std::to_string(limit_) + " bytes]\n";
      truncated_ = true;
    }
    std::fwrite(out.data(), 1, out.size(), file_);
    std::fflush(file_);
    written_ += out.size();
    channel_.notify(false);
  }

 private:
  std::FILE* file_;
  std::size_t limit_;
  LogChannel& channel_;
  std::size_t written_ = 0;
  bool truncated_ = false;
};

/// Reads a log file incrementally, waiting on the build's channel.
class FileFollower final : public services::LogFollower {
 public:
  FileFollower(std::filesystem::path path, std::shared_ptr<LogChannel> channel)
      : path_(std::move(path)), channel_(std::move(channel)) {}

  std::vector<std::string> next(std::chrono::milliseconds wait, bool& ended) override {
    bool was_ended = true;
    if (channel_) {
      std::unique_lock lock(channel_->mu);
      if (!first_ && !channel_->ended && !woken_ && channel_->seq == seen_) {
        channel_->cv.wait_for(lock, wait,
                              [&] { return channel_->ended || woken_ || channel_->seq != seen_; });
      }
      seen_ = channel_->seq;
      was_ended = channel_->ended;
    }
    first_ = false;
    // The end flag is read before the file, so lines written before the end are never lost.
    auto lines = read_new_lines();
    ended = was_ended;
    if (ended && !partial_.empty()) lines.push_back(std::exchange(partial_, {}));
    return lines;
  }

  void wake() override {
    if (!channel_) return;
    {
      std::lock_guard lock(channel_->mu);
      woken_ = true;
    }
    channel_->cv.notify_all();
  }

 private:
  std::vector<std::string> read_new_lines() {
    std::vector<std::string> lines;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return lines;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset_ += chunk.size();
    partial_ += chunk;
    std::size_t start = 0;
    for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back(partial_.substr(start, nl - start));
    }
    partial_.erase(0, start);
    return lines;
  }

  std::filesystem::path path_;
  std::shared_ptr<LogChannel> channel_;
  std::uint64_t seen_ = 0;
  std::size_t offset_ = 0;
  std::string partial_;
  bool first_ = true;
  bool woken_ = false;
};

/// "orsa/base-python-or:latest" → ("orsa/base-python-or", "latest"); digests with '@'.
std::pair<std::string, std::string> split_image(const std::string& image) {
  if (const auto at = image.find('@'); at != std::string::npos) {
    return {image.substr(0, at), image.substr(at + 1)};
  }
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {image, "latest"};
  }
  return {image.substr(0, colon), image.substr(colon + 1)};
}

/// What the builder's last stdout line says.
struct BuilderResult {
  bool succeeded = false;
  std::string error;
  std::string digest;
  std::int64_t size = 0;
  std::string repository;
  std::string tag;
};

std::optional<BuilderResult> parse_result_line(std::string_view line) {
  const Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("status") || !j["status"].is_string()) {
    return std::nullopt;
  }
  BuilderResult out;
  out.succeeded = j["status"] == "succeeded";
  out.error = j.value("error", std::string());
  out.digest = j.value("digest", std::string());
  out.size = j.value("size", std::int64_t{0});
  out.repository = j.value("repository", std::string());
  out.tag = j.value("tag", std::string());
  return out;
}

}  // namespace

struct BuildQueue::Impl {
  Impl(store::Store& s, source::SourceRepos& r, services::Accounts& a, const Clock& c,
       BuildQueueOptions o)
      : store(s), repos(r), accounts(a), clock(c), options(std::move(o)) {}

  store::Store& store;
  source::SourceRepos& repos;
  services::Accounts& accounts;
  const Clock& clock;
  BuildQueueOptions options;
  std::string registry_url;

  std::mutex mu;
  std::map<std::string, std::shared_ptr<Job>, std::less<>> jobs;  // queued and running
  std::unique_ptr<WorkQueue> runners;         // --max-builds threads, made by start()
  std::unique_ptr<BackgroundThread> sweeper;  // builds of dead instances, made by start()
  bool stopping = false;

  std::filesystem::path builds_dir() const { return options.data_dir / "builds"; }
  std::filesystem::path log_path(std::string_view id) const {
    return builds_dir() / (std::string(id) + ".log");
  }

  /// Once per build: the API and the sweep may both queue the same one.
  void enqueue(const std::string& id) {
    auto job = std::make_shared<Job>();
    job->id = id;
    {
      std::lock_guard lock(mu);
      if (!jobs.emplace(id, job).second) return;
    }
    runners->post([this, job] { execute(*job); });
  }

  void forget(const Job& job) {
    {
      std::lock_guard lock(mu);
      // Only this job's entry: the build may have been queued anew since.
      if (const auto it = jobs.find(job.id); it != jobs.end() && it->second.get() == &job)
        jobs.erase(it);
    }
    job.channel->notify(true);
  }

  /// One build on a runner thread. A build canceled while queued finds its
  /// row no longer queued and ends at once. Followers are released however
  /// the build ends; an exception (a bug) fails the build before the queue
  /// logs and counts it.
  void execute(Job& job) {
    struct Release {
      Impl& impl;
      const Job& job;
      ~Release() { impl.forget(job); }
    } release{*this, job};
    try {
      run(job);
    } catch (...) {
      finish(job.id, BuildStatus::kFailed, "internal error in the build queue");
      throw;
    }
  }

  void finish(const std::string& id, BuildStatus status, std::string error,
              std::optional<std::string> image_id = std::nullopt) {
    store::BuildUpdate update{.status = status,
                              .error = std::move(error),
                              .finished_at = clock.now_unix(),
                              .image_id = std::move(image_id)};
    if (auto ok = store.builds().update(id, update); !ok) {
      spdlog::error("builds: cannot record the end of {}: {}", id, ok.error().message);
    }
  }

  /// Ends a build whose builder ran but produced no image: whatever it
  /// pushed under the build's tag goes first.
  void end_without_image(const store::Build& build, BuildStatus status, std::string error) {
    if (options.discard_push) {
      options.discard_push(build.owner_username + "/" + build.project_name,
                           std::to_string(build.number));
    }
    finish(build.id, status, std::move(error));
  }

  void run(Job& job) {
    auto claimed = store.builds().update(job.id, {.status = BuildStatus::kRunning,
                                                  .from = BuildStatus::kQueued,
                                                  .started_at = clock.now_unix(),
                                                  .runner = options.instance_id});
    if (!claimed) return;  // canceled while queued, or the project is gone
    const auto dir = builds_dir() / job.id;
    LogWriter log(log_path(job.id), options.max_log_bytes, *job.channel);
    if (!base_ready(job, log)) return;
    auto spec = prepare(*claimed, dir);
    if (!spec) {
      log.line("error: " + spec.error().message);
      finish(job.id, BuildStatus::kFailed, spec.error().message);
    } else {
      log.line("build " + std::to_string(claimed->number) + " of " + claimed->owner_username + "/" +
               claimed->project_name + " at " + claimed->commit_sha);
      auto exit = job.process.run(*spec, options.timeout, [&](std::string_view l) { log.line(l); });
      conclude(job, *claimed, exit, log);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  /// A build queued while the first start still builds the base waits for
  /// it (up to the build timeout); false when the build ended meanwhile.
  bool base_ready(Job& job, LogWriter& log) {
    const BaseGate* gate = options.base_gate;
    if (gate == nullptr || gate->state() == BaseGate::State::kReady) return true;
    log.line("waiting for the base image " + options.base_image +
             ": it is being built on this first start (about a minute)");
    const auto state =
        gate->wait(options.timeout, [&] { return !job.cancel_requested && !stopping_now(); });
    if (state == BaseGate::State::kReady) {
      log.line("the base image is ready");
      return true;
    }
    if (job.cancel_requested) {
      log.line("canceled");
      finish(job.id, BuildStatus::kCanceled, "canceled");
    } else {
      const std::string error =
          state == BaseGate::State::kFailed
              ? "the base image " + options.base_image + " could not be built (" + gate->reason() +
                    "); see orsa-deployer's log"
          : stopping_now() ? std::string(kInterrupted)
                           : "timed out waiting for the base image " + options.base_image;
      log.line("error: " + error);
      finish(job.id, BuildStatus::kFailed, error);
    }
    return false;
  }

  Result<ProcessSpec> prepare(const store::Build& build, const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);  // what an interrupted attempt left
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Error::unavailable("cannot create the build directory"));
    const std::string repository = build.owner_username + "/" + build.project_name;
    auto owner = store.users().find_by_id(build.owner_id);
    if (!owner) return fail(owner.error());
    const auth::Principal principal{owner->id, owner->username, owner->role, false, {}};
    auto token = accounts.issue_push_token(principal, repository);
    if (!token) return fail(token.error());
    auto snapshot = repos.snapshot({build.owner_username, build.project_name}, build.commit_sha);
    if (!snapshot) return fail(snapshot.error());
    auto archive = source::pack_tar_gz(snapshot->files, snapshot->commit.time);
    if (!archive) return fail(archive.error());
    const auto source = std::filesystem::absolute(dir / "source.tar.gz");
    if (auto ok = write_file_atomic(source, *archive, 0600); !ok) return fail(ok.error());
    const auto [base_repository, base_reference] = split_image(options.base_image);
    const Json job{
        {"build_id", build.id},
        {"owner", build.owner_username},
        {"project", build.project_name},
        {"commit", build.commit_sha},
        {"commit_time", snapshot->commit.time},
        {"source_archive", source.string()},
        {"template_dir", std::filesystem::absolute(options.template_dir).string()},
        {"registry", registry_url},
        {"base_repository", base_repository},
        {"base_reference", base_reference},
        {"target_repository", repository},
        {"target_tag", std::to_string(build.number)},
        {"timeout_s", std::clamp<std::int64_t>(options.timeout.count(), 1, kMaxBuilderTimeoutS)}};
    const auto job_path = std::filesystem::absolute(dir / "job.json");
    if (auto ok = write_file_atomic(job_path, job.dump(2), 0600); !ok) return fail(ok.error());
    return ProcessSpec{
        options.builder_bin,
        {"build", "--job", job_path.string()},
        {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
         "HOME=" + std::filesystem::absolute(dir).string(),
         "TMPDIR=" + std::filesystem::absolute(dir).string(), "ORSA_PUSH_TOKEN=" + *token},
        std::filesystem::absolute(dir)};
  }

  void conclude(Job& job, const store::Build& build, const Result<ProcessExit>& exit,
                LogWriter& log) {
    if (!exit) {
      log.line("error: " + exit.error().message);
      return end_without_image(build, BuildStatus::kFailed, exit.error().message);
    }
    if (exit->canceled) {
      const bool interrupted = stopping_now();
      log.line(interrupted ? "interrupted: the deployer is stopping" : "canceled");
      return end_without_image(build, interrupted ? BuildStatus::kFailed : BuildStatus::kCanceled,
                               std::string(interrupted ? kInterrupted : "canceled"));
    }
    if (exit->timed_out) {
      const auto message = "timed out after " + std::to_string(options.timeout.count()) + "s";
      log.line(message);
      return end_without_image(build, BuildStatus::kFailed, message);
    }
    const auto result = parse_result_line(exit->last_stdout_line);
    if (exit->exit_code == 0 && result && result->succeeded) {
      return record_image(job, build, *result);
    }
    std::string error = result && !result->error.empty() ? result->error
                        : exit->signal != 0
                            ? "builder killed by signal " + std::to_string(exit->signal)
                            : "builder exited with status " + std::to_string(exit->exit_code);
    end_without_image(build, BuildStatus::kFailed, std::move(error));
  }

  void record_image(Job& job, const store::Build& build, const BuilderResult& result) {
    const std::string repository = build.owner_username + "/" + build.project_name;
    const std::string tag = std::to_string(build.number);
    if (result.repository != repository || result.tag != tag || result.digest.empty()) {
      return end_without_image(build, BuildStatus::kFailed, "builder reported an unexpected image");
    }
    auto image = store.images().create({build.owner_id, build.project_id, build.id, repository, tag,
                                        result.digest, result.size, build.commit_sha});
    if (!image) return end_without_image(build, BuildStatus::kFailed, image.error().message);
    finish(job.id, BuildStatus::kSucceeded, "", image->id);
    if (options.on_image) options.on_image(*image);
  }

  bool stopping_now() {
    std::lock_guard lock(mu);
    return stopping;
  }

  /// Restart recovery: nothing of a previous process of this instance is
  /// still running, nor anything of a dead instance.
  Result<void> recover() { return sweep(true); }

  /// Takes over what no live instance does: the running builds of this
  /// instance's previous process, and those of dead instances when
  /// instances share storage (else they fail "interrupted": their sources
  /// are not here). The first sweep of a process, and every sweep with
  /// shared storage, also queues the queued builds no runner here has.
  /// Another instance sweeping at once is harmless: each change is
  /// conditional on the status it saw.
  Result<void> sweep(bool starting) {
    auto running = store.builds().with_status(BuildStatus::kRunning);
    if (!running) return fail(running.error());
    for (const auto& build : *running) {
      if (known(build.id)) continue;
      if (mine(build.runner)) {
        take_over(build);
      } else if (!runner_lives(build.runner)) {
        if (options.take_over_others)
          take_over(build);
        else
          end_without_image(build, BuildStatus::kFailed, std::string(kInterrupted));
      }
    }
    if (!starting && !options.take_over_others) return {};
    auto queued = store.builds().with_status(BuildStatus::kQueued);
    if (!queued) return fail(queued.error());
    for (const auto& build : *queued) {
      if (!known(build.id)) enqueue(build.id);
    }
    return {};
  }

  /// Claimed by this instance (or before builds named their runner).
  bool mine(const std::string& runner) const {
    return runner.empty() || runner == options.instance_id;
  }

  bool known(const std::string& id) {
    std::lock_guard lock(mu);
    return jobs.contains(id);
  }

  /// Whether the other instance of this name lives.
  bool runner_lives(const std::string& runner) const {
    return options.runner_alive && options.runner_alive(runner);
  }

  /// A build whose runner died: queued again, or failed once it has been
  /// started max_attempts times (a build that kills its instance must not
  /// go round the instances forever).
  void take_over(const store::Build& build) {
    const std::string who = build.runner.empty() ? "a previous process"
                            : build.runner == options.instance_id
                                ? "this instance's previous process"
                                : "instance " + build.runner;
    if (build.attempts >= options.max_attempts) {
      append_log(build.id, "interrupted: " + who + " stopped while building it, " +
                               std::to_string(build.attempts) + " times");
      return end_without_image(build, BuildStatus::kFailed, std::string(kInterrupted));
    }
    auto requeued = store.builds().update(
        build.id, {.status = BuildStatus::kQueued, .from = BuildStatus::kRunning});
    if (!requeued) return;  // it ended or was taken over meanwhile
    spdlog::info("builds: {} queued again: {} stopped while building it", build.id, who);
    append_log(build.id, "queued again: " + who + " stopped while building it");
    enqueue(build.id);
  }

  void append_log(const std::string& id, const std::string& line) {
    std::ofstream out(log_path(id), std::ios::app);
    out << line << '\n';
  }

  /// Releases the followers of a build canceled while queued; its runner
  /// task finds the row canceled and ends without running it.
  void dequeue(const std::string& id) {
    std::shared_ptr<Job> job;
    {
      std::lock_guard lock(mu);
      const auto it = jobs.find(id);
      if (it == jobs.end()) return;
      job = it->second;
    }
    forget(*job);
  }

  void cancel_running(const std::string& id) {
    std::lock_guard lock(mu);
    if (const auto it = jobs.find(id); it != jobs.end()) {
      it->second->cancel_requested = true;
      it->second->process.cancel();
    }
  }
};

BuildQueue::BuildQueue(store::Store& store, source::SourceRepos& repos,
                       services::Accounts& accounts, const Clock& clock, BuildQueueOptions options)
    : impl_(std::make_unique<Impl>(store, repos, accounts, clock, std::move(options))) {}

BuildQueue::~BuildQueue() {
  stop();
}

Result<void> BuildQueue::start(std::string registry_url) {
  if (impl_->runners) return fail(Error::internal("build queue already started"));
  impl_->registry_url = std::move(registry_url);
  std::error_code ec;
  std::filesystem::create_directories(impl_->builds_dir(), ec);
  if (ec) return fail(Error::unavailable("cannot create the builds directory"));
  impl_->runners = std::make_unique<WorkQueue>("builds", impl_->options.max_concurrent);
  if (auto ok = impl_->recover(); !ok) return fail(ok.error());
  impl_->sweeper = std::make_unique<BackgroundThread>(
      "build-sweep", [impl = impl_.get()](const std::stop_token& stop) {
        std::mutex wait_mu;
        std::condition_variable_any wake;
        for (;;) {
          {
            std::unique_lock lock(wait_mu);
            wake.wait_for(lock, stop, impl->options.sweep_interval, [] { return false; });
          }
          if (stop.stop_requested()) return;
          if (auto ok = impl->sweep(false); !ok)
            spdlog::warn("builds: sweep: {}", ok.error().message);
        }
      });
  return {};
}

void BuildQueue::stop() {
  if (impl_->sweeper) impl_->sweeper->stop();  // before `stopping`: it enqueues
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    for (auto& [id, job] : impl_->jobs) job->process.cancel();
  }
  if (impl_->runners) impl_->runners->stop();
}

void BuildQueue::enqueue(const std::string& id) {
  impl_->enqueue(id);
}

void BuildQueue::dequeue(const std::string& id) {
  impl_->dequeue(id);
}

void BuildQueue::cancel_running(const std::string& id) {
  impl_->cancel_running(id);
}

std::unique_ptr<services::LogFollower> BuildQueue::follow(const std::string& id) {
  std::shared_ptr<LogChannel> channel;
  {
    std::lock_guard lock(impl_->mu);
    if (const auto it = impl_->jobs.find(id); it != impl_->jobs.end())
      channel = it->second->channel;
  }
  return std::make_unique<FileFollower>(log_path(id), std::move(channel));
}

std::filesystem::path BuildQueue::log_path(std::string_view id) const {
  return impl_->log_path(id);
}

}  // namespace orsa::workers
