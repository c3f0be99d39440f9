#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace orsa {

/// Appends compact JSON to a string without building a DOM: for hot list
/// responses where nlohmann's per-node allocations dominate the profile.
/// The caller nests begin/end calls correctly; keys and strings are escaped.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  /// Inserts already serialised JSON as one value.
  JsonWriter& raw(std::string_view json);

  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no value written yet
  bool after_key_ = false;
};

}  // namespace orsa
