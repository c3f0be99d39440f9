#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "runs/fair_queue.hpp"
#include "runs/run_data.hpp"
#include "services/log_follower.hpp"
#include "services/projects.hpp"
#include "services/usage_meter.hpp"
#include "source/repos.hpp"
#include "store/deployments.hpp"
#include "store/images.hpp"
#include "store/projects.hpp"
#include "store/runs.hpp"

namespace orsa::services {

/// The solver log a run keeps: its first kLogHeadBytes, and when it printed
/// more, a line saying how much was dropped and its last kLogTailBytes.
inline constexpr std::int64_t kLogHeadBytes = 8 * runs::kMiB;
inline constexpr std::int64_t kLogTailBytes = 64 * 1024;
inline constexpr std::int64_t kMaxStoredLogBytes = kLogHeadBytes + kLogTailBytes + 4096;

/// The file the run worker writes a running run's log to, under `dir`.
std::filesystem::path live_log_file(const std::filesystem::path& dir, std::string_view run_id);

/// Defaults and the admin's maxima for runs.
struct RunOptions {
  std::int64_t default_time_limit_s = 300;
  std::int64_t max_time_limit_s = 6 * 3600;
  std::int64_t default_memory_mb = 1024;  // unless orsa.toml's [resources] says otherwise
  std::int64_t max_memory_mb = 4096;
  std::int64_t default_cpu_millis = 1000;
  std::int64_t max_cpu_millis = 4000;
  std::int64_t min_priority = -10;
  std::int64_t max_priority = 10;
  std::size_t max_options_bytes = 64 * 1024;
  std::size_t default_page = 50;
  std::size_t max_page = 200;
  std::chrono::seconds retention{30 * 24 * 3600};
  // Where the run worker writes the log of a running run (live_log_file);
  // the log is stored with the run's data when it ends.
  std::filesystem::path live_log_dir;
  std::int64_t max_log_bytes = kMaxStoredLogBytes;
  runs::RunDataLimits data;
  runs::AdmissionLimits admission;
  // What one user's runs may hold (inputs, results, logs) before new runs
  // are refused; 0: no quota. Retention and deleting a project free it.
  std::int64_t max_data_bytes_per_user = 0;
};

/// What a caller asks to run.
struct RunRequest {
  std::string input;  // JSON bytes, stored as given
  // Or a file of the project at the run's commit (e.g. "input.json").
  std::optional<std::string> input_file;
  std::string options_json = "{}";  // free-form, a JSON object
  std::optional<std::int64_t> time_limit_s;
  std::optional<std::string> image_id;
  std::optional<std::int64_t> priority;
  std::optional<std::int64_t> memory_mb;
  std::optional<double> cpus;
};

/// A run with where it waits (1 = next to start), while it is queued.
struct RunView {
  store::Run run;
  std::optional<std::size_t> queue_position;
};

/// Which runs a listing shows.
struct RunFilter {
  std::optional<store::RunStatus> status;
  std::optional<std::string> cursor;  // from the previous page's next_cursor
  std::optional<std::size_t> limit;
};

/// One page of runs, newest first; next_cursor is set when there may be more.
struct RunPage {
  std::vector<store::Run> runs;
  std::optional<std::string> next_cursor;
};

/// A run's stored input or result: where to read it and how big it is.
struct RunBlob {
  std::filesystem::path path;
  std::int64_t size = 0;
  std::string digest;
};

/// How a run's container ended, as the run worker saw it.
struct RunEnd {
  store::RunStatus status = store::RunStatus::kFailed;  // the worker's verdict
  std::optional<std::int64_t> exit_code;
  std::string reason;
  /// The result file the run wrote, if any (copied into the run data).
  std::optional<std::filesystem::path> result_file;
  /// The solver log as the worker kept it (copied into the run data).
  std::optional<std::filesystem::path> log_file;
  /// CPU time the runtime measured (0 when it measured none); metered.
  std::int64_t cpu_ms = 0;
};

/// What the model reported for the history, from its result: a
/// `statistics` object as it is, else its top-level `status` and
/// `objective` (when scalars); "{}" when none or not JSON. At most
/// `max_bytes` of JSON text ("{}" beyond).
std::string run_statistics(std::string_view result_json, std::size_t max_bytes = 16 * 1024);

/// What a collection removed.
struct RunCollection {
  std::int64_t runs = 0;
  std::size_t blobs = 0;
};

/// The background side of runs (the worker that starts containers), told
/// of news so it need not poll.
class RunScheduler {
 public:
  virtual ~RunScheduler() = default;
  /// A run was queued: start what the fair queue allows.
  virtual void wake() = 0;
  /// A running run was asked to stop.
  virtual void cancel_running(const std::string& id) = 0;
};

/// The queued runs to start now under `limits` (the fair queue over the
/// store's candidates), in start order: what the run worker asks after a
/// submission or a run's end.
Result<std::vector<std::string>> next_runs_to_start(store::RunStore& runs,
                                                    const runs::QueueLimits& limits);

/// The store tables the runs service reads and writes.
struct RunTables {
  store::RunStore& runs;
  store::ProjectStore& projects;
  store::ImageStore& images;
  store::DeploymentStore& deployments;
};

/// Runs as the API sees them: submitted against a project's image (the
/// live deployment's by default), visible to their submitter, the
/// project's owner and admins, listed newest first, canceled. Who may
/// submit follows the project's service (auth::Policy); inputs and results
/// live in runs::RunData; the scheduler starts them.
class Runs {
 public:
  /// `meter`, if given, counts each run as it ends (usage per key, user, project).
  Runs(RunTables tables, source::SourceRepos& repos, runs::RunData& data, const Clock& clock,
       RunScheduler& scheduler, RunOptions options, UsageMeter* meter = nullptr);

