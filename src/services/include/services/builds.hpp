#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.hpp"
#include "core/clock.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/log_follower.hpp"
#include "services/projects.hpp"
#include "source/repos.hpp"
#include "store/builds.hpp"
#include "store/projects.hpp"

namespace orsa::services {

/// The side of the build queue the service drives; workers::BuildQueue runs
/// the builders behind it.
class BuildRunner {
 public:
  virtual ~BuildRunner() = default;
  /// Runs the queued build `id` once a runner is free.
  virtual void enqueue(const std::string& id) = 0;
  /// Releases the followers of a build canceled while queued; its runner
  /// task finds the row canceled and ends without running it.
  virtual void dequeue(const std::string& id) = 0;
  /// Stops the builder of a running build; its runner records the end.
  virtual void cancel_running(const std::string& id) = 0;
  /// Follows the log of `id`: history, live lines, end.
  virtual std::unique_ptr<LogFollower> follow(const std::string& id) = 0;
  /// Where a build's log lives.
  virtual std::filesystem::path log_path(std::string_view id) const = 0;
};

/// Builds as the API sees them: queued per project commit, listed, read,
/// canceled, their logs read or followed. Lookups go through the
/// owner-scoped store and auth::Policy; the runner does the work.
class Builds {
 public:
  Builds(store::BuildStore& builds, store::ProjectStore& projects, source::SourceRepos& repos,
         const Clock& clock, BuildRunner& runner, Audit& audit,
         std::size_t max_pending_per_owner = 20);

  /// Queues a build of `git_ref` (default: head) of the project; audited.
  Result<store::Build> create(const auth::Principal& who, const ProjectRef& ref,
                              std::string_view git_ref, const Caller& caller = {});
  Result<std::vector<store::Build>> list(const auth::Principal& who, const ProjectRef& ref,
                                         std::size_t limit);
  Result<store::Build> get(const auth::Principal& who, std::string_view id);
  /// Cancels a queued or running build; a finished one is kConflict. Audited.
  Result<store::Build> cancel(const auth::Principal& who, std::string_view id,
                              const Caller& caller = {});
  /// The whole log so far.
  Result<std::string> log(const auth::Principal& who, std::string_view id);
  /// Follows the log: history, live lines, end.
  Result<std::unique_ptr<LogFollower>> follow(const auth::Principal& who, std::string_view id);

 private:
  Result<store::Build> visible(const auth::Principal& who, std::string_view id,
                               auth::Action action);
  Result<store::Project> project_for(const auth::Principal& who, const ProjectRef& ref,
                                     auth::Action action);
  /// Queued + running builds one user may have.
  Result<void> check_pending(const std::string& owner_id);

  store::BuildStore& builds_;
  store::ProjectStore& projects_;
  source::SourceRepos& repos_;
  const Clock& clock_;
  BuildRunner& runner_;
  Audit& audit_;
  std::size_t max_pending_per_owner_;
};

}  // namespace orsa::services
