// The run worker against a fake job runtime (the unit boundary) with a real
// SQLite store, run data and runs service: limits, outcomes, cancel and
// restart recovery. tests/runs_e2e_test.sh runs the same on real podman.

#include "workers/run_worker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>

#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/temp_dir.hpp"
#include "testing/eventually.hpp"

namespace orsa::workers {
namespace {

using namespace std::chrono_literals;
using store::RunStatus;

/// Jobs as records that end when a test says so (or on cancel, time limit).
class FakeJobs final : public runtime::Runtime, public runtime::JobRuntime {
 public:
  struct Job {
    runtime::JobSpec spec;
    bool ended = false;
    runtime::JobOutcome outcome;
    std::optional<std::string> result, error;
    std::vector<std::string> log;
  };

  // runtime::Runtime: only pull matters here.
  Result<void> pull(const std::string& image, const runtime::RegistryAuth&) override {
    std::lock_guard lock(mu_);
    pulled_.push_back(image);
    return {};
  }
  Result<std::string> run(const runtime::ContainerSpec&) override { return fail(unused()); }
  Result<runtime::ContainerInfo> inspect(const std::string&) override { return fail(unused()); }
  Result<void> start(const std::string&) override { return fail(unused()); }
  Result<void> stop(const std::string&, std::chrono::seconds) override { return fail(unused()); }
  Result<void> remove(const std::string&) override { return fail(unused()); }
  Result<std::vector<runtime::ContainerInfo>> list(
      const std::map<std::string, std::string>&) override {
    return std::vector<runtime::ContainerInfo>{};
  }
  Result<void> logs(const std::string& id, const runtime::LogOptions& o,
                    const std::function<bool(const runtime::LogLine&)>& sink) override {
    return job_logs(id, o, sink);
  }
  Result<void> events(const std::map<std::string, std::string>&,
                      const std::function<bool(const runtime::Event*)>&) override {
    return {};
  }
  Result<void> remove_image(const std::string&) override { return {}; }
  Result<void> create_network(const runtime::NetworkSpec&) override { return {}; }
  Result<void> remove_network(const std::string&) override { return {}; }
  Result<std::vector<runtime::NetworkInfo>> list_networks(
      const std::map<std::string, std::string>&) override {
    return std::vector<runtime::NetworkInfo>{};
  }

  // runtime::JobRuntime
  Result<std::string> start_job(const runtime::JobSpec& spec) override {
    std::lock_guard lock(mu_);
    const std::string id = "job-" + std::to_string(++next_);
    jobs_[id].spec = spec;
    cv_.notify_all();
    return id;
  }
  Result<runtime::JobOutcome> wait_job(const std::string& id,
                                       const runtime::JobWait& wait) override {
    const auto deadline = std::chrono::steady_clock::now() + wait.time_limit;
    std::unique_lock lock(mu_);
    for (;;) {
      auto it = jobs_.find(id);
      if (it == jobs_.end()) return fail(Error::not_found("no job " + id));
      if (it->second.ended) return it->second.outcome;
      if (wait.abandon && wait.abandon()) return fail(Error::unavailable("stopped waiting"));
      const bool canceled = wait.cancel && wait.cancel();
      const bool late = std::chrono::steady_clock::now() >= deadline;
      if (canceled || late) {
        it->second.ended = true;
        it->second.outcome = {.exit_code = 143, .timed_out = late, .canceled = !late};
        return it->second.outcome;
      }
      cv_.wait_for(lock, 10ms);
    }
  }
  Result<std::uint64_t> copy_job_output(const std::string& id, runtime::JobOutput which,
                                        const std::filesystem::path& destination,
                                        std::uint64_t max_bytes) override {
    std::lock_guard lock(mu_);
    const Job& job = jobs_.at(id);
    const auto& text = which == runtime::JobOutput::kResult ? job.result : job.error;
    if (!text) return fail(Error::not_found("no such output"));
    if (text->size() > max_bytes) return fail(Error::too_large("output too large"));
    std::ofstream(destination, std::ios::binary) << *text;
    return text->size();
  }
  Result<void> job_logs(const std::string& id, const runtime::LogOptions&,
                        const std::function<bool(const runtime::LogLine&)>& sink) override {
    std::vector<std::string> lines;
    {
      std::lock_guard lock(mu_);
      if (auto it = jobs_.find(id); it != jobs_.end()) lines = it->second.log;
    }
    for (const auto& line : lines) sink({.text = line});
    return {};
  }
  Result<void> remove_job(const std::string& id) override {
    std::lock_guard lock(mu_);
    jobs_.erase(id);
    removed_.push_back(id);
    return {};
  }
  Result<void> discard_work_dir(const std::filesystem::path& work_dir) override {
    std::lock_guard lock(mu_);
    discarded_.push_back(work_dir.filename().string());
    std::filesystem::remove_all(work_dir);
    return {};
  }
  Result<std::vector<runtime::ContainerInfo>> list_jobs(
      const std::map<std::string, std::string>&) override {
    std::lock_guard lock(mu_);
    std::vector<runtime::ContainerInfo> out;
    for (const auto& [id, job] : jobs_) out.push_back({.id = id, .labels = job.spec.labels});
    return out;
  }