  /// Queues a run: 202's body. kTooLarge for an input over the limit
  /// (nothing stored), kRateLimited over the per-user queued cap.
  Result<store::Run> submit(const auth::Principal& who, const ProjectRef& ref,
                            const RunRequest& request);
  Result<RunView> get(const auth::Principal& who, std::string_view id);
  /// The project's runs that `who` may see.
  Result<RunPage> list_project(const auth::Principal& who, const ProjectRef& ref,
                               const RunFilter& filter);
  /// The runs `who` submitted, across projects.
  Result<RunPage> list_mine(const auth::Principal& who, const RunFilter& filter);
  /// A queued run ends at once; a running one is asked to stop.
  Result<store::Run> cancel(const auth::Principal& who, std::string_view id);
  Result<RunBlob> input(const auth::Principal& who, std::string_view id);
  /// kNotFound while the run has no result.
  Result<RunBlob> result(const auth::Principal& who, std::string_view id);
  /// The solver log so far: empty while queued, the live file while
  /// running, the stored log once ended.
  Result<std::string> log(const auth::Principal& who, std::string_view id);
  /// Follows the solver log: what was printed so far, live lines, end.
  Result<std::unique_ptr<LogFollower>> follow_log(const auth::Principal& who, std::string_view id);

  /// The largest input a submission may carry (the route's body limit follows).
  std::int64_t max_input_bytes() const { return options_.data.max_input_bytes; }

  // The run worker's side.
  /// Records the end of a run: its result stored (over the result limit,
  /// or not JSON, the run fails saying so), the model's statistics, the
  /// outcome. kConflict when the run had already ended.
  Result<store::Run> complete(std::string_view id, const RunEnd& end);
  /// After a restart: every run left running whose container is not among
  /// `live_containers` (the ones the worker adopts) fails with the reason
  /// "control plane restarted". With several instances only the runs
  /// `recoverable` accepts (this instance's, and dead instances') are
  /// looked at; empty accepts all. Returns those runs.
  Result<std::vector<store::Run>> fail_orphaned(
      const std::vector<std::string>& live_containers,
      const std::function<bool(const store::Run&)>& recoverable = {});

  /// The run data a project's runs hold: read before the project is
  /// deleted, released after (release_data).
  Result<std::vector<std::string>> project_data(std::string_view project_id);
  /// Deletes the blobs among `digests` no run references any more.
  Result<std::size_t> release_data(const std::vector<std::string>& digests);
  /// Deletes runs ended longer ago than the retention, then every blob no
  /// run references (the collector).
  Result<RunCollection> collect();
  /// Bytes the caller's runs hold, and the quota (0: none).
  Result<std::int64_t> data_bytes(const auth::Principal& who) {
    return tables_.runs.data_bytes(who.user_id);
  }
  std::int64_t data_quota_bytes() const { return options_.max_data_bytes_per_user; }

 private:
  struct Target;
  Result<store::Run> visible(const auth::Principal& who, std::string_view id, auth::Action action);
  Result<Target> target_for(const auth::Principal& who, const ProjectRef& ref,
                            const RunRequest& request);
  Result<store::NewRun> limits_for(const Target& target, const RunRequest& request);
  Result<RunPage> page(const auth::Principal& who, store::RunQuery query, const RunFilter& filter);
  Result<std::optional<std::size_t>> queue_position(const store::Run& run);
  Result<RunBlob> blob(const std::string& digest, std::int64_t size);
  Result<std::string> input_of(const Target& target, const RunRequest& request);
  /// Refuses a new run while the user's runs hold their data quota.
  Result<void> check_data_quota(const std::string& user_id);

  RunTables tables_;
  source::SourceRepos& repos_;
  runs::RunData& data_;
  const Clock& clock_;
  RunScheduler& scheduler_;
  RunOptions options_;
  UsageMeter* meter_;
};

}  // namespace orsa::services
