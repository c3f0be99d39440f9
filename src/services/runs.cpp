// services::Runs, submission: which project and image a run uses, who may
// submit it, its limits, admission, then the input and the row.

#include "services/runs.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <utility>

#include "core/json.hpp"
#include "manifest/project_config.hpp"

namespace orsa::services {
namespace {

using store::Deployment;
using store::Image;

// A paused deployment is live: the next request thaws it.
bool is_live(const Deployment& d) {
  return d.desired_running && (d.status == store::DeploymentStatus::kHealthy ||
                               d.status == store::DeploymentStatus::kPaused);
}

Result<void> check_json(std::string_view bytes, std::string_view what, bool must_be_object) {
  const Json parsed = Json::parse(bytes, nullptr, false);
  if (parsed.is_discarded()) {
    return fail(Error::invalid_argument(std::string(what) + " is not valid JSON"));
  }
  if (must_be_object && !parsed.is_object()) {
    return fail(Error::invalid_argument(std::string(what) + " must be a JSON object"));
  }
  return {};
}

Result<void> in_range(std::string_view name, std::int64_t value, std::int64_t min,
                      std::int64_t max) {
  if (value >= min && value <= max) return {};
  return fail(Error::invalid_argument(std::string(name) + " must be between " +
                                      std::to_string(min) + " and " + std::to_string(max)));
}

}  // namespace

// The project, its live deployment (if any) and the image a run will use.
struct Runs::Target {
  store::Project project;
  std::optional<Deployment> live;
  Image image;
};

Runs::Runs(RunTables tables, source::SourceRepos& repos, runs::RunData& data, const Clock& clock,
           RunScheduler& scheduler, RunOptions options, UsageMeter* meter)
    : tables_(tables),
      repos_(repos),
      data_(data),
      clock_(clock),
      scheduler_(scheduler),
      options_(std::move(options)),
      meter_(meter) {}

Result<Runs::Target> Runs::target_for(const auth::Principal& who, const ProjectRef& ref,
                                      const RunRequest& request) {
  // Unscoped: a public service's project is reachable by others; the
  // policy below answers "not found" for everyone else.
  auto project = tables_.projects.find(OwnerScope::everyone(), ref.owner, ref.name);
  if (!project) return fail(project.error());
  auto deployments = tables_.deployments.list(OwnerScope::everyone(), project->id);
  if (!deployments) return fail(deployments.error());
  Target target{.project = *project, .live = std::nullopt, .image = {}};
  for (const auto& d : *deployments) {  // newest first: the one the gateway serves
    if (is_live(d)) {
      target.live = d;
      break;
    }
  }
  const bool service_public = target.live && target.live->visibility == store::Visibility::kPublic;
  if (auto ok = auth::Policy::authorize_project_runs(who, auth::Action::kWrite, project->owner_id,
                                                     service_public, project->id);
      !ok) {
    return fail(ok.error());
  }
  // Others than the owner and admins run what the public service runs; a
  // consumer key, what its owner serves (else the newest image).
  const bool any_image =
      auth::Policy::authorize(who, auth::Action::kWrite, project->owner_id).has_value();
  std::optional<std::string> image_id = request.image_id;
  if (!image_id && target.live) image_id = target.live->image_id;
  if (who.is_consumer()) {
    if (request.image_id && (!target.live || request.image_id != target.live->image_id)) {
      return fail(Error::not_found("image not found"));
    }
  } else if (!any_image && (!target.live || image_id != target.live->image_id)) {
    return fail(Error::not_found("image not found"));
  }
  if (image_id) {
    auto image = tables_.images.find(OwnerScope::everyone(), *image_id);
    if (!image || image->project_id != project->id) {
      return fail(Error::not_found("image not found in this project"));
    }
    target.image = *image;
  } else {
    auto images = tables_.images.list(OwnerScope::everyone(), std::string_view(project->id));
    if (!images) return fail(images.error());
    if (images->empty()) {
      return fail(Error::conflict("the project has no image yet: build it first"));
    }
    target.image = images->front();
  }
  if (!target.live || target.live->image_id != target.image.id) target.live.reset();
  return target;
}

// Limits: the request's, else orsa.toml's [resources] at the image's
// commit, else the defaults; never past the admin's maxima.
Result<store::NewRun> Runs::limits_for(const Target& target, const RunRequest& request) {
  std::int64_t memory = options_.default_memory_mb;
  std::int64_t cpu = options_.default_cpu_millis;
  auto toml = repos_.read_file({target.project.owner_username, target.project.name},
                               target.image.commit_sha, "orsa.toml");
  if (toml) {
    if (auto config = manifest::parse_project_config(*toml)) {
      const manifest::ProjectConfig& c = *config;
      memory = std::min(c.memory_mb.value_or(memory), options_.max_memory_mb);
      if (const double cpus = c.cpus.value_or(std::nan("")); std::isfinite(cpus)) {
        cpu = std::min<std::int64_t>(std::llround(cpus * 1000), options_.max_cpu_millis);
      }
    }
  }
  if (request.memory_mb) memory = *request.memory_mb;
  if (request.cpus) {
    if (!std::isfinite(*request.cpus))
      return fail(Error::invalid_argument("cpus must be a number"));
    cpu = std::llround(*request.cpus * 1000);
  }
  const auto time_limit = request.time_limit_s.value_or(options_.default_time_limit_s);
  const auto priority = request.priority.value_or(0);
  if (auto ok = in_range("time_limit_s", time_limit, 1, options_.max_time_limit_s); !ok) {
    return fail(ok.error());
  }
  if (auto ok = in_range("memory_mb", memory, 64, options_.max_memory_mb); !ok) {
    return fail(ok.error());
  }
  if (cpu < 100 || cpu > options_.max_cpu_millis) {
    return fail(Error::invalid_argument(
        "cpus must be between 0.1 and " +
        std::to_string(static_cast<double>(options_.max_cpu_millis) / 1000.0)));
  }
  if (auto ok = in_range("priority", priority, options_.min_priority, options_.max_priority); !ok) {
    return fail(ok.error());
  }
  return store::NewRun{.project_id = target.project.id,
                       .image_id = target.image.id,
                       .build_id = target.image.build_id,
                       .commit_sha = target.image.commit_sha,
                       .image_digest = target.image.digest,
                       .deployment_id = target.live ? std::optional(target.live->id) : std::nullopt,
                       .priority = priority,
                       .options_json = request.options_json,
                       .time_limit_s = time_limit,
                       .memory_mb = memory,
                       .cpu_millis = cpu};
}

Result<store::Run> Runs::submit(const auth::Principal& who, const ProjectRef& ref,
                                const RunRequest& request) {
  // Cheap refusals first: nothing is looked up or stored for them.
  const auto max_input = options_.data.max_input_bytes;
  if (static_cast<std::int64_t>(request.input.size()) > max_input) {
    return fail(
        Error::too_large("the input exceeds the limit of " + std::to_string(max_input) + " bytes"));
  }
  if (request.options_json.size() > options_.max_options_bytes) {
    return fail(Error::too_large("options exceed the limit of " +
                                 std::to_string(options_.max_options_bytes) + " bytes"));
  }
  if (auto ok = check_json(request.options_json, "options", true); !ok) return fail(ok.error());
  if (!request.input_file) {
    if (auto ok = check_json(request.input, "the input", false); !ok) return fail(ok.error());
  }

  auto target = target_for(who, ref, request);
  if (!target) return fail(target.error());
  auto bytes = input_of(*target, request);
  if (!bytes) return fail(bytes.error());
  auto run = limits_for(*target, request);
  if (!run) return fail(run.error());
  // A consumer has no account: its runs are its project owner's, in the
  // owner's share of the queue and data quota, and remember the key.
  const std::string& submitter = who.is_consumer() ? target->project.owner_id : who.user_id;
  if (auto ok = check_data_quota(submitter); !ok) return fail(ok.error());
  auto queued = tables_.runs.count_queued(submitter);
  if (!queued) return fail(queued.error());
  if (auto ok = runs::admit(static_cast<std::size_t>(*queued), options_.admission); !ok) {
    return fail(ok.error());
  }

  // The pin keeps the input from a concurrent release until the row exists.
  auto input = data_.put(*bytes, max_input, "the input");
  if (!input) return fail(input.error());
  run->submitter_id = submitter;
  if (who.is_consumer()) run->consumer_key_id = who.consumer_key_id;
  run->input_digest = input->digest();
  run->input_size = input->size();
  auto created = tables_.runs.create(*run);
  if (!created) return fail(created.error());
  scheduler_.wake();
  return created;
}

// The input as given, or the project's file at the commit the run will use.
Result<void> Runs::check_data_quota(const std::string& user_id) {
  const std::int64_t quota = options_.max_data_bytes_per_user;
  if (quota <= 0) return {};
  auto used = tables_.runs.data_bytes(user_id);
  if (!used) return fail(used.error());
  if (*used < quota) return {};
  const auto mib = [](std::int64_t bytes) { return static_cast<double>(bytes) / (1024 * 1024); };
  return fail(Error::permission_denied(fmt::format(
      "run data quota exceeded: your runs hold {:.1f} MiB of inputs, results and logs, the quota "
      "is {:.1f} MiB; ended runs are deleted after the retention period, or delete a project to "
      "free its runs' data",
      mib(*used), mib(quota))));
}

Result<std::string> Runs::input_of(const Target& target, const RunRequest& request) {
  if (!request.input_file) return request.input;
  const std::string& path = *request.input_file;
  auto file = repos_.read_file({target.project.owner_username, target.project.name},
                               target.image.commit_sha, path);
  if (!file) {
    if (file.error().code == ErrorCode::kNotFound) {
      return fail(Error::invalid_argument("input_file: the project has no file '" + path +
                                          "' at commit " + target.image.commit_sha.substr(0, 7)));
    }
    return fail(file.error());
  }
  const auto max_input = options_.data.max_input_bytes;
  if (static_cast<std::int64_t>(file->size()) > max_input) {
    return fail(Error::too_large("input_file '" + path + "' exceeds the limit of " +
                                 std::to_string(max_input) + " bytes"));
  }
  if (auto ok = check_json(*file, "input_file '" + path + "'", false); !ok) {
    return fail(ok.error());
  }
  return std::move(*file);
}

Result<std::vector<std::string>> next_runs_to_start(store::RunStore& runs,
                                                    const runs::QueueLimits& limits) {
  auto running = runs.running_per_user();
  if (!running) return fail(running.error());
  runs::RunningCounts counts;
  std::size_t busy = 0;
  for (const auto& c : *running) {
    counts[c.submitter_id] = static_cast<std::size_t>(c.running);
    busy += static_cast<std::size_t>(c.running);
  }
  if (busy >= limits.max_concurrent) return std::vector<std::string>{};
  // A user never starts more than max_per_user at once, so their first
  // max_per_user queued runs are all the candidates the pick can use.
  auto heads = runs.queued_heads(limits.max_per_user);
  if (!heads) return fail(heads.error());
  std::vector<runs::QueuedRun> queued;
  queued.reserve(heads->size());
  for (const auto& r : *heads) queued.push_back({r.id, r.submitter_id, r.priority, r.seq});
  return runs::pick_runs_to_start(queued, counts, limits);
}

// --- Reading, listing, canceling ----------------------------------------

Result<store::Run> Runs::visible(const auth::Principal& who, std::string_view id,
                                 auth::Action action) {
  // A consumer's scope holds no rows: the policy matches the run's key instead.
  const OwnerScope scope = who.is_consumer() ? OwnerScope::everyone() : auth::Policy::scope(who);
  auto run = tables_.runs.find(scope, id);
  if (!run) return fail(Error::not_found("run not found"));
  const std::string key_id = run->consumer_key_id.value_or("");
  const auth::RunParties parties{
      .owner_id = run->owner_id, .submitter_id = run->submitter_id, .consumer_key_id = key_id};
  if (auto ok = auth::Policy::authorize_run(who, action, parties); !ok) {
    return fail(ok.error().code == ErrorCode::kNotFound ? Error::not_found("run not found")
                                                        : ok.error());
  }
  return run;
}

Result<std::optional<std::size_t>> Runs::queue_position(const store::Run& run) {
  if (run.status != store::RunStatus::kQueued) return std::optional<std::size_t>();
  auto queued = tables_.runs.queued();
  if (!queued) return fail(queued.error());
  auto running = tables_.runs.running_per_user();
  if (!running) return fail(running.error());
  std::vector<runs::QueuedRun> waiting;
  waiting.reserve(queued->size());
  for (const auto& r : *queued) waiting.push_back({r.id, r.submitter_id, r.priority, r.seq});
  runs::RunningCounts counts;
  for (const auto& c : *running) counts[c.submitter_id] = static_cast<std::size_t>(c.running);
  const auto order = runs::start_order(waiting, counts);
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == run.id) return std::optional<std::size_t>(i + 1);
  }
  return std::optional<std::size_t>();  // started or ended meanwhile
}