  /// Ends a running job as a model would: exit code, files, log.
  void end(const std::string& id, runtime::JobOutcome outcome,
           std::optional<std::string> result = std::nullopt,
           std::optional<std::string> error = std::nullopt) {
    std::lock_guard lock(mu_);
    Job& job = jobs_.at(id);
    job.ended = true;
    job.outcome = outcome;
    job.result = std::move(result);
    job.error = std::move(error);
    job.log = {"solving", "done"};
    cv_.notify_all();
  }
  /// A job some earlier process started.
  void add_running(const std::string& id, const std::string& run_id) {
    std::lock_guard lock(mu_);
    jobs_[id].spec.labels = {{kLabelRun, run_id}};
  }
  std::optional<Job> job(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    return it->second;
  }
  std::size_t live_jobs() {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(
        std::ranges::count_if(jobs_, [](const auto& j) { return !j.second.ended; }));
  }
  std::vector<std::string> removed() {
    std::lock_guard lock(mu_);
    return removed_;
  }
  std::size_t pulls() {
    std::lock_guard lock(mu_);
    return pulled_.size();
  }
  std::vector<std::string> discarded() {
    std::lock_guard lock(mu_);
    return discarded_;
  }

 private:
  static Error unused() { return Error::internal("not used by runs"); }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Job> jobs_;
  std::vector<std::string> pulled_, removed_, discarded_;
  int next_ = 0;
};

class NoScheduler final : public services::RunScheduler {
 public:
  void wake() override {}
  void cancel_running(const std::string&) override {}
};

class RunWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
    signer_ = std::make_unique<auth::SessionSigner>(std::string(32, 'k'), 1h, clock_);
    push_ = std::make_unique<auth::PushTokenSigner>(std::string(32, 'k'), clock_);
    audit_ = std::make_unique<services::Audit>(store_->audit(), clock_);
    accounts_ = std::make_unique<services::Accounts>(
        services::AccountTables{store_->users(), store_->sessions(), store_->tokens(),
                                store_->projects()},
        *signer_, *push_, limiter_, *audit_, clock_, services::Registration::kOpen);
    const auto alice = store_->users().create({"alice", "alice@example.org", "x"}).value();
    alice_ = {alice.id, alice.username, alice.role, false, ""};
    const auto project = store_->projects().create({alice.id, "knap", "python-flask"}).value();
    const auto commit =
        repos_->create({"alice", "knap"}, {{"model.py", "def solve(data):\n    return data\n"}},
                       {"alice", "alice@example.org", 0}, "first");
    ASSERT_TRUE(commit) << commit.error().message;
    store_->images()
        .create({alice.id, project.id, "bld_1", "alice/knap", "1", "sha256:" + std::string(64, 'e'),
                 1, commit->sha})
        .value();
  }

