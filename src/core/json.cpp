#include "core/json.hpp"

#include <algorithm>

namespace orsa {
namespace {

Error wrong_type(std::string_view key, std::string_view type) {
  return Error::invalid_argument("field '" + std::string(key) + "' must be " + std::string(type));
}

}  // namespace

Result<JsonObjectReader> JsonObjectReader::parse(std::string_view body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(Error::invalid_argument("request body is not valid JSON"));
  if (!doc.is_object()) return fail(Error::invalid_argument("request body must be a JSON object"));
  return JsonObjectReader(std::move(doc));
}

const Json* JsonObjectReader::find(std::string_view key) const {
  const auto it = doc_.find(key);
  return it == doc_.end() ? nullptr : &*it;
}

Result<std::string> JsonObjectReader::required_string(std::string_view key) const {
  const Json* v = find(key);
  if (v == nullptr || v->is_null()) {
    return fail(Error::invalid_argument("missing field '" + std::string(key) + "'"));
  }
  if (!v->is_string()) return fail(wrong_type(key, "a string"));
  return v->get<std::string>();
}

Result<std::optional<std::string>> JsonObjectReader::optional_string(std::string_view key) const {
  const Json* v = find(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return fail(wrong_type(key, "a string"));
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::optional<bool>> JsonObjectReader::optional_bool(std::string_view key) const {
  const Json* v = find(key);
  if (v == nullptr || v->is_null()) return std::optional<bool>();
  if (!v->is_boolean()) return fail(wrong_type(key, "a boolean"));
  return std::optional<bool>(v->get<bool>());
}

Result<std::optional<std::int64_t>> JsonObjectReader::optional_int(std::string_view key) const {
  const Json* v = find(key);
  if (v == nullptr || v->is_null()) return std::optional<std::int64_t>();
  if (!v->is_number_integer()) return fail(wrong_type(key, "an integer"));
  return std::optional<std::int64_t>(v->get<std::int64_t>());
}

Result<void> JsonObjectReader::reject_unknown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : doc_.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return fail(Error::invalid_argument("unknown field '" + key + "'"));
    }
  }
  return {};
}

}  // namespace orsa
