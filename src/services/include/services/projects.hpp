#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.hpp"
#include "core/clock.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/page.hpp"
#include "source/repos.hpp"
#include "store/projects.hpp"
#include "store/users.hpp"

namespace orsa::services {

/// A project as the API shows it: its row plus the head commit.
struct ProjectView {
  store::Project project;
  std::optional<source::CommitInfo> head;
};

/// Names a project in a request: /projects/{owner}/{name}.
struct ProjectRef {
  std::string owner;
  std::string name;
};

/// How many projects one user may own.
inline constexpr std::size_t kDefaultMaxProjectsPerUser = 1000;

/// The template projects are built with unless they name another.
inline constexpr std::string_view kDefaultTemplate = "python-flask";

/// Projects and their git repositories. Every method looks the project up
/// through the owner-scoped store (another user's project is "not found"),
/// asks auth::Policy for the action, then touches git.
class Projects {
 public:
  /// `repository_quota_bytes`: what one owner's repositories may hold on
  /// disk, history included (0: no quota).
  Projects(store::ProjectStore& projects, store::UserStore& users, source::SourceRepos& repos,
           Audit& audit, const Clock& clock,
           std::size_t max_projects_per_user = kDefaultMaxProjectsPerUser,
           std::int64_t repository_quota_bytes = 0);

  /// A new project holding a template's starter files.
  Result<ProjectView> create(const auth::Principal& who, std::string_view name,
                             std::string_view template_name, const Caller& caller);
  /// A new project holding an example's files (ExampleCatalog), built with
  /// the default template; kInvalidArgument listing the examples for an
  /// unknown name.
  Result<ProjectView> create_from_example(const auth::Principal& who, std::string_view name,
                                          std::string_view example, const Caller& caller);
  /// Own projects (admins: everyone's) by owner, then name, a page at a time.
  Result<Page<store::Project>> list(const auth::Principal& who, const PageRequest& request);
  Result<ProjectView> get(const auth::Principal& who, const ProjectRef& ref);
  Result<void> remove(const auth::Principal& who, const ProjectRef& ref, const Caller& caller);
  /// Work that goes with a project's removal: called with the project just
  /// before its row goes (its runs still readable); what it returns runs
  /// once the row is gone (e.g. releasing those runs' data).
  using RemovalHook = std::function<std::function<void()>(const store::Project&)>;
  /// Set once while wiring, before serving.
  void set_removal_hook(RemovalHook hook) { removal_hook_ = std::move(hook); }
  /// Admins only: whether the project's deployed services may reach the
  /// outside. Takes effect at its next rollout (deploy or restart).
  Result<store::Project> set_egress(const auth::Principal& who, const ProjectRef& ref, bool allowed,
                                    const Caller& caller);

  struct Tree {
    std::string commit;
    std::vector<source::FileEntry> files;
  };
  Result<Tree> files(const auth::Principal& who, const ProjectRef& ref, std::string_view at);
  struct FileContent {
    std::string commit;
    std::string bytes;
  };
  Result<FileContent> read(const auth::Principal& who, const ProjectRef& ref, std::string_view at,
                           std::string_view path);
  /// Commits file changes (a file save is a one-change commit); audited.
  Result<source::CommitInfo> commit(const auth::Principal& who, const ProjectRef& ref,
                                    const std::vector<source::FileChange>& changes,
                                    std::string_view message,
                                    std::optional<std::string_view> expected_head,
                                    const Caller& caller = {});
  /// Replaces the whole tree with a .tar.gz's files as one commit; audited.
  Result<source::CommitInfo> upload_archive(const auth::Principal& who, const ProjectRef& ref,
                                            std::string_view tar_gz, std::string_view message,
                                            std::optional<std::string_view> expected_head,
                                            const Caller& caller = {});
  Result<std::vector<source::CommitInfo>> history(const auth::Principal& who, const ProjectRef& ref,
                                                  std::string_view at, std::size_t limit);
  /// The changes of the commit `sha` against its first parent.
  Result<source::CommitDiff> diff(const auth::Principal& who, const ProjectRef& ref,
                                  std::string_view sha);

  /// Whether `who` may perform `action` on the project (404 when they cannot
  /// see it); lets a write be refused before its body is read.
  Result<void> check_access(const auth::Principal& who, const ProjectRef& ref, auth::Action action);

  /// Bytes the owner's repositories hold on disk (for usage reports).
  Result<std::int64_t> repository_bytes(std::string_view owner) {
    return repos_.owner_disk_bytes(owner);
  }
  /// The per-owner repository quota; 0: none.
  std::int64_t repository_quota_bytes() const { return repository_quota_bytes_; }

 private:
  /// The project if `who` may perform `action` on it.
  Result<store::Project> authorized(const auth::Principal& who, const ProjectRef& ref,
                                    auth::Action action);
  Result<source::Author> author_of(const auth::Principal& who);
  /// What a new project starts from: its files, and how commit and audit name it.
  struct Origin {
    std::vector<source::File> files;
    std::string template_name;
    std::string description;  // "template python-flask", "example blend"
  };
  Result<ProjectView> create_with(const auth::Principal& who, std::string_view name,
                                  const Origin& origin, const Caller& caller);
  void touch(const store::Project& project);
  /// Refuses a write of about `adding` bytes past the owner's quota.
  Result<void> check_quota(std::string_view owner, std::int64_t adding);

  store::ProjectStore& projects_;
  store::UserStore& users_;  // commit authors, project owners
  source::SourceRepos& repos_;
  Audit& audit_;
  const Clock& clock_;
  std::size_t max_projects_per_user_;
  std::int64_t repository_quota_bytes_;
  RemovalHook removal_hook_;
};

}  // namespace orsa::services
