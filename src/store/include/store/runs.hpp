#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"

namespace orsa::store {

/// Where a run is in its life: queued → running → succeeded | failed |
/// invalid_input | timed_out | canceled (a queued run may also be canceled
/// before it starts).
enum class RunStatus {
  kQueued,
  kRunning,
  kSucceeded,
  kFailed,
  kInvalidInput,
  kTimedOut,
  kCanceled
};

/// "queued", "invalid_input", … (the stored and the API spelling).
std::string_view run_status_name(RunStatus status);
std::optional<RunStatus> parse_run_status(std::string_view name);
/// True for every status but queued and running.
bool is_final(RunStatus status);

struct Run {
  std::string id;              // "run_…"
  std::int64_t seq = 0;        // global order of submission (queue age, list cursor)
  std::string owner_id;        // the project's owner
  std::string owner_username;  // joined from users
  std::string project_id;
  std::string project_name;  // joined from projects
  std::string submitter_id;
  std::string submitter_username;  // joined from users
  // The trace, copied at submit.
  std::string image_id;
  std::string build_id;
  std::string commit_sha;
  std::string image_digest;
  std::optional<std::string> deployment_id;  // the live deployment whose image it runs
  RunStatus status = RunStatus::kQueued;
  std::int64_t priority = 0;        // higher starts first among one submitter's runs
  std::string options_json = "{}";  // the caller's options (a JSON object)
  std::int64_t time_limit_s = 0;
  std::int64_t memory_mb = 0;
  std::int64_t cpu_millis = 0;
  std::string input_digest;  // "sha256:…" in the run data store
  std::int64_t input_size = 0;
  std::optional<std::string> result_digest;
  std::optional<std::int64_t> result_size;
  std::optional<std::string> log_digest;  // the solver log, stored when the run ended
  std::optional<std::int64_t> log_size;
  std::optional<std::int64_t> exit_code;
  std::string reason;                  // why it ended as it did; empty while it has not
  std::string statistics_json = "{}";  // what the model reported (status, objective)
  std::optional<std::string> container_id;
  bool cancel_requested = false;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  /// The consumer key it was submitted with (the owner is then its submitter).
  std::optional<std::string> consumer_key_id;
  /// The control-plane instance that claimed it ("" before it ran, and for
  /// runs claimed before instances named themselves).
  std::string runner;
  std::int64_t attempts = 0;  // how often it was started (mark_running)
};

struct NewRun {
  std::string project_id;  // the owner is taken from the project row
  std::string submitter_id;
  std::string image_id;
  std::string build_id;
  std::string commit_sha;
  std::string image_digest;
  std::optional<std::string> deployment_id;
  std::int64_t priority = 0;
  std::string options_json = "{}";
  std::int64_t time_limit_s = 0;
  std::int64_t memory_mb = 0;
  std::int64_t cpu_millis = 0;
  std::string input_digest;
  std::int64_t input_size = 0;
  std::optional<std::string> consumer_key_id;
};

/// How a run ended.
struct RunOutcome {
  RunStatus status = RunStatus::kFailed;
  std::optional<std::int64_t> exit_code;
  std::string reason;
  std::optional<std::string> result_digest;
  std::optional<std::int64_t> result_size;
  std::optional<std::string> log_digest;
  std::optional<std::int64_t> log_size;
  std::string statistics_json = "{}";
};

/// Which runs a listing returns, newest first.
struct RunQuery {
  std::optional<std::string> project_id;
  std::optional<std::string> submitter_id;
  std::optional<std::string> consumer_key_id;
  std::optional<RunStatus> status;
  std::optional<std::int64_t> before_seq;  // the cursor: only runs older than this
  std::size_t limit = 50;
};

/// Runs a user has running, for the fair queue.
struct RunningCount {
  std::string submitter_id;
  std::int64_t running = 0;
};

/// Run data a deletion released: the digests the deleted rows referenced
/// (each once), for the data store to drop those no other run uses.
struct ReleasedRuns {
  std::int64_t count = 0;
  std::vector<std::string> digests;
};

/// Runs. A run belongs to two users: the project's owner and its submitter;
/// a scope of one user sees the runs of either kind (the policy decides
/// what they may do with them).
class RunStore {
 public:
  virtual ~RunStore() = default;

  /// Queues a run with the next `seq`; kNotFound when the project or the
  /// submitter is gone.
  virtual Result<Run> create(const NewRun& run) = 0;
  virtual Result<Run> find(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first (by seq), at most `query.limit`.
  virtual Result<std::vector<Run>> list(const OwnerScope& scope, const RunQuery& query) = 0;

  // The queue (internal, unscoped).
  /// Each submitter's first `per_user` queued runs (highest priority, then
  /// oldest), oldest first: the candidates of the fair queue.
  virtual Result<std::vector<Run>> queued_heads(std::size_t per_user) = 0;
  /// Running runs per submitter (submitters with none are left out).
  virtual Result<std::vector<RunningCount>> running_per_user() = 0;
  /// How many runs `submitter_id` has queued (admission).
  virtual Result<std::int64_t> count_queued(std::string_view submitter_id) = 0;
  /// Every queued run, oldest first (queue positions).
  virtual Result<std::vector<Run>> queued() = 0;
  /// queued → running at `at`, claimed by the instance `runner`, with the
  /// container if one exists yet; kConflict when the run is no longer queued.
  virtual Result<Run> mark_running(std::string_view id, std::string_view container_id,
                                   std::int64_t at, std::string_view runner) = 0;
  /// running → queued, when `runner` still has it (its instance died): no
  /// start time, container or runner any more; kConflict otherwise.
  virtual Result<Run> requeue(std::string_view id, std::string_view runner) = 0;
  /// Records the container of a running run (kConflict when it is not running).
  virtual Result<Run> set_container(std::string_view id, std::string_view container_id) = 0;
  /// queued | running → the outcome at `at`; kConflict when the run had already ended.
  virtual Result<Run> finish(std::string_view id, const RunOutcome& outcome, std::int64_t at) = 0;
  /// A queued run is canceled at once (at `at`); a running one gets
  /// cancel_requested for the worker to act on. kConflict when it had ended.
  virtual Result<Run> request_cancel(std::string_view id, std::int64_t at) = 0;
  /// Every queued or running run, oldest first (restart recovery).
  virtual Result<std::vector<Run>> unfinished() = 0;

  // Run data.
  /// Deletes at most `limit` runs that ended before `before` (retention).
  virtual Result<ReleasedRuns> remove_finished_before(std::int64_t before, std::size_t limit) = 0;
  /// The digests a project's runs reference (read before the project goes).
  virtual Result<std::vector<std::string>> digests_of_project(std::string_view project_id) = 0;
  /// Does any run reference `digest` as its input or result?
  virtual Result<bool> references(std::string_view digest) = 0;
  /// Bytes of input, result and log the runs `submitter_id` made hold
  /// (what the per-user run data quota counts).
  virtual Result<std::int64_t> data_bytes(std::string_view submitter_id) = 0;
};

}  // namespace orsa::store
