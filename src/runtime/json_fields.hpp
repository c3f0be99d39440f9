#pragma once

// Reading fields of Docker Engine API bodies defensively: a field that is
// missing or of another type reads as empty, never throws (engines differ).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "log_frames.hpp"

namespace orsa::runtime::detail {

inline std::string string_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::map<std::string, std::string> string_map(const nlohmann::json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

inline std::optional<std::int64_t> unix_seconds(const std::string& text) {
  const auto at = parse_rfc3339(text);
  // Docker writes "0001-01-01T00:00:00Z" for a time that has not happened.
  if (!at || at->seconds <= 0) return std::nullopt;
  return at->seconds;
}

}  // namespace orsa::runtime::detail
