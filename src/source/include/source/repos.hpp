#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "source/limits.hpp"

namespace orsa::source {

/// Who a commit is by; time in unix seconds (UTC).
struct Author {
  std::string name;
  std::string email;
  std::int64_t time = 0;
};

struct FileEntry {
  std::string path;  // repository-relative, '/'-separated
  std::int64_t size = 0;
};

struct File {
  std::string path;
  std::string content;
};

/// One change in an atomic commit: content to write, or nullopt to delete.
struct FileChange {
  std::string path;
  std::optional<std::string> content;
};

struct CommitInfo {
  std::string sha;
  std::string author_name;
  std::string author_email;
  std::string message;
  std::int64_t time = 0;
  std::vector<std::string> parents;
};

/// Every file of a commit, for handing a project to a build.
struct Snapshot {
  CommitInfo commit;
  std::vector<File> files;  // sorted by path
};

/// How a file changed in a commit.
enum class DiffStatus { kAdded, kModified, kDeleted, kRenamed };

/// One file of a commit's diff against its first parent.
struct FileDiff {
  std::string path;                     // the new path (the old one when deleted)
  std::optional<std::string> old_path;  // only for renames
  DiffStatus status = DiffStatus::kModified;
  std::optional<std::string> patch;  // unified diff; absent for binary files or past the limits
  bool binary = false;
  std::size_t additions = 0;
  std::size_t deletions = 0;
};

/// A commit and what it changed; `truncated` when files or patch text were
/// left out to stay within Limits::max_diff_files / max_diff_patch_bytes.
struct CommitDiff {
  CommitInfo commit;
  std::vector<FileDiff> files;  // in git's diff order (by path)
  bool truncated = false;
};

/// Identifies a project repository.
struct RepoId {
  std::string owner;  // username slug
  std::string name;   // project slug
};

/// The SourceRepos port: one git repository per project, one branch (main).
/// Every write is one commit authored by the user. Writes may carry the head
/// the caller last saw; if the branch moved since, they fail with kConflict
/// and Error::detail = the current head sha. Nothing is written on failure.
// Further rules of the git implementation: expected heads must be full
// 40-hex shas (else kInvalidArgument); a write that leaves the tree as it is
// fails with kInvalidArgument ("no changes") to keep history clean; a path
// cannot be both a file and a directory; commit messages are trimmed, at most
// 4 KiB, and a default is used when empty; an edited file keeps its
// executable bit. Refs other than those resolve() accepts are kInvalidArgument.
class SourceRepos {
 public:
  virtual ~SourceRepos() = default;

  /// Creates the repository with a first commit of `files`.
  virtual Result<CommitInfo> create(const RepoId& repo, const std::vector<File>& files,
                                    const Author& author, std::string_view message) = 0;
  /// Deletes the repository from disk.
  virtual Result<void> remove(const RepoId& repo) = 0;

  /// Resolves "" / "HEAD" / "main" / a full or abbreviated sha to a commit sha.
  virtual Result<std::string> resolve(const RepoId& repo, std::string_view ref) = 0;
  /// Every file (blobs only, recursively, sorted by path) at `ref`.
  virtual Result<std::vector<FileEntry>> list_files(const RepoId& repo, std::string_view ref) = 0;
  /// One file's bytes at `ref`; kNotFound if absent.
  virtual Result<std::string> read_file(const RepoId& repo, std::string_view ref,
                                        std::string_view path) = 0;

  /// Applies `changes` atomically on top of the head as one commit.
  /// Deleting an absent file is kNotFound; an empty change list is invalid.
  virtual Result<CommitInfo> commit(const RepoId& repo, const std::vector<FileChange>& changes,
                                    const Author& author, std::string_view message,
                                    std::optional<std::string_view> expected_head) = 0;
  /// Replaces the whole tree with `files` as one commit (archive upload).
  virtual Result<CommitInfo> replace_tree(const RepoId& repo, const std::vector<File>& files,
                                          const Author& author, std::string_view message,
                                          std::optional<std::string_view> expected_head) = 0;

  /// The commit at `ref` with every file's content.
  virtual Result<Snapshot> snapshot(const RepoId& repo, std::string_view ref) = 0;

  /// Commits reachable from `ref`, newest first, at most `limit` (clamped to 1..1000).
  virtual Result<std::vector<CommitInfo>> history(const RepoId& repo, std::string_view ref,
                                                  std::size_t limit) = 0;

  /// The commit at `ref` diffed against its first parent (the empty tree for a root commit).
  virtual Result<CommitDiff> diff(const RepoId& repo, std::string_view ref) = 0;

  /// Bytes on disk of every repository of `owner`, history included (what
  /// the owner's storage quota counts); 0 for an owner with none.
  virtual Result<std::int64_t> owner_disk_bytes(std::string_view owner) = 0;
};

/// Bare libgit2 repositories under `root/<owner>/<name>.git`. Writes to one
/// repository are serialised in-process and guarded by a compare-and-swap on
/// the branch ref, so concurrent writers never lose a commit.
std::unique_ptr<SourceRepos> make_git_repos(std::filesystem::path root, Limits limits = {});

/// Unpacks a .tar.gz upload into files, validating every path with
/// validate_path. Rejects symlinks, hard links, devices and other non-regular
/// entries, files over the file limit, and totals over the repo limit (checked
/// while streaming, so a zip bomb stops early). Directories are implied.
Result<std::vector<File>> extract_tar_gz(std::string_view archive, const Limits& limits = {});

/// Packs files into a .tar.gz that extract_tar_gz accepts: regular files
/// (mode 0644), sorted by path, every mtime `mtime`, no owner names; the
/// gzip stream is stored, not deflated (it feeds a builder on this host).
Result<std::string> pack_tar_gz(const std::vector<File>& files, std::int64_t mtime);

}  // namespace orsa::source
