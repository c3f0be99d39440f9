#include "context.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/output.hpp"

namespace orsa::cli {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

constexpr std::size_t kMaxInputLine = 4096;

Result<std::string> read_stdin_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return fail(Error::invalid_argument("no input on stdin"));
  if (line.size() > kMaxInputLine) return fail(Error::invalid_argument("input line too long"));
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

}  // namespace

Result<std::filesystem::path> Context::config_path() const {
  return default_config_path();
}

Result<Config> Context::load() const {
  auto path = config_path();
  if (!path) return fail(path.error());
  return load_config(*path);
}

std::string Context::profile_name(const Config& config) const {
  if (!options.profile.empty()) return options.profile;
  std::string from_env = env_or_empty("ORSA_PROFILE");
  if (!from_env.empty()) return from_env;
  return config.current;
}

Result<std::string> Context::server() const {
  if (!options.server.empty()) return options.server;
  auto config = load();
  if (!config) return fail(config.error());
  const auto it = config->profiles.find(profile_name(*config));
  if (it == config->profiles.end())
    return fail(Error::unauthenticated("not logged in (profile " + profile_name(*config) +
                                       "): run `orsa login --server URL`"));
  return it->second.server;
}

Result<ApiClient> Context::client() const {
  auto config = load();
  if (!config) return fail(config.error());
  const std::string name = profile_name(*config);
  const auto it = config->profiles.find(name);
  std::string server = options.server;
  std::string token = env_or_empty("ORSA_TOKEN");
  if (it != config->profiles.end()) {
    if (server.empty()) server = it->second.server;
    if (token.empty()) token = it->second.token;
  }
  if (server.empty() || token.empty())
    return fail(Error::unauthenticated("not logged in (profile " + name +
                                       "): run `orsa login --server URL`, or set ORSA_TOKEN "
                                       "and --server"));
  return ApiClient(server, token, std::chrono::seconds(options.timeout_s));
}

ApiClient Context::anonymous(const std::string& server) const {
  return ApiClient(server, "", std::chrono::seconds(options.timeout_s));
}

Result<std::pair<std::string, std::string>> split_project(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos)
    return fail(Error::invalid_argument("expected OWNER/NAME, got '" + std::string(text) + "'"));
  return std::pair{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

Result<ProjectRef> Context::project() const {
  if (!project_flag.empty()) {
    auto parts = split_project(project_flag);
    if (!parts) return fail(parts.error());
    return ProjectRef{parts->first, parts->second, std::nullopt};
  }
  std::error_code ec;
  auto root = find_project_root(std::filesystem::current_path(ec));
  if (!root) return fail(root.error());
  auto link = load_link(*root);
  if (!link) return fail(link.error());
  return ProjectRef{link->owner, link->name, *root};
}

bool Context::colour() const {
  return use_colour(STDOUT_FILENO);
}

bool Context::progress() const {
  return ::isatty(STDERR_FILENO) == 1;
}

void Context::print_json(const Json& doc) const {
  std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << "\n" << std::flush;
}

void Context::say(const std::string& line) const {
  std::cout << line << "\n" << std::flush;
}

void Context::note(const std::string& line) const {
  std::cerr << line << "\n" << std::flush;
}

std::string cell(const Json& doc, std::string_view key) {
  if (!doc.is_object()) return "";
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  return it->dump();
}

Result<std::string> read_secret(const std::string& prompt) {
  if (::isatty(STDIN_FILENO) != 1) return read_stdin_line();
  std::cerr << prompt << std::flush;
  termios saved{};
  ::tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  auto line = read_stdin_line();
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::cerr << "\n";
  return line;
}

Result<std::string> read_line(const std::string& prompt) {
  if (::isatty(STDIN_FILENO) == 1) std::cerr << prompt << std::flush;
  return read_stdin_line();
}

void add_project_option(CLI::App& command, Context& ctx) {
  command.add_option("-p,--project", ctx.project_flag,
                     "OWNER/NAME of the project (default: the folder's link)");
}

}  // namespace orsa::cli

namespace orsa::cli {

void Progress::update(const std::string& text) {
  if (!enabled_) return;
  std::cerr << "\r\x1b[K" << text << std::flush;
  shown_ = true;
}

void Progress::done() {
  if (!shown_) return;
  std::cerr << "\r\x1b[K" << std::flush;
  shown_ = false;
}

void poll_pause() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

Result<Json> live_deployment(const ApiClient& client, const ProjectRef& project) {
  auto list = client.call(
      "GET", "/api/v1/deployments?project=" + escape_query(project.owner + "/" + project.name));
  if (!list) return fail(list.error());
  for (const auto& d : (*list)["deployments"])
    if (d.value("live", false)) return d;
  return fail(Error::not_found("no live deployment of " + project.owner + "/" + project.name +
                               ": run `orsa deploy --wait`"));
}

}  // namespace orsa::cli
