#include "store/runs.hpp"

#include <set>

#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {

namespace {

constexpr RunStatus kAllRunStatuses[] = {
    RunStatus::kQueued,       RunStatus::kRunning,  RunStatus::kSucceeded, RunStatus::kFailed,
    RunStatus::kInvalidInput, RunStatus::kTimedOut, RunStatus::kCanceled};

}  // namespace

std::string_view run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued:
      return "queued";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInvalidInput:
      return "invalid_input";
    case RunStatus::kTimedOut:
      return "timed_out";
    case RunStatus::kCanceled:
      return "canceled";
  }
  return "failed";
}

std::optional<RunStatus> parse_run_status(std::string_view name) {
  for (auto status : kAllRunStatuses) {
    if (run_status_name(status) == name) return status;
  }
  return std::nullopt;
}

bool is_final(RunStatus status) {
  return status != RunStatus::kQueued && status != RunStatus::kRunning;
}

namespace {

using sql::execute;
using sql::first_or;
using sql::NullableInt;
using sql::NullableText;
using sql::select_rows;

constexpr std::string_view kRunColumns =
    "SELECT r.id, r.seq, r.owner_id, u.username, r.project_id, p.name, r.submitter_id, "
    "s.username, r.image_id, r.build_id, r.commit_sha, r.image_digest, r.deployment_id, r.status, "
    "r.priority, r.options, r.time_limit_s, r.memory_mb, r.cpu_millis, r.input_digest, "
    "r.input_size, r.result_digest, r.result_size, r.log_digest, r.log_size, r.exit_code, "
    "r.reason, r.statistics, "
    "r.container_id, r.cancel_requested, r.created_at, r.started_at, r.finished_at, "
    "r.consumer_key_id, r.runner, r.attempts FROM runs r JOIN projects p ON p.id = r.project_id "
    "JOIN users u "
    "ON u.id = "
    "r.owner_id "
    "JOIN users s ON s.id = r.submitter_id";
// Concurrent inserts on PostgreSQL may pick the same seq; the loser retries.
constexpr int kSeqAttempts = 8;

struct RunRow {
  std::string id, owner_id, owner_username, project_id, project_name, submitter_id,
      submitter_username, image_id, build_id, commit_sha, image_digest, status, options,
      input_digest, reason, statistics, runner;
  long long seq = 0, priority = 0, time_limit_s = 0, memory_mb = 0, cpu_millis = 0, input_size = 0,
            cancel_requested = 0, created_at = 0, attempts = 0;
  NullableText deployment_id, result_digest, log_digest, container_id, consumer_key_id;
  NullableInt result_size, log_size, exit_code, started_at, finished_at;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(seq), soci::into(owner_id), soci::into(owner_username),
        soci::into(project_id), soci::into(project_name), soci::into(submitter_id),
        soci::into(submitter_username), soci::into(image_id), soci::into(build_id),
        soci::into(commit_sha), soci::into(image_digest),
        soci::into(deployment_id.value, deployment_id.ind), soci::into(status),
        soci::into(priority), soci::into(options), soci::into(time_limit_s), soci::into(memory_mb),
        soci::into(cpu_millis), soci::into(input_digest), soci::into(input_size),
        soci::into(result_digest.value, result_digest.ind),
        soci::into(result_size.value, result_size.ind),
        soci::into(log_digest.value, log_digest.ind), soci::into(log_size.value, log_size.ind),
        soci::into(exit_code.value, exit_code.ind), soci::into(reason), soci::into(statistics),
        soci::into(container_id.value, container_id.ind), soci::into(cancel_requested),
        soci::into(created_at), soci::into(started_at.value, started_at.ind),
        soci::into(finished_at.value, finished_at.ind),
        soci::into(consumer_key_id.value, consumer_key_id.ind), soci::into(runner),
        soci::into(attempts);
  }
  Run get() const {
    // The CHECK constraint keeps statuses valid.
    return {.id = id,
            .seq = seq,
            .owner_id = owner_id,
            .owner_username = owner_username,
            .project_id = project_id,
            .project_name = project_name,
            .submitter_id = submitter_id,
            .submitter_username = submitter_username,
            .image_id = image_id,
            .build_id = build_id,
            .commit_sha = commit_sha,
            .image_digest = image_digest,
            .deployment_id = deployment_id.get(),
            .status = parse_run_status(status).value_or(RunStatus::kFailed),
            .priority = priority,
            .options_json = options,
            .time_limit_s = time_limit_s,
            .memory_mb = memory_mb,
            .cpu_millis = cpu_millis,
            .input_digest = input_digest,
            .input_size = input_size,
            .result_digest = result_digest.get(),
            .result_size = result_size.get(),
            .log_digest = log_digest.get(),
            .log_size = log_size.get(),
            .exit_code = exit_code.get(),
            .reason = reason,
            .statistics_json = statistics,
            .container_id = container_id.get(),
            .cancel_requested = cancel_requested != 0,
            .created_at = created_at,
            .started_at = started_at.get(),
            .finished_at = finished_at.get(),
            .consumer_key_id = consumer_key_id.get(),
            .runner = runner,
            .attempts = attempts};
  }
};

