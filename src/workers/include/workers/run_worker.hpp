#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "runs/fair_queue.hpp"
#include "runs/run_data.hpp"
#include "runtime/runtime.hpp"
#include "services/accounts.hpp"
#include "services/runs.hpp"
#include "store/store.hpp"

namespace orsa::workers {

/// How runs execute on this control plane.
struct RunWorkerOptions {
  std::filesystem::path work_root;     // one work_dir per running run, made and removed here
  std::filesystem::path live_log_dir;  // services::live_log_file of each running run
  runs::QueueLimits limits;
  // SIGTERM at the time limit or on cancel; SIGKILL this much later.
  std::chrono::milliseconds grace{std::chrono::seconds(10)};
  std::int64_t pids_limit = 256;
  std::int64_t max_result_bytes = 200 * runs::kMiB;
  // The template's runner (templates/python-flask, orsa_service/run.py).
  std::vector<std::string> command = {"python3", "-m", "orsa_service.run"};
  std::string user = "65534:65534";
  // Several instances on one database (ADR 0019): this instance's id, put on
  // the runs it claims, and whether the instance that claimed a run still
  // lives (empty: no other instance does). A live instance's runs are left
  // alone; a dead one's jobs go if this runtime has them, and its runs are
  // queued again when instances share run data (take_over_others), up to
  // max_attempts starts, else fail.
  std::string instance_id;
  std::function<bool(const std::string& runner)> runner_alive;
  bool take_over_others = false;
  std::int64_t max_attempts = 2;
  // How often the runs of instances that died are looked for.
  std::chrono::seconds sweep_interval{10};
};

/// The label a run's job carries: the run's id.
inline constexpr const char* kLabelRun = "orsa.run";

/// The background side of runs: starts queued runs as jobs (one container
/// each, no network, the run's limits) in the fair queue's order, keeps
/// each one's solver log in a bounded file while it runs, enforces its time
/// limit and cancels, and records how it ended (services::Runs::complete).
/// Runs survive a restart: start() adopts the jobs that kept running and
/// fails those whose container is gone. Until start(), runs wait queued.
class RunWorker final : public services::RunScheduler {
 public:
  RunWorker(store::Store& store, runs::RunData& data, services::Accounts& accounts,
            const Clock& clock, RunWorkerOptions options);
  ~RunWorker() override;
  RunWorker(const RunWorker&) = delete;
  RunWorker& operator=(const RunWorker&) = delete;

  /// Attaches the runtime: adopts or ends what a previous process left,
  /// then starts what the queue allows. `registry_host` is where the runtime
  /// pulls the project's images from.
  Result<void> start(services::Runs& runs, runtime::Runtime& runtime, runtime::JobRuntime& jobs,
                     std::string registry_host);
  /// Stops starting runs and stops waiting on the running ones; their jobs
  /// keep running and the next start() adopts them.
  void stop();

  // services::RunScheduler
  void wake() override;
  void cancel_running(const std::string& id) override;

  /// Runs this worker is waiting on now (tests, metrics).
  std::size_t running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::workers
