#pragma once

// A project folder: the link file `.orsa/project.toml` (which project on
// which server, the commit the folder is based on and the files of that
// commit by hash), the folder's own files, and what changed between them.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/ignore.hpp"
#include "core/error.hpp"

namespace orsa::cli {

inline constexpr std::string_view kLinkDir = ".orsa";
inline constexpr std::string_view kLinkFile = ".orsa/project.toml";
inline constexpr std::string_view kIgnoreFile = ".orsaignore";

/// path → sha256 hex of the bytes.
using FileHashes = std::map<std::string, std::string, std::less<>>;

struct Link {
  std::string server;
  std::string owner;
  std::string name;
  std::string base;  // the head commit the folder was last pushed or pulled at
  FileHashes files;  // the files of `base`

  bool operator==(const Link&) const = default;
};

/// The server's limits on a project's files (source::Limits and the commit
/// route's body limit), checked before anything is sent.
struct PushLimits {
  std::size_t max_path_bytes = 255;
  std::size_t max_file_bytes = 2 * 1024 * 1024;
  std::size_t max_repo_bytes = 50 * 1024 * 1024;
  std::size_t max_files = 10'000;
  std::size_t max_changes = 1000;
  std::size_t max_body_bytes = 10 * 1024 * 1024;
};

/// The nearest folder at or above `start` holding a link file.
Result<std::filesystem::path> find_project_root(const std::filesystem::path& start);

Result<Link> load_link(const std::filesystem::path& root);
Result<void> save_link(const std::filesystem::path& root, const Link& link);

/// sha256 of `bytes`, lower-case hex.
std::string sha256_hex(std::string_view bytes);

/// Every regular file under `root` that `rules` keep (relative `/` paths),
/// by hash. Fails on a file over the size limit or a path over its limit, and
/// on more files than the limit, naming the first offender.
Result<FileHashes> scan_folder(const std::filesystem::path& root, const IgnoreRules& rules,
                               const PushLimits& limits = {});

/// Adds to `local` the files of `base` that the scan left out (ignored) but
/// that are still regular files under `root`.
Result<void> add_tracked_files(const std::filesystem::path& root, const FileHashes& base,
                               FileHashes& local);

/// The folder's ignore rules: the defaults and its .orsaignore, if any.
Result<IgnoreRules> folder_rules(const std::filesystem::path& root);

enum class ChangeKind { kAdded, kModified, kDeleted };

struct Change {
  std::string path;
  ChangeKind kind;
  bool operator==(const Change&) const = default;
};

/// What turns `base` into `local`, sorted by path.
std::vector<Change> diff(const FileHashes& base, const FileHashes& local);

std::string_view change_word(ChangeKind kind);

/// Whether `bytes` is valid UTF-8 (files travel as JSON strings).
bool is_utf8(std::string_view bytes);

}  // namespace orsa::cli
