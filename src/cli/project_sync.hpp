#pragma once

// Moving files between a project folder and the server: download a commit's
// files, and the commit request a push sends.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli/api_client.hpp"
#include "cli/workspace.hpp"
#include "context.hpp"

namespace orsa::cli {

/// The files of `commit` as the server has them: path → bytes.
using FileContents = std::map<std::string, std::string, std::less<>>;

/// The current head commit of the project ("" for a project with no commit).
Result<std::string> fetch_head(const ApiClient& client, const ProjectRef& project);

/// Downloads every file of `commit`. Paths that could escape the folder are refused.
/// `on_file(done, total)` is called after each file (progress displays).
Result<FileContents> fetch_files(const ApiClient& client, const ProjectRef& project,
                                 const std::string& commit,
                                 const std::function<void(std::size_t, std::size_t)>& on_file = {});

/// Writes `files` under `root` (folders created as needed).
Result<void> write_files(const std::filesystem::path& root, const FileContents& files);

/// Hashes of downloaded files.
FileHashes hashes_of(const FileContents& files);

/// The body of POST …/commits for `changes` of the folder at `root`, within
/// `limits` (text files only: contents travel as JSON strings).
Result<Json> commit_body(const std::filesystem::path& root, const std::vector<Change>& changes,
                         const std::string& message, const PushLimits& limits = {});

/// Whether an added or modified file is not UTF-8 text (a JSON commit
/// cannot carry it).
Result<bool> has_binary_change(const std::filesystem::path& root,
                               const std::vector<Change>& changes);

/// A client for a linked folder's server with the profile's credentials;
/// refuses a profile of another server (the token would be sent elsewhere).
Result<ApiClient> client_for(const Context& ctx, const ProjectRef& project);

}  // namespace orsa::cli