Result<RunView> Runs::get(const auth::Principal& who, std::string_view id) {
  auto run = visible(who, id, auth::Action::kRead);
  if (!run) return fail(run.error());
  auto position = queue_position(*run);
  if (!position) return fail(position.error());
  return RunView{std::move(*run), *position};
}

Result<RunPage> Runs::page(const auth::Principal& who, store::RunQuery query,
                           const RunFilter& filter) {
  const auto limit = filter.limit.value_or(options_.default_page);
  if (limit == 0 || limit > options_.max_page) {
    return fail(Error::invalid_argument("limit must be between 1 and " +
                                        std::to_string(options_.max_page)));
  }
  if (filter.cursor) {
    std::int64_t seq = 0;
    const auto& c = *filter.cursor;
    const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), seq);
    if (ec != std::errc() || end != c.data() + c.size() || seq <= 0) {
      return fail(Error::invalid_argument("cursor is not one this API gave out"));
    }
    query.before_seq = seq;
  }
  query.status = filter.status;
  query.limit = limit + 1;  // one more tells whether another page exists
  OwnerScope scope = auth::Policy::scope(who);
  if (who.is_consumer()) {  // the runs submitted with the key, whoever "owns" them
    scope = OwnerScope::everyone();
    query.consumer_key_id = who.consumer_key_id;
  }
  auto runs = tables_.runs.list(scope, query);
  if (!runs) return fail(runs.error());
  RunPage page;
  if (runs->size() > limit) {
    runs->resize(limit);
    page.next_cursor = std::to_string(runs->back().seq);
  }
  page.runs = std::move(*runs);
  return page;
}