  void make_worker(std::size_t max_concurrent, services::RunScheduler* scheduler = nullptr) {
    worker_ = std::make_unique<RunWorker>(
        *store_, *data_, *accounts_, clock_,
        RunWorkerOptions{.work_root = dir_.path() / "work",
                         .live_log_dir = dir_.path() / "live",
                         .limits = {.max_concurrent = max_concurrent, .max_per_user = 2},
                         .grace = 1s,
                         .instance_id = instance_id_,
                         .runner_alive = runner_alive_,
                         .take_over_others = take_over_others_,
                         .sweep_interval = 1s});
    services::RunOptions options;
    options.live_log_dir = dir_.path() / "live";
    meter_ = std::make_unique<services::UsageMeter>(store_->usage(), clock_);
    runs_ = std::make_unique<services::Runs>(
        services::RunTables{store_->runs(), store_->projects(), store_->images(),
                            store_->deployments()},
        *repos_, *data_, clock_, scheduler ? *scheduler : *worker_, options, meter_.get());
  }

  std::string submit(std::int64_t time_limit_s = 60) {
    auto run = runs_->submit(alice_, {"alice", "knap"},
                             {.input = R"({"capacity":3})", .time_limit_s = time_limit_s});
    EXPECT_TRUE(run) << run.error().message;
    return run ? run->id : "";
  }

  store::Run reload(const std::string& id) {
    return store_->runs().find(OwnerScope::everyone(), id).value();
  }

  // The job of a run once the worker has recorded its container.
  std::string job_of(const std::string& run_id) {
    std::string job;
    EXPECT_TRUE(orsa::testing::eventually(
        5s,
        [&] {
          job = reload(run_id).container_id.value_or("");
          return !job.empty();
        },
        "the run's job to start"));
    return job;
  }

  RunStatus final_status(const std::string& id) {
    RunStatus status = RunStatus::kQueued;
    EXPECT_TRUE(orsa::testing::eventually(
        5s,
        [&] {
          status = reload(id).status;
          return store::is_final(status);
        },
        "the run to end"));
    return status;
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<source::SourceRepos> repos_ = source::make_git_repos(dir_.path() / "repos");
  std::unique_ptr<runs::RunData> data_ = runs::RunData::open(dir_.path() / "runs").value();
  std::unique_ptr<auth::SessionSigner> signer_;
  std::unique_ptr<auth::PushTokenSigner> push_;
  auth::LoginRateLimiter limiter_{clock_};
  std::unique_ptr<services::Audit> audit_;
  std::unique_ptr<services::Accounts> accounts_;
  auth::Principal alice_;
  FakeJobs jobs_;
  std::string instance_id_;
  std::function<bool(const std::string&)> runner_alive_;
  bool take_over_others_ = false;
  std::unique_ptr<RunWorker> worker_;
  std::unique_ptr<services::UsageMeter> meter_;
  std::unique_ptr<services::Runs> runs_;
};

TEST_F(RunWorkerTest, StartsWhatTheLimitAllowsAsHardenedJobsAndRecordsResults) {
  make_worker(1);
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "127.0.0.1:5000"));
  const auto first = submit(30);
  const auto second = submit();
  const auto job = job_of(first);
  EXPECT_EQ(reload(second).status, RunStatus::kQueued);  // one slot
  const auto spec = jobs_.job(job)->spec;
  EXPECT_EQ(spec.network, runtime::kNoNetwork);
  EXPECT_EQ(spec.image, "127.0.0.1:5000/alice/knap@sha256:" + std::string(64, 'e'));
  EXPECT_EQ(spec.command, (std::vector<std::string>{"python3", "-m", "orsa_service.run"}));
  EXPECT_EQ(spec.labels.at(kLabelRun), first);
  EXPECT_NE(spec.options_json.find("\"time_limit_s\":30"), std::string::npos);

  jobs_.end(job, {.exit_code = 0, .cpu_ms = 1'500}, R"({"status":"Optimal","objective":3})");
  EXPECT_EQ(final_status(first), RunStatus::kSucceeded);
  const auto done = reload(first);
  ASSERT_TRUE(meter_->flush());
  const auto metered = store_->usage().project_rows(done.project_id, 0, clock_.now_unix() + 3600);
  ASSERT_TRUE(metered.has_value() && metered->size() == 1u);
  EXPECT_EQ(metered->front().counters.run_cpu_ms, 1'500) << "the CPU time the runtime measured";
  EXPECT_EQ(done.statistics_json, R"({"objective":3,"status":"Optimal"})");
  EXPECT_TRUE(done.result_digest);
  ASSERT_TRUE(done.log_digest) << "the log is kept with the run";
  EXPECT_EQ(runs_->log(alice_, first).value(), "solving\ndone\n");
  EXPECT_FALSE(jobs_.job(job)) << "the job is removed once recorded";
  const auto next = job_of(second);  // the slot went to the next run
  jobs_.end(next, {.exit_code = 0}, "{}");
  EXPECT_EQ(final_status(second), RunStatus::kSucceeded);
  EXPECT_EQ(jobs_.pulls(), 1u) << "an image pinned by digest is pulled once";
}

TEST_F(RunWorkerTest, ExitCodesOomAndBadResultsBecomeStatusesWithReasons) {
  make_worker(4);
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "registry"));
  const auto invalid = submit(), crashed = submit(), oom = submit(), silent = submit();
  jobs_.end(job_of(invalid), {.exit_code = 3}, std::nullopt,
            R"({"status":"invalid_input","message":"capacity must be positive"})");
  jobs_.end(job_of(crashed), {.exit_code = 1}, std::nullopt,
            R"({"status":"failed","message":"RuntimeError: boom"})");
  jobs_.end(job_of(oom), {.exit_code = 137, .oom_killed = true});
  jobs_.end(job_of(silent), {.exit_code = 0});
  EXPECT_EQ(final_status(invalid), RunStatus::kInvalidInput);
  EXPECT_EQ(reload(invalid).reason, "capacity must be positive");
  EXPECT_EQ(final_status(crashed), RunStatus::kFailed);
  EXPECT_EQ(reload(crashed).reason, "RuntimeError: boom");
  EXPECT_EQ(final_status(oom), RunStatus::kFailed);
  EXPECT_TRUE(reload(oom).reason.starts_with("out of memory")) << reload(oom).reason;
  EXPECT_EQ(final_status(silent), RunStatus::kFailed);
  EXPECT_EQ(reload(silent).reason, "the model ended without writing a result");
}

