#pragma once

// The libgit2 implementation of SourceRepos: reads in git_repos.cpp, writes
// in git_repos_write.cpp.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "git_support.hpp"
#include "source/repos.hpp"

namespace orsa::source {

class GitRepos final : public SourceRepos {
 public:
  GitRepos(std::filesystem::path root, Limits limits) : root_(std::move(root)), limits_(limits) {}

  Result<CommitInfo> create(const RepoId& repo, const std::vector<File>& files,
                            const Author& author, std::string_view message) override;

  Result<void> remove(const RepoId& repo) override;

  Result<std::string> resolve(const RepoId& repo, std::string_view ref) override;

  Result<std::vector<FileEntry>> list_files(const RepoId& repo, std::string_view ref) override;

  Result<std::string> read_file(const RepoId& repo, std::string_view ref,
                                std::string_view path) override;

  Result<CommitInfo> commit(const RepoId& repo, const std::vector<FileChange>& changes,
                            const Author& author, std::string_view message,
                            std::optional<std::string_view> expected_head) override;

  Result<CommitInfo> replace_tree(const RepoId& repo, const std::vector<File>& files,
                                  const Author& author, std::string_view message,
                                  std::optional<std::string_view> expected_head) override;

  Result<Snapshot> snapshot(const RepoId& repo, std::string_view ref) override;

  Result<std::vector<CommitInfo>> history(const RepoId& repo, std::string_view ref,
                                          std::size_t limit) override;

  Result<CommitDiff> diff(const RepoId& repo, std::string_view ref) override;

  Result<std::int64_t> owner_disk_bytes(std::string_view owner) override;

 private:
  using BuildTree = std::function<Result<FileMap>(FileMap, std::string_view head_sha)>;

  // Owner and name are validated by callers too; checking again here keeps
  // the filesystem path under root_ whatever a caller passes.
  Result<std::filesystem::path> repo_path(const RepoId& repo) const;

  // One mutex per repository, never erased: the map grows with the number of
  // repositories written since start, which is small.
  std::shared_ptr<std::mutex> lock_for(const std::filesystem::path& path);

  Result<RepoPtr> open(const RepoId& repo) const;

  struct CommitFiles {
    RepoPtr repo;
    CommitPtr commit;
    FileMap files;
  };
  /// The repository, the commit at `ref` and its file map.
  Result<CommitFiles> files_at(const RepoId& repo, std::string_view ref);

  Result<CommitPtr> resolve_commit(git_repository* repo, std::string_view ref) const;

  Result<CommitInfo> first_commit(git_repository* repo, const FileMap& files,
                                  const git_signature* sig, const std::string& message);

  // The shared write path: checks everything, builds the new tree from the
  // head's files, commits on top of the head, and moves the branch only if it
  // still points at that head.
  Result<CommitInfo> write(const RepoId& repo, const Author& author, std::string_view message,
                           std::string_view fallback_message,
                           std::optional<std::string_view> expected_head, const BuildTree& build);

  static std::unexpected<Error> changed_since(std::string_view seen, std::string current) {
    return fail(Error::conflict("the project changed since " + short_sha(seen) + "; reload",
                                std::move(current)));
  }

  std::filesystem::path root_;
  Limits limits_;
  std::mutex locks_mutex_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

}  // namespace orsa::source
