// Python semantics for the values templates see: cookiecutter hands Jinja
// Python objects, so printing, truthiness, equality, filters and string
// methods behave as Python's do. Case mapping is ASCII-only.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "internal.hpp"

namespace orsa::templating::internal {
namespace {

constexpr std::array<std::string_view, 7> kFilters = {"lower",   "upper", "title", "replace",
                                                      "default", "d",     "trim"};
constexpr std::string_view kWhitespace = " \t\n\r\f\v";

std::string python_repr(const Value& value);

std::string repr_string(const std::string& s) {
  const bool double_quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char quote = double_quote ? '"' : '\'';
  std::string out(1, quote);
  for (const char c : s) {
    if (c == '\\' || c == quote) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + quote;
}

std::string repr_container(const Value& value) {
  const bool is_object = value.is_object();
  std::string out = is_object ? "{" : "[";
  bool first = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!first) out += ", ";
    first = false;
    if (is_object) out += repr_string(it.key()) + ": ";
    out += python_repr(it.value());
  }
  return out + (is_object ? "}" : "]");
}

std::string python_repr(const Value& value) {
  return value.is_string() ? repr_string(value.get<std::string>()) : python_str(value);
}

std::string ascii_lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string ascii_upper(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Jinja's title: words start after whitespace or any of "-({[<".
std::string jinja_title(const std::string& s) {
  std::string out;
  bool word_start = true;
  for (const char c : s) {
    const bool separator = kWhitespace.find(c) != std::string_view::npos ||
                           std::string_view("-({[<").find(c) != std::string_view::npos;
    const auto uc = static_cast<unsigned char>(c);
    out += separator ? c : static_cast<char>(word_start ? std::toupper(uc) : std::tolower(uc));
    word_start = separator;
  }
  return out;
}

// Python's str.replace, including count and the empty-needle case.
std::string python_replace(const std::string& s, const std::string& from, const std::string& to,
                           long long count) {
  std::string out;
  std::size_t pos = 0;
  for (long long done = 0; count < 0 || done < count; ++done) {
    if (from.empty()) {
      out += to;
      if (pos >= s.size()) return out;
      out += s[pos++];
      continue;
    }
    const auto hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos).append(to);
    pos = hit + from.size();
  }
  return out.append(s, std::min(pos, s.size()));
}

std::string python_strip(const std::string& s, const std::string& chars, bool left, bool right) {
  const auto begin = left ? s.find_first_not_of(chars) : 0;
  if (begin == std::string::npos) return {};
  const auto end = right ? s.find_last_not_of(chars) + 1 : s.size();
  return s.substr(begin, end - begin);
}

void expect_args(std::string_view what, std::string_view name, const std::vector<Value>& args,
                 std::size_t min, std::size_t max, int line) {
  if (args.size() >= min && args.size() <= max) return;
  raise(line, std::string(what) + " '" + std::string(name) + "' takes " + std::to_string(min) +
                  (min == max ? "" : " to " + std::to_string(max)) + " argument(s), got " +
                  std::to_string(args.size()));
}

std::string strip_chars(const std::vector<Value>& args, std::size_t index) {
  if (args.size() <= index || args[index].is_null()) return std::string(kWhitespace);
  return python_str(args[index]);
}

long long replace_count(const std::vector<Value>& args, int line) {
  if (args.size() < 3 || args[2].is_null()) return -1;
  if (!args[2].is_number_integer()) raise(line, "replace count must be an integer");
  return args[2].get<long long>();
}

Value string_method(std::string_view name, const std::string& s, const std::vector<Value>& args,
                    int line) {
  if (name == "lower" || name == "upper") {
    expect_args("method", name, args, 0, 0, line);
    return name == "lower" ? ascii_lower(s) : ascii_upper(s);
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    expect_args("method", name, args, 0, 1, line);
    return python_strip(s, strip_chars(args, 0), name != "rstrip", name != "lstrip");
  }
  if (name == "replace") {
    expect_args("method", name, args, 2, 3, line);
    return python_replace(s, python_str(args[0]), python_str(args[1]), replace_count(args, line));
  }
  if (name == "startswith" || name == "endswith") {
    expect_args("method", name, args, 1, 1, line);
    const auto affix = python_str(args[0]);
    return name == "startswith" ? s.starts_with(affix) : s.ends_with(affix);
  }
  raise(line, "unsupported string method '" + std::string(name) + "'");
}

Value dict_method(std::string_view name, const Value& dict, const std::vector<Value>& args,
                  int line) {
  if (name == "get") {
    expect_args("method", name, args, 1, 2, line);
    const auto key = python_str(args[0]);
    if (dict.contains(key)) return dict.at(key);
    return args.size() > 1 ? args[1] : Value(nullptr);
  }
  expect_args("method", name, args, 0, 0, line);
  Value out = Value::array();
  for (auto it = dict.begin(); it != dict.end(); ++it) {
    if (name == "items") {
      out.push_back(Value::array({it.key(), it.value()}));
    } else if (name == "keys") {
      out.push_back(it.key());
    } else if (name == "values") {
      out.push_back(it.value());
    } else {
      raise(line, "unsupported dict method '" + std::string(name) + "'");
    }
  }
  return out;
}

}  // namespace

std::string python_str(const Value& value) {
  switch (value.type()) {
    case Value::value_t::string:
      return value.get<std::string>();
    case Value::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case Value::value_t::null:
    case Value::value_t::discarded:
      return "None";
    case Value::value_t::array:
    case Value::value_t::object:
      return repr_container(value);
    default:
      return value.dump();
  }
}

bool truthy(const Value& value) {
  switch (value.type()) {
    case Value::value_t::boolean:
      return value.get<bool>();
    case Value::value_t::number_integer:
    case Value::value_t::number_unsigned:
    case Value::value_t::number_float:
      return value.get<double>() != 0.0;
    case Value::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    case Value::value_t::array:
    case Value::value_t::object:
      return !value.empty();
    default:
      return false;
  }
}

bool python_equal(const Value& a, const Value& b) {
  // Python's bool is an int: True == 1.
  const auto numeric = [](const Value& v) { return v.is_number() || v.is_boolean(); };
  if (numeric(a) && numeric(b) && (a.is_boolean() || b.is_boolean())) {
    const auto as_double = [](const Value& v) {
      return v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>();
    };
    return as_double(a) == as_double(b);
  }
  return a == b;
}

bool is_known_filter(std::string_view name) {
  return std::ranges::find(kFilters, name) != kFilters.end();
}

Value apply_filter(std::string_view name, const Value& subject, const std::vector<Value>& args,
                   int line) {
  const std::string s = python_str(subject);
  if (name == "lower" || name == "upper" || name == "title") {
    expect_args("filter", name, args, 0, 0, line);
    return name == "lower" ? ascii_lower(s) : name == "upper" ? ascii_upper(s) : jinja_title(s);
  }
  if (name == "trim") {
    expect_args("filter", name, args, 0, 1, line);
    return python_strip(s, strip_chars(args, 0), true, true);
  }
  if (name == "replace") {
    expect_args("filter", name, args, 2, 3, line);
    return python_replace(s, python_str(args[0]), python_str(args[1]), replace_count(args, line));
  }
  raise(line, "unknown filter '" + std::string(name) + "'");
}

Value call_method(std::string_view name, const Value& subject, const std::vector<Value>& args,
                  int line) {
  if (subject.is_string()) return string_method(name, subject.get<std::string>(), args, line);
  if (subject.is_object()) return dict_method(name, subject, args, line);
  raise(line, "unsupported method '" + std::string(name) + "' on " + python_repr(subject));
}

}  // namespace orsa::templating::internal
