#include "services/builds.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/files.hpp"
#include "find_authorized.hpp"

namespace orsa::services {
namespace {

using store::BuildStatus;

constexpr std::size_t kMaxRefLength = 256;

}  // namespace

Builds::Builds(store::BuildStore& builds, store::ProjectStore& projects, source::SourceRepos& repos,
               const Clock& clock, BuildRunner& runner, Audit& audit,
               std::size_t max_pending_per_owner)
    : builds_(builds),
      projects_(projects),
      repos_(repos),
      clock_(clock),
      runner_(runner),
      audit_(audit),
      max_pending_per_owner_(max_pending_per_owner) {}

Result<store::Build> Builds::create(const auth::Principal& who, const ProjectRef& ref,
                                    std::string_view git_ref, const Caller& caller) {
  if (git_ref.size() > kMaxRefLength) return fail(Error::invalid_argument("ref is too long"));
  auto project = project_for(who, ref, auth::Action::kWrite);
  if (!project) return fail(project.error());
  auto sha = repos_.resolve({project->owner_username, project->name}, git_ref);
  if (!sha) return fail(sha.error());
  if (auto ok = check_pending(project->owner_id); !ok) return fail(ok.error());
  auto build = builds_.create({project->id, *sha});
  if (!build) return fail(build.error());
  runner_.enqueue(build->id);
  audit_.record(who.user_id, "build_create", "build:" + build->id, caller.ip,
                "project " + build->owner_username + "/" + build->project_name + " #" +
                    std::to_string(build->number) + " at " + build->commit_sha.substr(0, 12));
  spdlog::info("builds: queued {} ({}/{} #{} at {})", build->id, build->owner_username,
               build->project_name, build->number, build->commit_sha);
  return build;
}

Result<std::vector<store::Build>> Builds::list(const auth::Principal& who, const ProjectRef& ref,
                                               std::size_t limit) {
  auto project = project_for(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  return builds_.list(auth::Policy::scope(who), project->id, limit);
}

Result<store::Build> Builds::get(const auth::Principal& who, std::string_view id) {
  return visible(who, id, auth::Action::kRead);
}

Result<store::Build> Builds::cancel(const auth::Principal& who, std::string_view id,
                                    const Caller& caller) {
  auto build = visible(who, id, auth::Action::kWrite);
  if (!build) return fail(build.error());
  if (store::is_final(build->status)) {
    return fail(Error::conflict("build is already " +
                                std::string(store::build_status_name(build->status))));
  }
  audit_.record(who.user_id, "build_cancel", "build:" + build->id, caller.ip,
                "project " + build->owner_username + "/" + build->project_name + " #" +
                    std::to_string(build->number) + " was " +
                    std::string(store::build_status_name(build->status)));
  if (build->status == BuildStatus::kQueued) {
    auto canceled = builds_.update(build->id, {.status = BuildStatus::kCanceled,
                                               .from = BuildStatus::kQueued,
                                               .error = "canceled",
                                               .finished_at = clock_.now_unix()});
    if (canceled) {
      runner_.dequeue(build->id);
      return canceled;
    }
    if (canceled.error().code != ErrorCode::kConflict) return fail(canceled.error());
  }
  // Running (or it just started): the worker records the end.
  runner_.cancel_running(build->id);
  return builds_.find(auth::Policy::scope(who), id);
}

Result<std::string> Builds::log(const auth::Principal& who, std::string_view id) {
  auto build = visible(who, id, auth::Action::kRead);
  if (!build) return fail(build.error());
  const auto path = runner_.log_path(build->id);
  if (!std::filesystem::exists(path)) return std::string();
  return read_file(path);
}

Result<std::unique_ptr<LogFollower>> Builds::follow(const auth::Principal& who,
                                                    std::string_view id) {
  auto build = visible(who, id, auth::Action::kRead);
  if (!build) return fail(build.error());
  return runner_.follow(build->id);
}

Result<store::Build> Builds::visible(const auth::Principal& who, std::string_view id,
                                     auth::Action action) {
  return find_authorized(who, action,
                         [&](const OwnerScope& scope) { return builds_.find(scope, id); });
}

Result<store::Project> Builds::project_for(const auth::Principal& who, const ProjectRef& ref,
                                           auth::Action action) {
  return find_authorized(who, action, [&](const OwnerScope& scope) {
    return projects_.find(scope, ref.owner, ref.name);
  });
}

Result<void> Builds::check_pending(const std::string& owner_id) {
  std::size_t pending = 0;
  for (auto status : {BuildStatus::kQueued, BuildStatus::kRunning}) {
    auto builds = builds_.with_status(status);
    if (!builds) return fail(builds.error());
    for (const auto& b : *builds) pending += b.owner_id == owner_id ? 1 : 0;
  }
  if (pending >= max_pending_per_owner_) {
    return fail(Error::rate_limited(
        "at most " + std::to_string(max_pending_per_owner_) + " builds may be pending", 30));
  }
  return {};
}

}  // namespace orsa::services
