// services::Runs, the run worker's side: recording how runs ended (result,
// statistics, outcome) and failing runs a restart orphaned.

#include <algorithm>

#include "core/json.hpp"
#include "services/runs.hpp"

namespace orsa::services {
namespace {

constexpr std::string_view kRestarted = "control plane restarted";

bool scalar(const Json& v) {
  return v.is_number() || v.is_string() || v.is_boolean() || v.is_null();
}

}  // namespace

std::string run_statistics(std::string_view result_json, std::size_t max_bytes) {
  const Json result = Json::parse(result_json, nullptr, false);
  if (result.is_discarded() || !result.is_object()) return "{}";
  Json stats = Json::object();
  if (const auto it = result.find("statistics"); it != result.end() && it->is_object()) {
    stats = *it;
  } else {
    for (const char* key : {"status", "objective"}) {
      if (const auto v = result.find(key); v != result.end() && scalar(*v)) stats[key] = *v;
    }
  }
  std::string text = stats.dump();
  return text.size() <= max_bytes ? text : "{}";
}

Result<store::Run> Runs::complete(std::string_view id, const RunEnd& end) {
  store::RunOutcome outcome{.status = end.status, .exit_code = end.exit_code, .reason = end.reason};
  // Held until the row names the result, so no release can take it first.
  std::optional<runs::RunData::Pin> pin;
  if (end.result_file) {
    auto stored = data_.put_file(*end.result_file, options_.data.max_result_bytes, "the result");
    if (stored) {
      auto mapped = data_.open_blob(stored->digest());
      const std::string_view bytes = mapped ? mapped->bytes() : std::string_view();
      if (mapped && Json::accept(bytes)) {
        outcome.result_digest = stored->digest();
        outcome.result_size = stored->size();
        outcome.statistics_json = run_statistics(bytes);
        pin.emplace(std::move(*stored));
      } else if (end.status == store::RunStatus::kSucceeded) {
        outcome.status = store::RunStatus::kFailed;
        outcome.reason = "the model's result is not valid JSON";
      }
    } else if (stored.error().code == ErrorCode::kTooLarge) {
      outcome.status = store::RunStatus::kFailed;
      outcome.reason = stored.error().message;
    } else {
      return fail(stored.error());
    }
  }
  // The log is kept whatever became of the result; one that cannot be
  // stored leaves the run without a log rather than without an end.
  std::optional<runs::RunData::Pin> log_pin;
  if (end.log_file) {
    if (auto stored = data_.put_file(*end.log_file, options_.max_log_bytes, "the log")) {
      outcome.log_digest = stored->digest();
      outcome.log_size = stored->size();
      log_pin.emplace(std::move(*stored));
    }
  }
  auto finished = tables_.runs.finish(id, outcome, clock_.now_unix());
  if (finished && meter_ != nullptr) meter_->count_run(*finished, end.cpu_ms);
  return finished;
}

Result<std::vector<store::Run>> Runs::fail_orphaned(
    const std::vector<std::string>& live_containers,
    const std::function<bool(const store::Run&)>& recoverable) {
  auto unfinished = tables_.runs.unfinished();
  if (!unfinished) return fail(unfinished.error());
  std::vector<store::Run> failed;
  for (const auto& run : *unfinished) {
    if (run.status != store::RunStatus::kRunning) continue;  // queued runs stay queued
    if (recoverable && !recoverable(run)) continue;          // a live instance's
    if (run.container_id &&
        std::ranges::find(live_containers, *run.container_id) != live_containers.end()) {
      continue;  // adopted
    }
    auto ended = tables_.runs.finish(
        run.id, {.status = store::RunStatus::kFailed, .reason = std::string(kRestarted)},
        clock_.now_unix());
    if (ended) {
      failed.push_back(std::move(*ended));
    } else if (ended.error().code != ErrorCode::kConflict) {  // conflict: it ended meanwhile
      return fail(ended.error());
    }
  }
  return failed;
}

}  // namespace orsa::services
