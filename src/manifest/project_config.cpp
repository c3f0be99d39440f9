#include "manifest/project_config.hpp"

#include <toml++/toml.h>

#include <set>
#include <sstream>

namespace orsa::manifest {
namespace {

constexpr std::int64_t kMaxTimeoutS = 3600;
constexpr std::int64_t kMaxBodyBytes = 100 * 1024 * 1024;
constexpr std::int64_t kMaxWorkers = 16;
constexpr std::int64_t kMaxMemoryMb = 64 * 1024;
constexpr double kMaxCpus = 64;

Error bad(const std::string& what) {
  return Error::invalid_argument("orsa.toml: " + what);
}

bool is_identifier(std::string_view s) {
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A dotted module path ("pkg.model") of identifiers.
bool is_module_path(std::string_view s) {
  std::size_t start = 0;
  for (;;) {
    const auto dot = s.find('.', start);
    if (!is_identifier(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<void> reject_unknown(const toml::table& table, std::string_view prefix,
                            const std::set<std::string_view>& known) {
  for (const auto& [key, value] : table) {
    if (!known.contains(key.str())) {
      return fail(bad("unknown key '" + std::string(prefix) + std::string(key.str()) + "'"));
    }
  }
  return {};
}

Result<const toml::table*> section(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return static_cast<const toml::table*>(nullptr);
  if (!node->is_table()) return fail(bad("'" + std::string(name) + "' must be a table"));
  return node->as_table();
}

Result<std::optional<std::string>> get_string(const toml::table& t, std::string_view section_name,
                                              std::string_view key) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::optional<std::string>();
  if (!node->is_string()) {
    return fail(
        bad("'" + std::string(section_name) + "." + std::string(key) + "' must be a string"));
  }
  return std::optional<std::string>(node->as_string()->get());
}

Result<std::optional<std::int64_t>> get_int(const toml::table& t, std::string_view section_name,
                                            std::string_view key, std::int64_t min,
                                            std::int64_t max) {
  const std::string full = std::string(section_name) + "." + std::string(key);
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::optional<std::int64_t>();
  if (!node->is_integer()) return fail(bad("'" + full + "' must be an integer"));
  const std::int64_t value = node->as_integer()->get();
  if (value < min || value > max) {
    return fail(bad("'" + full + "' must be between " + std::to_string(min) + " and " +
                    std::to_string(max)));
  }
  return std::optional<std::int64_t>(value);
}

Result<void> read_project(const toml::table& root, ProjectConfig& out) {
  auto table = section(root, "project");
  if (!table) return fail(table.error());
  if (*table == nullptr) return {};
  if (auto ok = reject_unknown(**table, "project.", {"name", "description"}); !ok) return ok;
  auto name = get_string(**table, "project", "name");
  if (!name) return fail(name.error());
  auto description = get_string(**table, "project", "description");
  if (!description) return fail(description.error());
  out.name = name->value_or("");
  out.description = description->value_or("");
  return {};
}

Result<void> read_entrypoint(std::string_view text, ProjectConfig& out) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || !is_module_path(text.substr(0, colon)) ||
      !is_identifier(text.substr(colon + 1))) {
    return fail(bad("'service.entrypoint' must look like \"module:function\", got '" +
                    std::string(text) + "'"));
  }
  out.entrypoint_module = text.substr(0, colon);
  out.entrypoint_function = text.substr(colon + 1);
  return {};
}

Result<void> read_service(const toml::table& root, ProjectConfig& out) {
  auto table = section(root, "service");
  if (!table) return fail(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok =
          reject_unknown(t, "service.", {"entrypoint", "timeout", "max_body_bytes", "workers"});
      !ok) {
    return ok;
  }
  auto entrypoint = get_string(t, "service", "entrypoint");
  if (!entrypoint) return fail(entrypoint.error());
  if (const auto& text = *entrypoint) {
    if (auto ok = read_entrypoint(*text, out); !ok) return ok;
  }
  auto timeout = get_int(t, "service", "timeout", 1, kMaxTimeoutS);
  if (!timeout) return fail(timeout.error());
  auto body = get_int(t, "service", "max_body_bytes", 1, kMaxBodyBytes);
  if (!body) return fail(body.error());
  auto workers = get_int(t, "service", "workers", 1, kMaxWorkers);
  if (!workers) return fail(workers.error());
  out.timeout_s = timeout->value_or(out.timeout_s);
  out.max_body_bytes = body->value_or(out.max_body_bytes);
  out.workers = workers->value_or(out.workers);
  return {};
}

Result<void> read_resources(const toml::table& root, ProjectConfig& out) {
  auto table = section(root, "resources");
  if (!table) return fail(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = reject_unknown(t, "resources.", {"memory_mb", "cpus"}); !ok) return ok;
  auto memory = get_int(t, "resources", "memory_mb", 16, kMaxMemoryMb);
  if (!memory) return fail(memory.error());
  out.memory_mb = *memory;
  if (const toml::node* cpus = t.get("cpus")) {
    const auto value = cpus->value<double>();  // integers convert too
    if (!value || !(cpus->is_floating_point() || cpus->is_integer())) {
      return fail(bad("'resources.cpus' must be a number"));
    }
    if (*value <= 0 || *value > kMaxCpus) {
      return fail(bad("'resources.cpus' must be greater than 0 and at most 64"));
    }
    out.cpus = value;
  }
  return {};
}

}  // namespace

Result<ProjectConfig> parse_project_config(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view("orsa.toml"));
  } catch (const toml::parse_error& err) {
    std::ostringstream msg;
    msg << "orsa.toml:" << err.source().begin.line << ": " << err.description();
    return fail(Error::invalid_argument(msg.str()));
  }
  if (auto ok = reject_unknown(root, "", {"project", "service", "resources"}); !ok) {
    return fail(ok.error());
  }
  ProjectConfig config;
  if (auto ok = read_project(root, config); !ok) return fail(ok.error());
  if (auto ok = read_service(root, config); !ok) return fail(ok.error());
  if (auto ok = read_resources(root, config); !ok) return fail(ok.error());
  return config;
}

}  // namespace orsa::manifest
