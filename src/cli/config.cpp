#include "cli/config.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

#include "core/files.hpp"
#include "toml_text.hpp"

namespace orsa::cli {
namespace {

Error config_error(std::string_view source, const std::string& what) {
  return Error::invalid_argument(std::string(source) + ": " + what);
}

Result<Profile> profile_from(const toml::table& table, std::string_view source,
                             const std::string& name) {
  Profile profile;
  for (const auto& [key, value] : table) {
    std::string* field = nullptr;
    if (key == "server") field = &profile.server;
    if (key == "token") field = &profile.token;
    if (key == "token_id") field = &profile.token_id;
    if (key == "username") field = &profile.username;
    const std::string where = "profiles." + name + "." + std::string(key.str());
    if (field == nullptr) return fail(config_error(source, "unknown key " + where));
    const auto* text = value.as_string();
    if (text == nullptr) return fail(config_error(source, where + " must be a string"));
    *field = text->get();
  }
  if (profile.server.empty())
    return fail(config_error(source, "profiles." + name + ".server is missing"));
  return profile;
}

}  // namespace

bool valid_profile_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::filesystem::path> default_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::filesystem::path(xdg) / "orsa" / "config.toml";
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0')
    return fail(Error::invalid_argument("neither XDG_CONFIG_HOME nor HOME is set"));
  return std::filesystem::path(home) / ".config" / "orsa" / "config.toml";
}

std::string config_to_toml(const Config& config) {
  toml::table root;
  root.insert("current", config.current);
  toml::table profiles;
  for (const auto& [name, p] : config.profiles) {
    toml::table entry;
    entry.insert("server", p.server);
    if (!p.username.empty()) entry.insert("username", p.username);
    if (!p.token.empty()) entry.insert("token", p.token);
    if (!p.token_id.empty()) entry.insert("token_id", p.token_id);
    profiles.insert(name, std::move(entry));
  }
  root.insert("profiles", std::move(profiles));
  std::ostringstream out;
  out << "# orsa CLI configuration (written by `orsa login`; holds API tokens)\n" << root << "\n";
  return out.str();
}

Result<Config> config_from_toml(std::string_view text, std::string_view source_name) {
  auto parsed = parse_toml(text, source_name);
  if (!parsed) return fail(parsed.error());
  Config config;
  for (const auto& [key, value] : *parsed) {
    if (key == "current") {
      const auto* name = value.as_string();
      if (name == nullptr) return fail(config_error(source_name, "current must be a string"));
      config.current = name->get();
    } else if (key == "profiles") {
      const auto* table = value.as_table();
      if (table == nullptr) return fail(config_error(source_name, "profiles must be a table"));
      for (const auto& [name, entry] : *table) {
        const auto* profile_table = entry.as_table();
        const std::string profile_name(name.str());
        if (profile_table == nullptr)
          return fail(config_error(source_name, "profiles." + profile_name + " must be a table"));
        auto profile = profile_from(*profile_table, source_name, profile_name);
        if (!profile) return fail(profile.error());
        config.profiles.emplace(profile_name, std::move(*profile));
      }
    } else {
      return fail(config_error(source_name, "unknown key " + std::string(key.str())));
    }
  }
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Config{};
  auto text = read_file(path);
  if (!text) return fail(text.error());
  return config_from_toml(*text, path.string());
}

Result<void> save_config(const std::filesystem::path& path, const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return fail(
        Error::internal("cannot create " + path.parent_path().string() + ": " + ec.message()));
  ::chmod(path.parent_path().c_str(), 0700);
  return write_file_atomic(path, config_to_toml(config), 0600);
}

}  // namespace orsa::cli
