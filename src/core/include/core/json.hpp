#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa {

using Json = nlohmann::json;

/// Reads a JSON object request body field by field. Every failure names the
/// field, so a client learns exactly what to fix (400 `invalid_argument`).
class JsonObjectReader {
 public:
  /// Parses `body`; fails unless it is a JSON object.
  static Result<JsonObjectReader> parse(std::string_view body);

  Result<std::string> required_string(std::string_view key) const;
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  Result<std::optional<std::int64_t>> optional_int(std::string_view key) const;
  /// The raw value of a field, if present.
  const Json* find(std::string_view key) const;
  /// Fails naming the first key not in `known`.
  Result<void> reject_unknown(std::initializer_list<std::string_view> known) const;

  const Json& json() const { return doc_; }

 private:
  explicit JsonObjectReader(Json doc) : doc_(std::move(doc)) {}
  Json doc_;
};

}  // namespace orsa
