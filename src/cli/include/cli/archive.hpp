#pragma once

// A project folder as a .tar.gz, for a push the commit route cannot carry
// (files that are not UTF-8 text): POST …/archive replaces the project's
// files with the archive's, as one commit.

#include <filesystem>
#include <string>

#include "cli/workspace.hpp"
#include "core/error.hpp"

namespace orsa::cli {

/// The `files` of the folder at `root` as a gzip-compressed tar (regular
/// files, mode 0644), within the server's limit on a project's total size.
Result<std::string> folder_tar_gz(const std::filesystem::path& root, const FileHashes& files,
                                  const PushLimits& limits = {});

}  // namespace orsa::cli
