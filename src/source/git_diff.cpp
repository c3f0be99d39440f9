#include "git_support.hpp"
#include "internal.hpp"

namespace orsa::source {

Result<DiffPtr> diff_trees(git_repository* repo, git_tree* old_tree, git_tree* new_tree) {
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  git_diff* raw_diff = nullptr;
  if (git_diff_tree_to_tree(&raw_diff, repo, old_tree, new_tree, &options) < 0) {
    return fail(git_failure("diff"));
  }
  DiffPtr diff(raw_diff);
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_find_similar(diff.get(), &find) < 0) return fail(git_failure("rename detection"));
  return diff;
}

DiffStatus diff_status(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED:
      return DiffStatus::kAdded;
    case GIT_DELTA_DELETED:
      return DiffStatus::kDeleted;
    case GIT_DELTA_RENAMED:
      return DiffStatus::kRenamed;
    default:
      return DiffStatus::kModified;
  }
}

Result<std::string> patch_text(git_patch* patch) {
  git_buf buf = GIT_BUF_INIT;
  if (git_patch_to_buf(&buf, patch) < 0) return fail(git_failure("patch text"));
  std::string text(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  return text;
}

// One file of a diff with its line counts, and its patch text when `with_text`.
Result<FileDiff> file_diff(git_diff* diff, std::size_t index, bool with_text) {
  git_patch* raw_patch = nullptr;
  if (git_patch_from_diff(&raw_patch, diff, index) < 0) return fail(git_failure("patch"));
  PatchPtr patch(raw_patch);
  // Read after git_patch_from_diff, which sets the binary flag.
  const git_diff_delta* delta = git_diff_get_delta(diff, index);
  FileDiff out;
  out.status = diff_status(delta->status);
  out.path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
  if (delta->status == GIT_DELTA_RENAMED) out.old_path = delta->old_file.path;
  out.binary = !patch || (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
  if (out.binary) return out;
  std::size_t context = 0;
  if (git_patch_line_stats(&context, &out.additions, &out.deletions, patch.get()) < 0) {
    return fail(git_failure("patch stats"));
  }
  if (!with_text) return out;
  auto text = patch_text(patch.get());
  if (!text) return fail(text.error());
  out.patch = std::move(*text);
  return out;
}

// Lists at most max_diff_files files; patch text is kept in diff order until
// the next one would pass max_diff_patch_bytes, and left out from there on.
Result<void> collect_files(git_diff* diff, const Limits& limits, CommitDiff& out) {
  const std::size_t count = git_diff_num_deltas(diff);
  out.truncated = count > limits.max_diff_files;
  std::size_t patch_bytes = 0;
  for (std::size_t i = 0; i < std::min(count, limits.max_diff_files); ++i) {
    auto file = file_diff(diff, i, patch_bytes <= limits.max_diff_patch_bytes);
    if (!file) return fail(file.error());
    if (auto& patch = file->patch) {
      patch_bytes += patch->size();
      if (patch_bytes > limits.max_diff_patch_bytes) patch.reset();
    }
    if (patch_bytes > limits.max_diff_patch_bytes) out.truncated = true;
    out.files.push_back(std::move(*file));
  }
  return {};
}

}  // namespace orsa::source