Result<RunPage> Runs::list_project(const auth::Principal& who, const ProjectRef& ref,
                                   const RunFilter& filter) {
  auto project = tables_.projects.find(OwnerScope::everyone(), ref.owner, ref.name);
  if (!project) return fail(project.error());
  auto deployments = tables_.deployments.list(OwnerScope::everyone(), project->id);
  if (!deployments) return fail(deployments.error());
  bool service_public = false;
  for (const auto& d : *deployments) {
    if (is_live(d)) {
      service_public = d.visibility == store::Visibility::kPublic;
      break;
    }
  }
  if (auto ok = auth::Policy::authorize_project_runs(who, auth::Action::kRead, project->owner_id,
                                                     service_public, project->id);
      !ok) {
    return fail(ok.error());
  }
  // The scoped store shows a non-owner only their own runs of it.
  return page(who, {.project_id = project->id}, filter);
}

Result<RunPage> Runs::list_mine(const auth::Principal& who, const RunFilter& filter) {
  if (who.is_consumer()) return page(who, {}, filter);  // the key's runs
  if (who.user_id.empty()) return fail(Error::unauthenticated("sign in to list your runs"));
  if (!who.has(auth::Scope::kRead)) {
    return fail(Error::permission_denied("this API token lacks the 'read' scope"));
  }
  return page(who, {.submitter_id = who.user_id}, filter);
}