Result<Run> one_run(soci::session& sql, const OwnerScope& scope, const std::string& id) {
  const auto query = sql::concat(kRunColumns, " WHERE r.id = :id");
  auto rows = scope.owner_id
                  ? select_rows<RunRow>(
                        sql, query + " AND (r.owner_id = :o OR r.submitter_id = :s)", soci::use(id),
                        soci::use(*scope.owner_id), soci::use(*scope.owner_id))
                  : select_rows<RunRow>(sql, query, soci::use(id));
  return first_or(std::move(rows), "run not found");
}

// kNotFound for a missing run, else kConflict naming the status it is in.
Error not_changed(soci::session& sql, const std::string& id) {
  auto run = one_run(sql, OwnerScope::everyone(), id);
  if (!run) return run.error();
  return Error::conflict("run is already " + std::string(run_status_name(run->status)));
}

// The listing's WHERE clause is built from the filters present, so each
// query can use the index of its leading filter (a bound "'' OR" condition
// would hide it from SQLite's planner).
std::vector<Run> list_runs(soci::session& sql, const OwnerScope& scope, const RunQuery& q) {
  std::string query(kRunColumns);
  const std::string status(q.status ? run_status_name(*q.status) : "");
  const long long before = q.before_seq.value_or(0), n = sql::clamp_limit(q.limit);
  std::string where;
  const auto add = [&](std::string_view condition) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  };
  if (q.project_id) add("r.project_id = :project");
  if (q.submitter_id) add("r.submitter_id = :submitter");
  if (q.consumer_key_id) add("r.consumer_key_id = :consumer");
  if (scope.owner_id) add("(r.owner_id = :o OR r.submitter_id = :s)");
  if (q.status) add("r.status = :status");
  if (q.before_seq) add("r.seq < :before");
  query += where + " ORDER BY r.seq DESC LIMIT :n";

  RunRow row;
  soci::details::prepare_temp_type p = (sql.prepare << query);
  row.bind(p);
  // Bound in the order the conditions were added.
  if (q.project_id) static_cast<void>(p, soci::use(*q.project_id));
  if (q.submitter_id) static_cast<void>(p, soci::use(*q.submitter_id));
  if (q.consumer_key_id) static_cast<void>(p, soci::use(*q.consumer_key_id));
  if (scope.owner_id) static_cast<void>(p, soci::use(*scope.owner_id), soci::use(*scope.owner_id));
  if (q.status) static_cast<void>(p, soci::use(status));
  if (q.before_seq) static_cast<void>(p, soci::use(before));
  static_cast<void>(p, soci::use(n));
  soci::statement statement(p);
  statement.execute();
  std::vector<Run> out;
  while (statement.fetch()) out.push_back(row.get());
  return out;
}

struct DigestRow {
  std::string input;
  NullableText result, log;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(input), soci::into(result.value, result.ind), soci::into(log.value, log.ind);
  }
  std::vector<std::string> get() const {
    std::vector<std::string> digests{input};
    if (auto r = result.get()) digests.push_back(std::move(*r));
    if (auto l = log.get()) digests.push_back(std::move(*l));
    return digests;
  }
};

std::vector<std::string> distinct_digests(const std::vector<std::vector<std::string>>& rows) {
  std::set<std::string> out;
  for (const auto& digests : rows) out.insert(digests.begin(), digests.end());
  return {out.begin(), out.end()};
}

struct CountRow {
  std::string submitter_id;
  long long count = 0;

  void bind(soci::details::prepare_temp_type& p) { p, soci::into(submitter_id), soci::into(count); }
  RunningCount get() const { return {submitter_id, count}; }
};