TEST_F(RunWorkerTest, TimeLimitAndCancelStopTheJob) {
  make_worker(2);
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "registry"));
  const auto slow = submit(1);
  const auto canceled = submit();
  job_of(slow);
  job_of(canceled);
  ASSERT_TRUE(runs_->cancel(alice_, canceled));
  EXPECT_EQ(final_status(canceled), RunStatus::kCanceled);
  EXPECT_EQ(final_status(slow), RunStatus::kTimedOut);
  EXPECT_EQ(reload(slow).reason, "stopped at its time limit of 1 s");
  EXPECT_EQ(jobs_.live_jobs(), 0u);
}

TEST_F(RunWorkerTest, ARestartAdoptsLiveJobsFailsOrphansAndSweepsLeftovers) {
  NoScheduler none;  // the "previous process": queues and marks, never starts
  make_worker(2, &none);
  const auto adopted = submit(), orphaned = submit(), unstarted = submit();
  ASSERT_TRUE(store_->runs().mark_running(adopted, "job-old", clock_.now_unix(), ""));
  ASSERT_TRUE(store_->runs().mark_running(orphaned, "job-gone", clock_.now_unix(), ""));
  jobs_.add_running("job-old", adopted);
  jobs_.add_running("job-stray", "run_unknown");
  std::filesystem::create_directories(dir_.path() / "work" / "run_crashed_start");

  make_worker(2);  // the restarted process
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "registry"));
  EXPECT_EQ(reload(orphaned).status, RunStatus::kFailed);
  EXPECT_EQ(reload(orphaned).reason, "control plane restarted");
  EXPECT_EQ(jobs_.removed(), std::vector<std::string>{"job-stray"});
  EXPECT_EQ(jobs_.discarded(), std::vector<std::string>{"run_crashed_start"});
  EXPECT_EQ(reload(adopted).status, RunStatus::kRunning);
  jobs_.end("job-old", {.exit_code = 0}, R"({"objective":1})");
  EXPECT_EQ(final_status(adopted), RunStatus::kSucceeded);
  // The queued run was not lost: it starts now.
  jobs_.end(job_of(unstarted), {.exit_code = 0}, "{}");
  EXPECT_EQ(final_status(unstarted), RunStatus::kSucceeded);
}

