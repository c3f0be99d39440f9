#pragma once

// The client's configuration file: servers and the API tokens `orsa login`
// created for them, as named profiles, in $XDG_CONFIG_HOME/orsa/config.toml.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::cli {

inline constexpr std::string_view kDefaultProfile = "default";

/// One server and the credential for it.
struct Profile {
  std::string server;    // "http://127.0.0.1:8080", no trailing slash
  std::string token;     // the API token's secret
  std::string token_id;  // its id, to revoke it on logout; empty for --token logins
  std::string username;

  bool operator==(const Profile&) const = default;
};

struct Config {
  std::string current = std::string(kDefaultProfile);  // the profile used without --profile
  std::map<std::string, Profile, std::less<>> profiles;

  bool operator==(const Config&) const = default;
};

/// $XDG_CONFIG_HOME/orsa/config.toml, else $HOME/.config/orsa/config.toml.
Result<std::filesystem::path> default_config_path();

/// Reads the file; a missing file is an empty configuration. Unknown keys and
/// wrong types are errors naming the key.
Result<Config> load_config(const std::filesystem::path& path);

/// Writes the file atomically with mode 0600 (its folder 0700): it holds secrets.
Result<void> save_config(const std::filesystem::path& path, const Config& config);

/// The TOML text of a configuration.
std::string config_to_toml(const Config& config);

/// Parses the TOML text of a configuration.
Result<Config> config_from_toml(std::string_view text, std::string_view source_name);

/// Whether `name` may name a profile (letters, digits, '-', '_', up to 64).
bool valid_profile_name(std::string_view name);

}  // namespace orsa::cli
