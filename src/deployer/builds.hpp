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

#include "accounts.hpp"
#include "auth/policy.hpp"
#include "core/clock.hpp"
#include "projects.hpp"
#include "source/repos.hpp"
#include "store/store.hpp"

namespace orsa::deployer {

/// How the build queue runs builders.
struct BuildQueueOptions {
  std::filesystem::path data_dir;      // builds/ lives here
  std::filesystem::path builder_bin;   // orsa-builder
  std::filesystem::path template_dir;  // the rendered service template (python-flask)
  std::string base_image = "orsa/base-python-or:latest";
  std::size_t max_concurrent = 2;
  std::chrono::seconds timeout{600};
  std::size_t max_pending_per_owner = 20;  // queued + running builds one user may have
  std::size_t max_log_bytes = 8 * 1024 * 1024;
};

/// A build's log as a follower sees it: lines so far, then more until the end.
class LogFollower {
 public:
  virtual ~LogFollower() = default;
  /// Waits up to `wait` for news; returns the complete lines that arrived
  /// since the last call (history first). Sets `ended` once the build is
  /// final and every line was returned. Returns early when woken.
  virtual std::vector<std::string> next(std::chrono::milliseconds wait, bool& ended) = 0;
  /// Makes a blocked next() return (the client went away).
  virtual void wake() = 0;
};

/// The build queue: builds are queued per project commit and run by a
/// bounded pool of orsa-builder processes; output goes to
/// builds/<id>.log and to live followers; a successful build records its
/// image. Lookups go through the owner-scoped store and auth::Policy.
class Builds {
 public:
  Builds(store::Store& store, source::SourceRepos& repos, Accounts& accounts, const Clock& clock,
         BuildQueueOptions options);
  ~Builds();
  Builds(const Builds&) = delete;
  Builds& operator=(const Builds&) = delete;

  /// Fails builds left running by a previous process ("interrupted"),
  /// queues the queued ones and starts the pool; builders push to `registry_url`.
  Result<void> start(std::string registry_url);
  /// Kills running builders (their builds fail "interrupted") and joins the pool.
  void stop();

  /// Queues a build of `git_ref` (default: head) of the project.
  Result<store::Build> create(const auth::Principal& who, const ProjectRef& ref,
                              std::string_view git_ref);
  Result<std::vector<store::Build>> list(const auth::Principal& who, const ProjectRef& ref,
                                         std::size_t limit);
  Result<store::Build> get(const auth::Principal& who, std::string_view id);
  /// Cancels a queued or running build; a finished one is kConflict.
  Result<store::Build> cancel(const auth::Principal& who, std::string_view id);
  /// The whole log so far.
  Result<std::string> log(const auth::Principal& who, std::string_view id);
  /// Follows the log: history, live lines, end.
  Result<std::unique_ptr<LogFollower>> follow(const auth::Principal& who, std::string_view id);

  /// Where a build's log lives.
  std::filesystem::path log_path(std::string_view id) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Images that builds produced; deleting one also removes its registry tag.
class Images {
 public:
  /// `remove_tag(repository, tag, digest)` unlinks the image in the registry.
  using TagRemover = std::function<Result<void>(const store::Image& image)>;
  Images(store::Store& store, TagRemover remove_tag)
      : store_(store), remove_tag_(std::move(remove_tag)) {}

  /// Own images (admins: all); only the project's when `ref` is given.
  Result<std::vector<store::Image>> list(const auth::Principal& who,
                                         const std::optional<ProjectRef>& ref);
  Result<store::Image> get(const auth::Principal& who, std::string_view id);
  Result<void> remove(const auth::Principal& who, std::string_view id);
  /// Deletes an image (registry tag, then row) with no caller to check
  /// (internal: the collector, which decides what may go).
  Result<void> remove_unchecked(const store::Image& image);

 private:
  store::Store& store_;
  TagRemover remove_tag_;
};

}  // namespace orsa::deployer