// Several instances on one database and one runtime (ADR 0019).
TEST_F(RunWorkerTest, ALiveInstancesRunsAreLeftAloneAndADeadOnesFail) {
  NoScheduler none;  // the other instances: they claim runs, this test plays their jobs
  make_worker(2, &none);
  const auto of_b = submit(), of_c = submit();
  ASSERT_TRUE(store_->runs().mark_running(of_b, "job-b", clock_.now_unix(), "inst-b"));
  ASSERT_TRUE(store_->runs().mark_running(of_c, "job-c", clock_.now_unix(), "inst-c"));
  jobs_.add_running("job-b", of_b);
  jobs_.add_running("job-c", of_c);
  std::atomic<bool> b_lives{true};
  instance_id_ = "inst-a";
  runner_alive_ = [&b_lives](const std::string& runner) { return runner == "inst-b" && b_lives; };

  make_worker(2);  // instance a starts
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "registry"));
  EXPECT_EQ(reload(of_b).status, RunStatus::kRunning) << "b lives: its run is its own";
  EXPECT_EQ(reload(of_c).status, RunStatus::kFailed) << "c is dead: nobody waits on its run";
  EXPECT_EQ(jobs_.removed(), std::vector<std::string>{"job-c"});
  EXPECT_EQ(worker_->running(), 0u);

  b_lives = false;  // b dies: a's next sweep fails its run and removes its job
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(20),
      [&] {
        worker_->wake();
        return reload(of_b).status == RunStatus::kFailed;
      },
      "the dead instance's run failed"));
  EXPECT_EQ(jobs_.removed(), (std::vector<std::string>{"job-c", "job-b"}));
  // A run a claims is its own.
  const auto mine = submit();
  jobs_.end(job_of(mine), {.exit_code = 0}, "{}");
  EXPECT_EQ(final_status(mine), RunStatus::kSucceeded);
  EXPECT_EQ(reload(mine).runner, "inst-a");
  worker_->stop();  // before b_lives goes
}

// With shared run data a dead instance's run starts again here, once: a run
// already started twice fails.
TEST_F(RunWorkerTest, ADeadInstancesRunsAreQueuedAgainWhereRunDataIsShared) {
  NoScheduler none;
  make_worker(2, &none);
  const auto again = submit(), twice = submit();
  ASSERT_TRUE(store_->runs().mark_running(again, "job-c1", clock_.now_unix(), "inst-c"));
  ASSERT_TRUE(store_->runs().mark_running(twice, "", clock_.now_unix(), "inst-x"));
  ASSERT_TRUE(store_->runs().requeue(twice, "inst-x"));
  ASSERT_TRUE(store_->runs().mark_running(twice, "job-c2", clock_.now_unix(), "inst-c"));
  jobs_.add_running("job-c1", again);
  jobs_.add_running("job-c2", twice);
  instance_id_ = "inst-a";
  runner_alive_ = [](const std::string&) { return false; };
  take_over_others_ = true;

  make_worker(2);
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "registry"));
  EXPECT_EQ(jobs_.removed(), (std::vector<std::string>{"job-c1", "job-c2"}));
  EXPECT_EQ(reload(twice).status, RunStatus::kFailed) << "started twice already";
  const auto job = job_of(again);
  EXPECT_NE(job, "job-c1");
  jobs_.end(job, {.exit_code = 0}, R"({"objective":2})");
  EXPECT_EQ(final_status(again), RunStatus::kSucceeded);
  EXPECT_EQ(reload(again).runner, "inst-a");
  EXPECT_EQ(reload(again).attempts, 2);
  worker_->stop();
}

TEST_F(RunWorkerTest, StoppingLeavesRunningJobsForTheNextStart) {
  make_worker(1);
  ASSERT_TRUE(worker_->start(*runs_, jobs_, jobs_, "registry"));
  const auto run = submit();
  const auto job = job_of(run);
  worker_->stop();
  EXPECT_EQ(reload(run).status, RunStatus::kRunning);
  ASSERT_TRUE(jobs_.job(job));
  EXPECT_FALSE(jobs_.job(job)->ended) << "stopping the control plane does not stop runs";
}

}  // namespace
}  // namespace orsa::workers
