#include <set>

#include "memory_tables.hpp"

// The fake's runs: the SQL store's semantics over a map.
namespace orsa::store::memory {
namespace {

// A run belongs to its project's owner and to its submitter.
bool visible_run(const OwnerScope& scope, const Run& r) {
  return !scope.owner_id || *scope.owner_id == r.owner_id || *scope.owner_id == r.submitter_id;
}

bool newer(const Run& a, const Run& b) {
  return a.seq > b.seq;
}

bool older(const Run& a, const Run& b) {
  return a.seq < b.seq;
}

class MemoryRuns final : public RunStore {
 public:
  explicit MemoryRuns(State& s) : s_(s) {}

  Result<Run> create(const NewRun& in) override {
    Lock lock(s_.mu);
    const auto project = s_.projects.find(in.project_id);
    if (project == s_.projects.end()) return fail(not_found("project"));
    if (!s_.users.contains(in.submitter_id)) return fail(not_found("submitter"));
    Run run{.id = new_id("run"),
            .seq = ++s_.last_run_seq,
            .owner_id = project->second.owner_id,
            .project_id = in.project_id,
            .submitter_id = in.submitter_id,
            .image_id = in.image_id,
            .build_id = in.build_id,
            .commit_sha = in.commit_sha,
            .image_digest = in.image_digest,
            .deployment_id = in.deployment_id,
            .priority = in.priority,
            .options_json = in.options_json,
            .time_limit_s = in.time_limit_s,
            .memory_mb = in.memory_mb,
            .cpu_millis = in.cpu_millis,
            .input_digest = in.input_digest,
            .input_size = in.input_size,
            .created_at = s_.clock.now_unix(),
            .consumer_key_id = in.consumer_key_id};
    s_.runs.emplace(run.id, run);
    return joined(s_, run);
  }

  Result<Run> find(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.runs.find(std::string(id));
    if (it == s_.runs.end() || !visible_run(scope, it->second)) return fail(not_found("run"));
    return joined(s_, it->second);
  }

  Result<std::vector<Run>> list(const OwnerScope& scope, const RunQuery& q) override {
    Lock lock(s_.mu);
    return first_n(select(
                       s_, s_.runs,
                       [&](const Run& r) {
                         return visible_run(scope, r) &&
                                (!q.project_id || r.project_id == *q.project_id) &&
                                (!q.submitter_id || r.submitter_id == *q.submitter_id) &&
                                (!q.consumer_key_id || r.consumer_key_id == q.consumer_key_id) &&
                                (!q.status || r.status == *q.status) &&
                                (!q.before_seq || r.seq < *q.before_seq);
                       },
                       newer),
                   q.limit);
  }

  Result<std::vector<Run>> queued_heads(std::size_t per_user) override {
    Lock lock(s_.mu);
    auto queued = with_status({RunStatus::kQueued});
    std::ranges::sort(queued, [](const Run& a, const Run& b) {
      return std::tie(b.priority, a.seq) < std::tie(a.priority, b.seq);
    });
    std::map<std::string, std::size_t> taken;
    std::vector<Run> out;
    for (const auto& r : queued) {
      if (taken[r.submitter_id]++ < per_user) out.push_back(r);
    }
    std::ranges::sort(out, older);
    return out;
  }

  Result<std::vector<RunningCount>> running_per_user() override {
    Lock lock(s_.mu);
    std::map<std::string, std::int64_t> counts;
    for (const auto& [id, r] : s_.runs) {
      if (r.status == RunStatus::kRunning) ++counts[r.submitter_id];
    }
    std::vector<RunningCount> out;
    out.reserve(counts.size());
    for (const auto& [user, n] : counts) out.push_back({user, n});
    return out;
  }

  Result<std::int64_t> count_queued(std::string_view submitter_id) override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(std::ranges::count_if(s_.runs, [&](const auto& entry) {
      return entry.second.status == RunStatus::kQueued && entry.second.submitter_id == submitter_id;
    }));
  }

  Result<std::int64_t> data_bytes(std::string_view submitter_id) override {
    Lock lock(s_.mu);
    std::int64_t total = 0;
    for (const auto& [id, run] : s_.runs) {
      if (run.submitter_id != submitter_id) continue;
      total += run.input_size + run.result_size.value_or(0) + run.log_size.value_or(0);
    }
    return total;
  }

  Result<std::vector<Run>> queued() override {
    Lock lock(s_.mu);
    return with_status({RunStatus::kQueued});
  }

  Result<std::vector<Run>> unfinished() override {
    Lock lock(s_.mu);
    return with_status({RunStatus::kQueued, RunStatus::kRunning});
  }

  Result<Run> mark_running(std::string_view id, std::string_view container_id, std::int64_t at,
                           std::string_view runner) override {
    return change(id, {RunStatus::kQueued}, [&](Run& r) {
      r.status = RunStatus::kRunning;
      r.started_at = at;
      r.runner = runner;
      ++r.attempts;
      r.container_id = container_or_null(container_id);
    });
  }

