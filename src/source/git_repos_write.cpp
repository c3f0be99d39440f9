#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "core/strings.hpp"
#include "git_repos.hpp"
#include "internal.hpp"

namespace orsa::source {

Result<CommitInfo> GitRepos::create(const RepoId& repo, const std::vector<File>& files,
                                    const Author& author, std::string_view message) {
  auto path = repo_path(repo);
  if (!path) return fail(path.error());
  auto text = clean_message(message, "Create project");
  if (!text) return fail(text.error());
  auto sig = make_signature(author);
  if (!sig) return fail(sig.error());
  auto tree_files = files_from_list(files, limits_);
  if (!tree_files) return fail(tree_files.error());
  if (auto ok = check_tree(*tree_files, limits_); !ok) return fail(ok.error());

  std::lock_guard lock(*lock_for(*path));
  std::error_code ec;
  const bool exists = std::filesystem::exists(*path, ec);
  if (ec) return fail(Error::internal("checking repository " + repo_name(repo) + " failed"));
  if (exists) return fail(Error::conflict("repository " + repo_name(repo) + " exists"));
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags =
      GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  opts.initial_head = "main";
  git_repository* raw_repo = nullptr;
  const int rc = git_repository_init_ext(&raw_repo, path->c_str(), &opts);
  if (rc == GIT_EEXISTS) return fail(Error::conflict("repository " + repo_name(repo) + " exists"));
  if (rc < 0) return fail(git_failure("init"));
  RepoPtr git_repo(raw_repo);
  auto info = first_commit(git_repo.get(), *tree_files, sig->get(), *text);
  if (!info) {
    git_repo.reset();
    std::filesystem::remove_all(*path, ec);  // leave no half-made repository behind
  }
  return info;
}

Result<void> GitRepos::remove(const RepoId& repo) {
  auto path = repo_path(repo);
  if (!path) return fail(path.error());
  std::lock_guard lock(*lock_for(*path));
  std::error_code ec;
  if (!std::filesystem::exists(*path, ec)) {
    return fail(Error::not_found("repository " + repo_name(repo) + " not found"));
  }
  std::filesystem::remove_all(*path, ec);
  if (ec) {
    spdlog::error("removing {} failed: {}", path->string(), ec.message());
    return fail(Error::internal("removing repository " + repo_name(repo) + " failed"));
  }
  return {};
}

Result<CommitInfo> GitRepos::commit(const RepoId& repo, const std::vector<FileChange>& changes,
                                    const Author& author, std::string_view message,
                                    std::optional<std::string_view> expected_head) {
  if (changes.empty()) return fail(Error::invalid_argument("a commit needs at least one change"));
  const auto apply = [&](FileMap files, std::string_view head) -> Result<FileMap> {
    std::set<std::string> seen;
    for (const auto& change : changes) {
      auto path = validate_path(change.path, limits_);
      if (!path) return fail(path.error());
      if (!seen.insert(*path).second) {
        return fail(
            Error::invalid_argument("path " + internal::quote(*path) + " appears more than once"));
      }
      if (change.content) {
        if (auto ok = put_file(files, *path, *change.content, limits_); !ok)
          return fail(ok.error());
      } else if (files.erase(*path) == 0) {
        return fail(Error::not_found("file " + internal::quote(*path) + " not found at " +
                                     short_sha(head)));
      }
    }
    return files;
  };
  return write(repo, author, message, "Update files", expected_head, apply);
}

Result<CommitInfo> GitRepos::replace_tree(const RepoId& repo, const std::vector<File>& files,
                                          const Author& author, std::string_view message,
                                          std::optional<std::string_view> expected_head) {
  const auto replace = [&](const FileMap&, std::string_view) {
    return files_from_list(files, limits_);
  };
  return write(repo, author, message, "Replace files", expected_head, replace);
}

Result<CommitInfo> GitRepos::first_commit(git_repository* repo, const FileMap& files,
                                          const git_signature* sig, const std::string& message) {
  auto tree_id = write_tree(repo, files);
  if (!tree_id) return fail(tree_id.error());
  auto id = create_commit(repo, *tree_id, sig, message, nullptr);
  if (!id) return fail(id.error());
  git_reference* raw_ref = nullptr;
  if (git_reference_create(&raw_ref, repo, kBranchRef, &*id, 0, "create") < 0) {
    return fail(git_failure("create branch"));
  }
  ReferencePtr ref(raw_ref);
  auto commit = lookup_commit(repo, *id);
  if (!commit) return fail(commit.error());
  return commit_info(commit->get());
}

// The shared write path: checks everything, builds the new tree from the
// head's files, commits on top of the head, and moves the branch only if it
// still points at that head.
Result<CommitInfo> GitRepos::write(const RepoId& repo, const Author& author,
                                   std::string_view message, std::string_view fallback_message,
                                   std::optional<std::string_view> expected_head,
                                   const BuildTree& build) {
  auto path = repo_path(repo);
  if (!path) return fail(path.error());
  auto text = clean_message(message, fallback_message);
  if (!text) return fail(text.error());
  auto sig = make_signature(author);
  if (!sig) return fail(sig.error());
  auto expected = parse_expected_head(expected_head);
  if (!expected) return fail(expected.error());

  std::lock_guard lock(*lock_for(*path));
  auto git_repo = open(repo);
  if (!git_repo) return fail(git_repo.error());
  git_repository* r = git_repo->get();
  auto head_id = read_head(r);
  if (!head_id) return fail(head_id.error());
  const auto head_sha = to_hex(*head_id);
  if (const auto& wanted = *expected; wanted && *wanted != head_sha) {
    return changed_since(*wanted, head_sha);
  }

  auto head = lookup_commit(r, *head_id);
  if (!head) return fail(head.error());
  auto head_tree = commit_tree(head->get());
  if (!head_tree) return fail(head_tree.error());
  auto head_files = load_files(r, head_tree->get());
  if (!head_files) return fail(head_files.error());
  auto files = build(std::move(*head_files), head_sha);
  if (!files) return fail(files.error());
  if (auto ok = check_tree(*files, limits_); !ok) return fail(ok.error());

  auto tree_id = write_tree(r, *files);
  if (!tree_id) return fail(tree_id.error());
  // An empty commit would only clutter the history.
  if (git_oid_equal(&*tree_id, git_tree_id(head_tree->get()))) {
    return fail(
        Error::invalid_argument("no changes: the files are identical to " + short_sha(head_sha)));
  }
  auto id = create_commit(r, *tree_id, sig->get(), *text, head->get());
  if (!id) return fail(id.error());
  git_reference* raw_ref = nullptr;
  const int rc =
      git_reference_create_matching(&raw_ref, r, kBranchRef, &*id, 1, &*head_id, "commit");
  if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED) {
    // Another process moved the branch (or is moving it) since we read it.
    auto now = read_head(r);
    return changed_since(head_sha, now ? to_hex(*now) : head_sha);
  }
  if (rc < 0) return fail(git_failure("update branch"));
  ReferencePtr ref(raw_ref);
  auto commit = lookup_commit(r, *id);
  if (!commit) return fail(commit.error());
  return commit_info(commit->get());
}

}  // namespace orsa::source