class SqlRunStore final : public RunStore {
 public:
  explicit SqlRunStore(Database& db) : db_(db) {}

  Result<Run> create(const NewRun& in) override {
    for (int attempt = 1;; ++attempt) {
      auto run = insert(in);
      if (run || run.error().code != ErrorCode::kConflict || attempt == kSeqAttempts) return run;
    }
  }

  Result<Run> find(const OwnerScope& scope, std::string_view id) override {
    return db_.run("find_run", Access::kRead,
                   [&](soci::session& sql) { return one_run(sql, scope, std::string(id)); });
  }

  Result<std::vector<Run>> list(const OwnerScope& scope, const RunQuery& query) override {
    return db_.run("list_runs", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Run>> {
      return list_runs(sql, scope, query);
    });
  }

  Result<std::vector<Run>> queued_heads(std::size_t per_user) override {
    return db_.run("queued_run_heads", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<Run>> {
                     const long long n = sql::clamp_limit(per_user);
                     return select_rows<RunRow>(
                         sql,
                         sql::concat(kRunColumns,
                                     " WHERE r.id IN (SELECT q.id FROM (SELECT id, ROW_NUMBER() "
                                     "OVER (PARTITION BY submitter_id ORDER BY priority DESC, "
                                     "seq) AS rn FROM runs WHERE status = 'queued') q WHERE q.rn "
                                     "<= :n) ORDER BY r.seq"),
                         soci::use(n));
                   });
  }

  Result<std::vector<RunningCount>> running_per_user() override {
    return db_.run("running_runs_per_user", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<RunningCount>> {
                     return select_rows<CountRow>(
                         sql,
                         "SELECT submitter_id, COUNT(*) FROM runs WHERE status = 'running' "
                         "GROUP BY submitter_id ORDER BY submitter_id");
                   });
  }

  Result<std::int64_t> count_queued(std::string_view submitter_id) override {
    return db_.run("count_queued_runs", Access::kRead,
                   [&](soci::session& sql) -> Result<std::int64_t> {
                     const std::string id(submitter_id);
                     long long count = 0;
                     sql << "SELECT COUNT(*) FROM runs WHERE status = 'queued' AND submitter_id "
                            "= :id",
                         soci::use(id), soci::into(count);
                     return static_cast<std::int64_t>(count);
                   });
  }

  Result<std::int64_t> data_bytes(std::string_view submitter_id) override {
    return db_.run("run_data_bytes", Access::kRead,
                   [&](soci::session& sql) -> Result<std::int64_t> {
                     const std::string id(submitter_id);
                     long long bytes = 0;
                     sql << "SELECT COALESCE(SUM(input_size + COALESCE(result_size, 0) + "
                            "COALESCE(log_size, 0)), 0) FROM runs WHERE submitter_id = :id",
                         soci::use(id), soci::into(bytes);
                     return static_cast<std::int64_t>(bytes);
                   });
  }

  Result<std::vector<Run>> queued() override { return with_statuses("'queued'"); }

  Result<std::vector<Run>> unfinished() override { return with_statuses("'queued', 'running'"); }

  Result<Run> mark_running(std::string_view id, std::string_view container_id, std::int64_t at,
                           std::string_view runner) override {
    return db_.run("mark_run_running", Access::kWrite, [&](soci::session& sql) -> Result<Run> {
      const std::string run_id(id);
      auto container = container_text(container_id);
      const long long when = at;
      const std::string claimer(runner);
      const auto changed =
          execute(sql,
                  "UPDATE runs SET status = 'running', started_at = :at, "
                  "container_id = :container, runner = :runner, attempts = attempts + 1 "
                  "WHERE id = :id AND status = 'queued'",
                  soci::use(when), soci::use(container.value, container.ind), soci::use(claimer),
                  soci::use(run_id));
      if (changed == 0) return fail(not_changed(sql, run_id));
      return one_run(sql, OwnerScope::everyone(), run_id);
    });
  }

  Result<Run> requeue(std::string_view id, std::string_view runner) override {
    return db_.run("requeue_run", Access::kWrite, [&](soci::session& sql) -> Result<Run> {
      const std::string run_id(id);
      const std::string claimer(runner);
      const auto changed = execute(sql,
                                   "UPDATE runs SET status = 'queued', started_at = NULL, "
                                   "container_id = NULL, runner = '' "
                                   "WHERE id = :id AND status = 'running' AND runner = :runner",
                                   soci::use(run_id), soci::use(claimer));
      if (changed == 0) return fail(not_changed(sql, run_id));
      return one_run(sql, OwnerScope::everyone(), run_id);
    });
  }