Result<store::Run> Runs::cancel(const auth::Principal& who, std::string_view id) {
  auto run = visible(who, id, auth::Action::kWrite);
  if (!run) return fail(run.error());
  auto changed = tables_.runs.request_cancel(run->id, clock_.now_unix());
  if (!changed) return fail(changed.error());
  if (changed->status == store::RunStatus::kRunning) scheduler_.cancel_running(changed->id);
  return changed;
}

Result<RunBlob> Runs::blob(const std::string& digest, std::int64_t size) {
  auto path = data_.path_of(digest);
  if (!path) {
    if (path.error().code == ErrorCode::kNotFound) {
      return fail(Error::internal("the run's data is missing from the data directory"));
    }
    return fail(path.error());
  }
  return RunBlob{std::move(*path), size, digest};
}

Result<RunBlob> Runs::input(const auth::Principal& who, std::string_view id) {
  auto run = visible(who, id, auth::Action::kRead);
  if (!run) return fail(run.error());
  return blob(run->input_digest, run->input_size);
}

Result<RunBlob> Runs::result(const auth::Principal& who, std::string_view id) {
  auto run = visible(who, id, auth::Action::kRead);
  if (!run) return fail(run.error());
  const store::Run& r = *run;
  if (!r.result_digest) {
    return fail(Error::not_found(store::is_final(r.status) ? "the run left no result"
                                                           : "the run has no result yet"));
  }
  return blob(*r.result_digest, r.result_size.value_or(0));
}

// --- Run data ------------------------------------------------------------

Result<std::vector<std::string>> Runs::project_data(std::string_view project_id) {
  return tables_.runs.digests_of_project(project_id);
}

Result<std::size_t> Runs::release_data(const std::vector<std::string>& digests) {
  return data_.release(digests, [this](std::string_view d) { return tables_.runs.references(d); });
}

Result<RunCollection> Runs::collect() {
  constexpr std::size_t kBatch = 500;
  const auto before = clock_.now_unix() - options_.retention.count();
  RunCollection out;
  for (;;) {
    auto released = tables_.runs.remove_finished_before(before, kBatch);
    if (!released) return fail(released.error());
    out.runs += released->count;
    if (released->count < static_cast<std::int64_t>(kBatch)) break;
  }
  // One sweep covers these runs' data, deleted projects' and failed submissions'.
  auto swept = data_.sweep([this](std::string_view d) { return tables_.runs.references(d); });
  if (!swept) return fail(swept.error());
  out.blobs = *swept;
  return out;
}

}  // namespace orsa::services
