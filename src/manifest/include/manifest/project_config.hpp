#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::manifest {

/// A project's orsa.toml, validated. Unknown keys and wrong types are
/// errors naming the key, so a typo never silently falls back to a default.
struct ProjectConfig {
  std::string name;                         // [project] name
  std::string description;                  // [project] description
  std::string entrypoint_module = "model";  // [service] entrypoint = "module:function"
  std::string entrypoint_function = "solve";
  std::int64_t timeout_s = 60;                // [service] timeout: worker timeout per request
  std::int64_t max_body_bytes = 1024 * 1024;  // [service] max_body_bytes
  std::int64_t workers = 2;                   // [service] workers
  std::optional<std::int64_t> memory_mb;      // [resources] memory_mb
  std::optional<double> cpus;                 // [resources] cpus
};

/// Parses and validates the text of orsa.toml. Errors read
/// "orsa.toml: <what>", e.g. "orsa.toml: unknown key 'service.timout'".
Result<ProjectConfig> parse_project_config(std::string_view toml_text);

}  // namespace orsa::manifest
