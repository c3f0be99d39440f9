#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::source {

/// Limits on what a user may put into a project repository, and on what one
/// commit diff returns.
struct Limits {
  std::size_t max_path_bytes = 255;
  std::size_t max_file_bytes = 2 * 1024 * 1024;
  std::size_t max_repo_bytes = 50 * 1024 * 1024;  // sum of file sizes at a commit
  std::size_t max_files = 10'000;
  std::size_t max_diff_files = 300;                // files listed in one commit diff
  std::size_t max_diff_patch_bytes = 1024 * 1024;  // patch text in one commit diff
};

/// Validates a repository-relative file path and returns its normal form
/// (no leading "./", no duplicate or trailing slashes). Rejects empty paths,
/// absolute paths, ".." and "." segments, anything under ".git/", NUL and
/// other control characters, backslashes, and paths over the byte limit. The
/// error message names the path and the rule.
// Normalising: one leading "./" is dropped and empty segments ("a//b", "a/")
// are ignored; every other "." segment is an error. ".git" matches in any case
// and with trailing dots or spaces, as does "git~1" (NTFS short name), since
// some checkouts treat those as ".git". The byte limit applies to the normal
// form. Other bytes (UTF-8 included) pass through unchanged.
Result<std::string> validate_path(std::string_view path, const Limits& limits = {});

}  // namespace orsa::source