  Result<Run> set_container(std::string_view id, std::string_view container_id) override {
    return db_.run("set_run_container", Access::kWrite, [&](soci::session& sql) -> Result<Run> {
      const std::string run_id(id);
      auto container = container_text(container_id);
      const auto changed = execute(
          sql, "UPDATE runs SET container_id = :container WHERE id = :id AND status = 'running'",
          soci::use(container.value, container.ind), soci::use(run_id));
      if (changed == 0) return fail(not_changed(sql, run_id));
      return one_run(sql, OwnerScope::everyone(), run_id);
    });
  }

  Result<Run> finish(std::string_view id, const RunOutcome& outcome, std::int64_t at) override {
    if (!is_final(outcome.status)) {
      return fail(Error::invalid_argument("a run cannot finish as " +
                                          std::string(run_status_name(outcome.status))));
    }
    return db_.run("finish_run", Access::kWrite, [&](soci::session& sql) -> Result<Run> {
      const std::string run_id(id);
      const std::string status(run_status_name(outcome.status));
      auto exit_code = NullableInt::of(outcome.exit_code);
      auto digest = NullableText::of(outcome.result_digest);
      auto size = NullableInt::of(outcome.result_size);
      auto log_digest = NullableText::of(outcome.log_digest);
      auto log_size = NullableInt::of(outcome.log_size);
      const long long when = at;
      const auto changed = execute(
          sql,
          "UPDATE runs SET status = :status, exit_code = :exit_code, reason = :reason, "
          "result_digest = :digest, result_size = :size, log_digest = :log_digest, "
          "log_size = :log_size, statistics = :statistics, "
          "finished_at = :at WHERE id = :id AND status IN ('queued', 'running')",
          soci::use(status), soci::use(exit_code.value, exit_code.ind), soci::use(outcome.reason),
          soci::use(digest.value, digest.ind), soci::use(size.value, size.ind),
          soci::use(log_digest.value, log_digest.ind), soci::use(log_size.value, log_size.ind),
          soci::use(outcome.statistics_json), soci::use(when), soci::use(run_id));
      if (changed == 0) return fail(not_changed(sql, run_id));
      return one_run(sql, OwnerScope::everyone(), run_id);
    });
  }

  Result<Run> request_cancel(std::string_view id, std::int64_t at) override {
    return db_.run("cancel_run", Access::kWrite, [&](soci::session& sql) -> Result<Run> {
      const std::string run_id(id);
      const long long when = at;
      auto changed = execute(sql,
                             "UPDATE runs SET status = 'canceled', reason = 'canceled before it "
                             "started', finished_at = :at WHERE id = :id AND status = 'queued'",
                             soci::use(when), soci::use(run_id));
      if (changed == 0) {
        changed = execute(
            sql, "UPDATE runs SET cancel_requested = 1 WHERE id = :id AND status = 'running'",
            soci::use(run_id));
      }
      if (changed == 0) return fail(not_changed(sql, run_id));
      return one_run(sql, OwnerScope::everyone(), run_id);
    });
  }

  Result<ReleasedRuns> remove_finished_before(std::int64_t before, std::size_t limit) override {
    return db_.run(
        "remove_old_runs", Access::kWrite, [&](soci::session& sql) -> Result<ReleasedRuns> {
          const long long until = before, n = sql::clamp_limit(limit);
          // Ended runs never change, so both statements see the same rows.
          const std::string old =
              "SELECT id FROM runs WHERE finished_at < :before ORDER BY finished_at, "
              "id LIMIT :n";
          const auto digests = select_rows<DigestRow>(
              sql,
              "SELECT input_digest, result_digest, log_digest FROM runs WHERE id IN (" + old + ")",
              soci::use(until), soci::use(n));
          const auto removed = execute(sql, "DELETE FROM runs WHERE id IN (" + old + ")",
                                       soci::use(until), soci::use(n));
          return ReleasedRuns{removed, distinct_digests(digests)};
        });
  }

  Result<std::vector<std::string>> digests_of_project(std::string_view project_id) override {
    return db_.run(
        "digests_of_project_runs", Access::kRead,
        [&](soci::session& sql) -> Result<std::vector<std::string>> {
          const std::string project(project_id);
          return distinct_digests(select_rows<DigestRow>(
              sql, "SELECT input_digest, result_digest, log_digest FROM runs WHERE project_id = :p",
              soci::use(project)));
        });
  }

