#pragma once

// libgit2 handles and the tree, commit and diff helpers GitRepos builds on
// (git_objects.cpp, git_diff.cpp).

#include <git2.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "source/repos.hpp"

namespace orsa::source {

inline constexpr const char* kBranchRef = "refs/heads/main";
inline constexpr std::size_t kMaxMessageBytes = 4096;
inline constexpr std::size_t kMaxHistory = 1000;
inline constexpr std::size_t kShortSha = 7;

template <class T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;
using PatchPtr = GitPtr<git_patch, git_patch_free>;

// A file of a tree being built: either stored already or still to be written.
struct TreeFile {
  git_oid id{};
  git_filemode_t mode = GIT_FILEMODE_BLOB;
  std::size_t size = 0;
  const std::string* content = nullptr;  // bytes to write as a blob; null if stored
};
using FileMap = std::map<std::string, TreeFile>;

// libgit2's messages may carry server paths, so they go to the log and the
// caller gets only the name of the operation.
Error git_failure(std::string_view operation);

std::string to_hex(const git_oid& id);

std::string short_sha(std::string_view sha);

bool is_hex(std::string_view s);

std::string repo_name(const RepoId& repo);

Result<std::string> clean_message(std::string_view message, std::string_view fallback);

Result<void> check_identity_field(std::string_view value, std::string_view what);

Result<SignaturePtr> make_signature(const Author& author);

// Accepts only a full sha so that a stale abbreviated head can never match.
Result<std::optional<std::string>> parse_expected_head(std::optional<std::string_view> head);

Result<void> put_file(FileMap& files, const std::string& path, const std::string& content,
                      const Limits& limits);

Result<FileMap> files_from_list(const std::vector<File>& list, const Limits& limits);

// Totals and shape of the tree about to be written: a path cannot be both a
// file and a directory (the index would silently drop one of them).
Result<void> check_tree(const FileMap& files, const Limits& limits);

Result<FileMap> load_files(git_repository* repo, const git_tree* tree);

Result<git_oid> write_tree(git_repository* repo, const FileMap& files);

CommitInfo commit_info(const git_commit* commit);

Result<CommitPtr> lookup_commit(git_repository* repo, const git_oid& id);

Result<TreePtr> commit_tree(const git_commit* commit);

Result<git_oid> read_head(git_repository* repo);

Result<git_oid> create_commit(git_repository* repo, const git_oid& tree_id,
                              const git_signature* sig, const std::string& message,
                              const git_commit* parent);

// The first parent's tree, or null for a root commit (diffs against the empty tree).
Result<TreePtr> parent_tree(const git_commit* commit);

Result<DiffPtr> diff_trees(git_repository* repo, git_tree* old_tree, git_tree* new_tree);

DiffStatus diff_status(git_delta_t status);

Result<std::string> patch_text(git_patch* patch);

// One file of a diff with its line counts, and its patch text when `with_text`.
Result<FileDiff> file_diff(git_diff* diff, std::size_t index, bool with_text);

// Lists at most max_diff_files files; patch text is kept in diff order until
// the next one would pass max_diff_patch_bytes, and left out from there on.
Result<void> collect_files(git_diff* diff, const Limits& limits, CommitDiff& out);

}  // namespace orsa::source
