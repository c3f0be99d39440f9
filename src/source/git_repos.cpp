#include "git_repos.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "core/slug.hpp"
#include "core/strings.hpp"
#include "internal.hpp"

namespace orsa::source {
namespace {

void init_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // A crash must not leave the branch pointing at objects still in the page cache.
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
  });
}

}  // namespace

std::unique_ptr<SourceRepos> make_git_repos(std::filesystem::path root, Limits limits) {
  init_libgit2();
  return std::make_unique<GitRepos>(std::move(root), limits);
}

Result<std::string> GitRepos::resolve(const RepoId& repo, std::string_view ref) {
  auto git_repo = open(repo);
  if (!git_repo) return fail(git_repo.error());
  auto commit = resolve_commit(git_repo->get(), ref);
  if (!commit) return fail(commit.error());
  return to_hex(*git_commit_id(commit->get()));
}

Result<std::vector<FileEntry>> GitRepos::list_files(const RepoId& repo, std::string_view ref) {
  auto at = files_at(repo, ref);
  if (!at) return fail(at.error());
  std::vector<FileEntry> out;
  out.reserve(at->files.size());
  for (const auto& [path, file] : at->files) {
    out.push_back({path, static_cast<std::int64_t>(file.size)});
  }
  return out;
}

Result<std::string> GitRepos::read_file(const RepoId& repo, std::string_view ref,
                                        std::string_view path) {
  auto normal = validate_path(path, limits_);
  if (!normal) return fail(normal.error());
  auto git_repo = open(repo);
  if (!git_repo) return fail(git_repo.error());
  auto commit = resolve_commit(git_repo->get(), ref);
  if (!commit) return fail(commit.error());
  auto tree = commit_tree(commit->get());
  if (!tree) return fail(tree.error());
  const auto not_found = [&] {
    return fail(Error::not_found("file " + internal::quote(*normal) + " not found at " +
                                 short_sha(to_hex(*git_commit_id(commit->get())))));
  };
  git_tree_entry* raw_entry = nullptr;
  const int rc = git_tree_entry_bypath(&raw_entry, tree->get(), normal->c_str());
  if (rc == GIT_ENOTFOUND) return not_found();
  if (rc < 0) return fail(git_failure("tree lookup"));
  TreeEntryPtr entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return not_found();
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, git_repo->get(), git_tree_entry_id(entry.get())) < 0) {
    return fail(git_failure("blob lookup"));
  }
  BlobPtr blob(raw_blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

Result<Snapshot> GitRepos::snapshot(const RepoId& repo, std::string_view ref) {
  auto at = files_at(repo, ref);
  if (!at) return fail(at.error());
  Snapshot out{commit_info(at->commit.get()), {}};
  out.files.reserve(at->files.size());
  for (const auto& [path, file] : at->files) {
    git_blob* raw_blob = nullptr;
    if (git_blob_lookup(&raw_blob, at->repo.get(), &file.id) < 0) {
      return fail(git_failure("blob lookup"));
    }
    BlobPtr blob(raw_blob);
    const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
    out.files.push_back({path, std::string(data, git_blob_rawsize(blob.get()))});
  }
  return out;
}

Result<std::vector<CommitInfo>> GitRepos::history(const RepoId& repo, std::string_view ref,
                                                  std::size_t limit) {
  auto git_repo = open(repo);
  if (!git_repo) return fail(git_repo.error());
  auto start = resolve_commit(git_repo->get(), ref);
  if (!start) return fail(start.error());
  git_revwalk* raw_walk = nullptr;
  if (git_revwalk_new(&raw_walk, git_repo->get()) < 0) return fail(git_failure("revwalk"));
  RevwalkPtr walk(raw_walk);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push(walk.get(), git_commit_id(start->get())) < 0) {
    return fail(git_failure("revwalk"));
  }
  std::vector<CommitInfo> out;
  const auto max = std::clamp<std::size_t>(limit, 1, kMaxHistory);
  git_oid id;
  while (out.size() < max) {
    const int rc = git_revwalk_next(&id, walk.get());
    if (rc == GIT_ITEROVER) break;
    if (rc < 0) return fail(git_failure("revwalk"));
    auto commit = lookup_commit(git_repo->get(), id);
    if (!commit) return fail(commit.error());
    out.push_back(commit_info(commit->get()));
  }
  return out;
}