  Result<Run> requeue(std::string_view id, std::string_view runner) override {
    Lock lock(s_.mu);
    const auto it = s_.runs.find(std::string(id));
    if (it == s_.runs.end()) return fail(not_found("run"));
    Run& run = it->second;
    if (run.status != RunStatus::kRunning || run.runner != runner) {
      return fail(Error::conflict("run is not running on " + std::string(runner)));
    }
    run.status = RunStatus::kQueued;
    run.started_at.reset();
    run.container_id.reset();
    run.runner.clear();
    return joined(s_, run);
  }

  Result<Run> set_container(std::string_view id, std::string_view container_id) override {
    return change(id, {RunStatus::kRunning},
                  [&](Run& r) { r.container_id = container_or_null(container_id); });
  }

  Result<Run> finish(std::string_view id, const RunOutcome& outcome, std::int64_t at) override {
    if (!is_final(outcome.status)) {
      return fail(Error::invalid_argument("a run cannot finish as " +
                                          std::string(run_status_name(outcome.status))));
    }
    return change(id, {RunStatus::kQueued, RunStatus::kRunning}, [&](Run& r) {
      r.status = outcome.status;
      r.exit_code = outcome.exit_code;
      r.reason = outcome.reason;
      r.result_digest = outcome.result_digest;
      r.result_size = outcome.result_size;
      r.log_digest = outcome.log_digest;
      r.log_size = outcome.log_size;
      r.statistics_json = outcome.statistics_json;
      r.finished_at = at;
    });
  }

  Result<Run> request_cancel(std::string_view id, std::int64_t at) override {
    return change(id, {RunStatus::kQueued, RunStatus::kRunning}, [&](Run& r) {
      if (r.status == RunStatus::kRunning) {
        r.cancel_requested = true;
        return;
      }
      r.status = RunStatus::kCanceled;
      r.reason = "canceled before it started";
      r.finished_at = at;
    });
  }

  Result<ReleasedRuns> remove_finished_before(std::int64_t before, std::size_t limit) override {
    Lock lock(s_.mu);
    std::vector<Run> old;
    for (const auto& [id, r] : s_.runs) {
      if (r.finished_at && *r.finished_at < before) old.push_back(r);
    }
    std::ranges::sort(old, [](const Run& a, const Run& b) {
      return std::tie(*a.finished_at, a.id) < std::tie(*b.finished_at, b.id);
    });
    old = first_n(std::move(old), limit);
    for (const auto& r : old) s_.runs.erase(r.id);
    return ReleasedRuns{static_cast<std::int64_t>(old.size()), digests_of(old)};
  }

  Result<std::vector<std::string>> digests_of_project(std::string_view project_id) override {
    Lock lock(s_.mu);
    std::vector<Run> of_project;
    for (const auto& [id, r] : s_.runs) {
      if (r.project_id == project_id) of_project.push_back(r);
    }
    return digests_of(of_project);
  }

  Result<bool> references(std::string_view digest) override {
    Lock lock(s_.mu);
    return std::ranges::any_of(s_.runs, [&](const auto& entry) {
      const Run& r = entry.second;
      return r.input_digest == digest || r.result_digest == digest || r.log_digest == digest;
    });
  }

 private:
  static std::optional<std::string> container_or_null(std::string_view container_id) {
    if (container_id.empty()) return std::nullopt;
    return std::string(container_id);
  }

  static std::vector<std::string> digests_of(const std::vector<Run>& runs) {
    std::set<std::string> out;
    for (const auto& r : runs) {
      out.insert(r.input_digest);
      if (r.result_digest) out.insert(*r.result_digest);
      if (r.log_digest) out.insert(*r.log_digest);
    }
    return {out.begin(), out.end()};
  }

  // Callers hold the lock.
  std::vector<Run> with_status(std::initializer_list<RunStatus> statuses) {
    return select(
        s_, s_.runs,
        [&](const Run& r) { return std::ranges::find(statuses, r.status) != statuses.end(); },
        older);
  }

  // Applies `apply` to a run in one of `from`; kConflict naming its status otherwise.
  template <class F>
  Result<Run> change(std::string_view id, std::initializer_list<RunStatus> from, F apply) {
    Lock lock(s_.mu);
    const auto it = s_.runs.find(std::string(id));
    if (it == s_.runs.end()) return fail(not_found("run"));
    Run& run = it->second;
    if (std::ranges::find(from, run.status) == from.end()) {
      return fail(Error::conflict("run is already " + std::string(run_status_name(run.status))));
    }
    apply(run);
    return joined(s_, run);
  }

  State& s_;
};

}  // namespace

std::unique_ptr<RunStore> runs(State& s) {
  return std::make_unique<MemoryRuns>(s);
}

}  // namespace orsa::store::memory
