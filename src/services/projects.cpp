#include "services/projects.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tuple>

#include "core/slug.hpp"
#include "find_authorized.hpp"
#include "services/examples.hpp"
#include "services/list_cursors.hpp"
#include "services/templates.hpp"

namespace orsa::services {
namespace {

constexpr std::size_t kMaxHistory = 1000;

source::RepoId repo_of(const store::Project& project) {
  return {project.owner_username, project.name};
}

std::string full_name(const store::Project& project) {
  return project.owner_username + "/" + project.name;
}

std::string message_or(std::string_view message, std::string_view fallback) {
  return std::string(message.empty() ? fallback : message);
}

/// "commit 1a2b3c4d5e6f, 3 files": what the audit keeps of a commit.
std::string commit_detail(std::string_view sha, std::size_t count, std::string_view noun) {
  return "commit " + std::string(sha.substr(0, 12)) + ", " + std::to_string(count) + " " +
         std::string(noun) + (count == 1 ? "" : "s");
}

// What a write adds at most before git compresses it.
std::int64_t bytes_of(const std::vector<source::File>& files) {
  std::int64_t total = 0;
  for (const auto& f : files) total += static_cast<std::int64_t>(f.content.size());
  return total;
}
std::int64_t bytes_of(const std::vector<source::FileChange>& changes) {
  std::int64_t total = 0;
  for (const auto& c : changes)
    total += c.content ? static_cast<std::int64_t>(c.content->size()) : 0;
  return total;
}

}  // namespace

Projects::Projects(store::ProjectStore& projects, store::UserStore& users,
                   source::SourceRepos& repos, Audit& audit, const Clock& clock,
                   std::size_t max_projects_per_user, std::int64_t repository_quota_bytes)
    : projects_(projects),
      users_(users),
      repos_(repos),
      audit_(audit),
      clock_(clock),
      max_projects_per_user_(max_projects_per_user),
      repository_quota_bytes_(repository_quota_bytes) {}

Result<void> Projects::check_quota(std::string_view owner, std::int64_t adding) {
  if (repository_quota_bytes_ <= 0) return {};
  auto used = repos_.owner_disk_bytes(owner);
  if (!used) return fail(used.error());
  if (*used + adding <= repository_quota_bytes_) return {};
  const auto mib = [](std::int64_t bytes) { return static_cast<double>(bytes) / (1024 * 1024); };
  return fail(Error::permission_denied(
      fmt::format("repository storage quota exceeded: '{}' uses {:.1f} MiB of {:.1f} MiB (history "
                  "included); delete a project to free space, or ask an admin",
                  owner, mib(*used), mib(repository_quota_bytes_))));
}

Result<store::Project> Projects::authorized(const auth::Principal& who, const ProjectRef& ref,
                                            auth::Action action) {
  return find_authorized(who, action, [&](const OwnerScope& scope) {
    return projects_.find(scope, ref.owner, ref.name);
  });
}

Result<void> Projects::check_access(const auth::Principal& who, const ProjectRef& ref,
                                    auth::Action action) {
  auto project = authorized(who, ref, action);
  if (!project) return fail(project.error());
  return {};
}

Result<source::Author> Projects::author_of(const auth::Principal& who) {
  auto user = users_.find_by_id(who.user_id);
  if (!user) return fail(user.error());
  return source::Author{user->username, user->email, clock_.now_unix()};
}

void Projects::touch(const store::Project& project) {
  if (auto ok = projects_.touch(project.id, clock_.now_unix()); !ok) {
    spdlog::warn("cannot update project {} timestamp: {}", project.id, ok.error().message);
  }
}

Result<ProjectView> Projects::create(const auth::Principal& who, std::string_view name,
                                     std::string_view template_name, const Caller& caller) {
  if (auto ok = auth::Policy::authorize_create(who); !ok) return fail(ok.error());
  if (auto ok = validate_slug(name, "project name"); !ok) return fail(ok.error());
  auto files = TemplateCatalog::starter_files(template_name);
  if (!files) return fail(files.error());
  return create_with(
      who, name,
      {std::move(*files), std::string(template_name), "template " + std::string(template_name)},
      caller);
}

Result<ProjectView> Projects::create_from_example(const auth::Principal& who, std::string_view name,
                                                  std::string_view example, const Caller& caller) {
  if (auto ok = auth::Policy::authorize_create(who); !ok) return fail(ok.error());
  if (auto ok = validate_slug(name, "project name"); !ok) return fail(ok.error());
  auto files = ExampleCatalog::files(example);
  if (!files) return fail(files.error());
  return create_with(
      who, name,
      {std::move(*files), std::string(kDefaultTemplate), "example " + std::string(example)},
      caller);
}

Result<ProjectView> Projects::create_with(const auth::Principal& who, std::string_view name,
                                          const Origin& origin, const Caller& caller) {
  auto own = projects_.list(OwnerScope::of(who.user_id));
  if (!own) return fail(own.error());
  if (own->size() >= max_projects_per_user_) {
    return fail(Error::conflict("project limit reached (" + std::to_string(max_projects_per_user_) +
                                " per user)"));
  }
  auto author = author_of(who);
  if (!author) return fail(author.error());
  if (auto ok = check_quota(who.username, bytes_of(origin.files)); !ok) return fail(ok.error());
  auto project = projects_.create(
      {.owner_id = who.user_id, .name = std::string(name), .template_name = origin.template_name});
  if (!project) return fail(project.error());

  const std::string message = "Create project from " + origin.description;
  auto head = repos_.create(repo_of(*project), origin.files, *author, message);
  if (!head && head.error().code == ErrorCode::kConflict) {
    // A repository without a row is debris of an interrupted delete: the
    // database is the source of truth, so replace it.
    spdlog::warn("replacing orphaned repository {}", full_name(*project));
    std::ignore = repos_.remove(repo_of(*project));  // create() below reports what matters
    head = repos_.create(repo_of(*project), origin.files, *author, message);
  }
  if (!head) {
    // Undo the row; if that fails too, the next create replaces the debris.
    std::ignore = projects_.remove(OwnerScope::of(who.user_id), project->id);
    return fail(head.error());
  }
  audit_.record(who.user_id, "project_create", "project:" + full_name(*project), caller.ip,
                origin.description);
  return ProjectView{std::move(*project), std::move(*head)};
}

Result<Page<store::Project>> Projects::list(const auth::Principal& who,
                                            const PageRequest& request) {
  auto limit = page_size(request);
  if (!limit) return fail(limit.error());
  std::optional<store::ProjectKey> after;
  if (request.cursor) {
    auto key = parse_project_cursor(*request.cursor);
    if (!key) return fail(key.error());
    after = std::move(*key);
  }
  auto rows = projects_.page(auth::Policy::scope(who), after, *limit + 1);
  if (!rows) return fail(rows.error());
  return page_of(std::move(*rows), *limit, project_cursor);
}

Result<ProjectView> Projects::get(const auth::Principal& who, const ProjectRef& ref) {
  auto project = authorized(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  auto head = repos_.history(repo_of(*project), "", 1);
  if (!head) return fail(head.error());
  ProjectView view{std::move(*project), std::nullopt};
  if (!head->empty()) view.head = std::move(head->front());
  return view;
}

Result<store::Project> Projects::set_egress(const auth::Principal& who, const ProjectRef& ref,
                                            bool allowed, const Caller& caller) {
  // Looked up in the caller's scope first: a non-admin learns nothing more
  // than from GET (another user's project stays 404).
  auto project = authorized(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  if (auto ok = auth::Policy::require_admin(who); !ok) return fail(ok.error());
  if (auto ok = projects_.set_egress(project->id, allowed); !ok) return fail(ok.error());
  audit_.record(who.user_id, allowed ? "project_egress_allowed" : "project_egress_denied",
                "project:" + full_name(*project), caller.ip);
  project->allow_egress = allowed;
  return project;
}

Result<void> Projects::remove(const auth::Principal& who, const ProjectRef& ref,
                              const Caller& caller) {
  auto project = authorized(who, ref, auth::Action::kWrite);
  if (!project) return fail(project.error());
  std::function<void()> after;
  if (removal_hook_) after = removal_hook_(*project);
  if (auto ok = projects_.remove(auth::Policy::scope(who), project->id); !ok) return ok;
  if (after) after();
  if (auto ok = repos_.remove(repo_of(*project)); !ok) {
    // The row is gone, so the project is gone for users; create() replaces
    // the leftover directory if the name is reused.
    spdlog::warn("cannot remove repository of {}: {}", full_name(*project), ok.error().message);
  }
  audit_.record(who.user_id, "project_delete", "project:" + full_name(*project), caller.ip);
  return {};
}

Result<Projects::Tree> Projects::files(const auth::Principal& who, const ProjectRef& ref,
                                       std::string_view at) {
  auto project = authorized(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  auto sha = repos_.resolve(repo_of(*project), at);
  if (!sha) return fail(sha.error());
  auto files = repos_.list_files(repo_of(*project), *sha);
  if (!files) return fail(files.error());
  return Tree{std::move(*sha), std::move(*files)};
}

Result<Projects::FileContent> Projects::read(const auth::Principal& who, const ProjectRef& ref,
                                             std::string_view at, std::string_view path) {
  auto project = authorized(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  auto sha = repos_.resolve(repo_of(*project), at);
  if (!sha) return fail(sha.error());
  auto bytes = repos_.read_file(repo_of(*project), *sha, path);
  if (!bytes) return fail(bytes.error());
  return FileContent{std::move(*sha), std::move(*bytes)};
}

Result<source::CommitInfo> Projects::commit(const auth::Principal& who, const ProjectRef& ref,
                                            const std::vector<source::FileChange>& changes,
                                            std::string_view message,
                                            std::optional<std::string_view> expected_head,
                                            const Caller& caller) {
  auto project = authorized(who, ref, auth::Action::kWrite);
  if (!project) return fail(project.error());
  auto author = author_of(who);
  if (!author) return fail(author.error());
  if (auto ok = check_quota(project->owner_username, bytes_of(changes)); !ok) {
    return fail(ok.error());
  }
  auto commit = repos_.commit(repo_of(*project), changes, *author,
                              message_or(message, "Update files"), expected_head);
  if (!commit) return commit;
  touch(*project);
  // The sha and a count, not the message or paths: bounded, and nothing a
  // user typed that might hold a secret.
  audit_.record(who.user_id, "project_commit", "project:" + full_name(*project), caller.ip,
                commit_detail(commit->sha, changes.size(), "file"));
  return commit;
}

Result<source::CommitInfo> Projects::upload_archive(const auth::Principal& who,
                                                    const ProjectRef& ref, std::string_view tar_gz,
                                                    std::string_view message,
                                                    std::optional<std::string_view> expected_head,
                                                    const Caller& caller) {
  auto project = authorized(who, ref, auth::Action::kWrite);
  if (!project) return fail(project.error());
  auto files = source::extract_tar_gz(tar_gz);
  if (!files) return fail(files.error());
  auto author = author_of(who);
  if (!author) return fail(author.error());
  if (auto ok = check_quota(project->owner_username, bytes_of(*files)); !ok) {
    return fail(ok.error());
  }
  auto commit = repos_.replace_tree(repo_of(*project), *files, *author,
                                    message_or(message, "Upload archive"), expected_head);
  if (!commit) return commit;
  touch(*project);
  audit_.record(who.user_id, "project_upload", "project:" + full_name(*project), caller.ip,
                commit_detail(commit->sha, files->size(), "archive file"));
  return commit;
}

Result<std::vector<source::CommitInfo>> Projects::history(const auth::Principal& who,
                                                          const ProjectRef& ref,
                                                          std::string_view at, std::size_t limit) {
  auto project = authorized(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  return repos_.history(repo_of(*project), at, std::min(limit, kMaxHistory));
}

Result<source::CommitDiff> Projects::diff(const auth::Principal& who, const ProjectRef& ref,
                                          std::string_view sha) {
  auto project = authorized(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  return repos_.diff(repo_of(*project), sha);
}

}  // namespace orsa::services