Result<CommitDiff> GitRepos::diff(const RepoId& repo, std::string_view ref) {
  auto git_repo = open(repo);
  if (!git_repo) return fail(git_repo.error());
  auto commit = resolve_commit(git_repo->get(), ref);
  if (!commit) return fail(commit.error());
  auto tree = commit_tree(commit->get());
  if (!tree) return fail(tree.error());
  auto old_tree = parent_tree(commit->get());
  if (!old_tree) return fail(old_tree.error());
  auto diff = diff_trees(git_repo->get(), old_tree->get(), tree->get());
  if (!diff) return fail(diff.error());
  CommitDiff out{commit_info(commit->get()), {}, false};
  if (auto ok = collect_files(diff->get(), limits_, out); !ok) return fail(ok.error());
  return out;
}

// Owner and name are validated by callers too; checking again here keeps
// the filesystem path under root_ whatever a caller passes.
Result<std::filesystem::path> GitRepos::repo_path(const RepoId& repo) const {
  if (auto ok = validate_slug(repo.owner, "owner"); !ok) return fail(ok.error());
  if (auto ok = validate_slug(repo.name, "project name"); !ok) return fail(ok.error());
  return root_ / repo.owner / (repo.name + ".git");
}

Result<std::int64_t> GitRepos::owner_disk_bytes(std::string_view owner) {
  if (auto ok = validate_slug(owner, "owner"); !ok) return fail(ok.error());
  const std::filesystem::path dir = root_ / std::string(owner);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::int64_t{0};
  std::int64_t total = 0;
  // Links are not followed: a repository holds none, and what is there is
  // counted once.
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec) && !it->is_symlink(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<std::int64_t>(size);
    }
  }
  if (ec) {
    spdlog::error("measuring {} failed: {}", dir.string(), ec.message());
    return fail(Error::internal("measuring the repositories of " + std::string(owner) + " failed"));
  }
  return total;
}

// One mutex per repository, never erased: the map grows with the number of
// repositories written since start, which is small.
std::shared_ptr<std::mutex> GitRepos::lock_for(const std::filesystem::path& path) {
  std::lock_guard lock(locks_mutex_);
  auto& slot = locks_[path.string()];
  if (!slot) slot = std::make_shared<std::mutex>();
  return slot;
}

Result<RepoPtr> GitRepos::open(const RepoId& repo) const {
  auto path = repo_path(repo);
  if (!path) return fail(path.error());
  std::error_code ec;
  if (!std::filesystem::is_directory(*path, ec)) {
    return fail(Error::not_found("repository " + repo_name(repo) + " not found"));
  }
  git_repository* raw = nullptr;
  const int rc = git_repository_open_bare(&raw, path->c_str());
  if (rc == GIT_ENOTFOUND)
    return fail(Error::not_found("repository " + repo_name(repo) + " not found"));
  if (rc < 0) return fail(git_failure("open"));
  return RepoPtr(raw);
}

/// The repository, the commit at `ref` and its file map.
Result<GitRepos::CommitFiles> GitRepos::files_at(const RepoId& repo, std::string_view ref) {
  auto git_repo = open(repo);
  if (!git_repo) return fail(git_repo.error());
  auto commit = resolve_commit(git_repo->get(), ref);
  if (!commit) return fail(commit.error());
  auto tree = commit_tree(commit->get());
  if (!tree) return fail(tree.error());
  auto files = load_files(git_repo->get(), tree->get());
  if (!files) return fail(files.error());
  return CommitFiles{std::move(*git_repo), std::move(*commit), std::move(*files)};
}

Result<CommitPtr> GitRepos::resolve_commit(git_repository* repo, std::string_view ref) const {
  if (ref.empty() || ref == "HEAD" || ref == "main") {
    auto head = read_head(repo);
    if (!head) return fail(head.error());
    return lookup_commit(repo, *head);
  }
  if (ref.size() < GIT_OID_MINPREFIXLEN || ref.size() > GIT_OID_HEXSZ || !is_hex(ref)) {
    return fail(Error::invalid_argument("unsupported ref " + internal::quote(ref) +
                                        ": use 'main' or a commit sha (4-40 hex digits)"));
  }
  git_oid prefix;
  if (git_oid_fromstrn(&prefix, ref.data(), ref.size()) < 0) return fail(git_failure("parse sha"));
  git_commit* commit = nullptr;
  const int rc = git_commit_lookup_prefix(&commit, repo, &prefix, ref.size());
  if (rc == GIT_EAMBIGUOUS) {
    return fail(
        Error::invalid_argument("ref " + internal::quote(ref) + " is ambiguous; use more digits"));
  }
  if (rc < 0) return fail(Error::not_found("commit " + internal::quote(ref) + " not found"));
  return CommitPtr(commit);
}

}  // namespace orsa::source