  Result<bool> references(std::string_view digest) override {
    return db_.run("run_data_referenced", Access::kRead, [&](soci::session& sql) -> Result<bool> {
      const std::string d(digest);
      long long count = 0;
      // Two probes, each on its own index, rather than one OR.
      sql << "SELECT COUNT(*) FROM (SELECT 1 AS x FROM runs WHERE input_digest = :a "
             "LIMIT 1) i",
          soci::use(d), soci::into(count);
      if (count > 0) return true;
      sql << "SELECT COUNT(*) FROM (SELECT 1 AS x FROM runs WHERE result_digest = :b "
             "LIMIT 1) r",
          soci::use(d), soci::into(count);
      if (count > 0) return true;
      sql << "SELECT COUNT(*) FROM (SELECT 1 AS x FROM runs WHERE log_digest = :c "
             "LIMIT 1) l",
          soci::use(d), soci::into(count);
      return count > 0;
    });
  }

 private:
  static NullableText container_text(std::string_view container_id) {
    if (container_id.empty()) return {};
    return {std::string(container_id), soci::i_ok};
  }

  Result<std::vector<Run>> with_statuses(std::string_view statuses) {
    return db_.run(
        "runs_with_status", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Run>> {
          return select_rows<RunRow>(sql, sql::concat(kRunColumns, " WHERE r.status IN (") +
                                              std::string(statuses) + ") ORDER BY r.seq");
        });
  }

  // The seq comes from the same statement as the insert: SQLite writers are
  // serialised by the write lock, PostgreSQL losers hit the unique key and
  // create retries. The owner is copied from the project row.
  Result<Run> insert(const NewRun& in) {
    const std::string id = new_id("run");
    return db_.run(
        "create_run", Access::kWrite,
        [&](soci::session& sql) -> Result<Run> {
          const long long now = db_.now(), priority = in.priority, time_limit = in.time_limit_s,
                          memory = in.memory_mb, cpu = in.cpu_millis, input_size = in.input_size;
          auto deployment = NullableText::of(in.deployment_id);
          auto consumer = NullableText::of(in.consumer_key_id);
          const auto inserted = execute(
              sql,
              "INSERT INTO runs (id, seq, owner_id, submitter_id, project_id, image_id, build_id, "
              "commit_sha, image_digest, deployment_id, status, priority, options, time_limit_s, "
              "memory_mb, cpu_millis, input_digest, input_size, created_at, consumer_key_id) "
              "SELECT CAST(:id AS "
              "TEXT), COALESCE((SELECT MAX(seq) FROM runs), 0) + 1, p.owner_id, CAST(:submitter "
              "AS TEXT), p.id, CAST(:image AS TEXT), CAST(:build AS TEXT), CAST(:commit AS TEXT), "
              "CAST(:digest AS TEXT), CAST(:deployment AS TEXT), 'queued', CAST(:priority AS "
              "BIGINT), CAST(:options AS TEXT), CAST(:time_limit AS BIGINT), CAST(:memory AS "
              "BIGINT), CAST(:cpu AS BIGINT), CAST(:input AS TEXT), CAST(:input_size AS BIGINT), "
              "CAST(:now AS BIGINT), CAST(:consumer AS TEXT) FROM projects p WHERE p.id = "
              ":project",
              soci::use(id), soci::use(in.submitter_id), soci::use(in.image_id),
              soci::use(in.build_id), soci::use(in.commit_sha), soci::use(in.image_digest),
              soci::use(deployment.value, deployment.ind), soci::use(priority),
              soci::use(in.options_json), soci::use(time_limit), soci::use(memory), soci::use(cpu),
              soci::use(in.input_digest), soci::use(input_size), soci::use(now),
              soci::use(consumer.value, consumer.ind), soci::use(in.project_id));
          if (inserted == 0) return fail(Error::not_found("project not found"));
          return one_run(sql, OwnerScope::everyone(), id);
        },
        [](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("submitter not found");
          return Error::conflict("run sequence taken, retry");
        });
  }

  Database& db_;
};

}  // namespace

std::unique_ptr<RunStore> sql_run_store(Database& db) {
  return std::make_unique<SqlRunStore>(db);
}

}  // namespace orsa::store
