#pragma once

// What every command shares: the global options, the configuration file,
// the API client for the chosen profile, the project a command acts on, and
// how results are printed.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/api_client.hpp"
#include "cli/config.hpp"
#include "cli/workspace.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace orsa::cli {

struct GlobalOptions {
  std::string profile;  // empty: the configuration's current profile
  std::string server;   // --server / ORSA_SERVER: overrides the profile's
  std::string output = "table";
  int timeout_s = 60;
};

/// Which project a command acts on: --project OWNER/NAME, else the folder's link.
struct ProjectRef {
  std::string owner;
  std::string name;
  std::optional<std::filesystem::path> root;  // the linked folder, if any
  std::string path() const { return "/api/v1/projects/" + owner + "/" + name; }
};

class Context {
 public:
  GlobalOptions options;
  std::string project_flag;  // --project OWNER/NAME of the commands that take it
  Result<int> outcome = 0;   // what the command that ran decided

  Result<std::filesystem::path> config_path() const;
  Result<Config> load() const;
  /// The profile name in use (--profile, else the configuration's current).
  std::string profile_name(const Config& config) const;

  /// A client for the profile in use; fails (exit 3) when not logged in.
  Result<ApiClient> client() const;
  /// A client for `server` without credentials (login, version).
  ApiClient anonymous(const std::string& server) const;
  /// The server in use (--server, ORSA_SERVER, the profile's), or an error.
  Result<std::string> server() const;

  Result<ProjectRef> project() const;

  bool json() const { return options.output == "json"; }
  bool colour() const;
  /// Whether progress lines (on stderr) are wanted: only on a terminal.
  bool progress() const;

  /// Prints a JSON document (two-space indent) on stdout.
  void print_json(const Json& doc) const;
  /// Prints a line on stdout.
  void say(const std::string& line) const;
  /// Prints a line on stderr (logs, notes).
  void note(const std::string& line) const;
};

/// "owner/name" split, checked.
Result<std::pair<std::string, std::string>> split_project(std::string_view text);

/// A JSON field as text for a table cell ("" for null or missing).
std::string cell(const Json& doc, std::string_view key);

/// Reads a line from the terminal without echo (or from stdin when it is not
/// a terminal), after printing `prompt` on stderr.
Result<std::string> read_secret(const std::string& prompt);
/// Reads a line with echo, after printing `prompt` on stderr.
Result<std::string> read_line(const std::string& prompt);

/// Registration of each area's commands (one file each).
void add_account_commands(CLI::App& app, Context& ctx);
void add_project_commands(CLI::App& app, Context& ctx);
void add_service_commands(CLI::App& app, Context& ctx);
void add_resource_commands(CLI::App& app, Context& ctx);
void add_run_commands(CLI::App& app, Context& ctx);

/// Adds --project OWNER/NAME to a command acting on a project.
void add_project_option(CLI::App& command, Context& ctx);

}  // namespace orsa::cli

namespace orsa::cli {

/// A one-line status on stderr that rewrites itself while a wait lasts; off
/// (silent) when stderr is not a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  ~Progress() { done(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(const std::string& text);
  void done();

 private:
  bool enabled_;
  bool shown_ = false;
};

/// Sleeps between two polls of a wait.
void poll_pause();

/// The project's live deployment (the one the gateway routes to).
Result<Json> live_deployment(const ApiClient& client, const ProjectRef& project);

}  // namespace orsa::cli
