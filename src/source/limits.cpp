#include "source/limits.hpp"

#include <cctype>
#include <string>

#include "core/strings.hpp"
#include "internal.hpp"

namespace orsa::source {
namespace internal {

std::string quote(std::string_view path) {
  constexpr std::size_t kMaxShown = 120;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < path.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (path.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

}  // namespace internal

namespace {

std::unexpected<Error> bad_path(std::string_view path, std::string_view rule) {
  return fail(Error::invalid_argument("path " + internal::quote(path) + " " + std::string(rule)));
}

// True for names that some checkout resolves to ".git": any case (macOS,
// Windows), trailing dots and spaces (Windows strips them), and the NTFS
// short name "git~1".
bool is_git_dir_alias(std::string_view segment) {
  std::string name = ascii_lower(segment);
  while (!name.empty() && (name.back() == '.' || name.back() == ' ')) name.pop_back();
  return name == ".git" || name == "git~1";
}

}  // namespace

Result<std::string> validate_path(std::string_view path, const Limits& limits) {
  if (path.empty()) return bad_path(path, "must not be empty");
  if (path.front() == '/') return bad_path(path, "must be relative, not start with '/'");
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return bad_path(path, "must not contain control characters");
    if (c == '\\') return bad_path(path, "must not contain backslashes");
  }
  std::string_view rest = path;
  if (rest.starts_with("./")) rest.remove_prefix(2);

  // Split on '/', dropping empty segments ("a//b", "a/"), and check each one.
  std::string normal;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty()) continue;
    if (segment == "..") return bad_path(path, "must not contain '..' segments");
    if (segment == ".") return bad_path(path, "must not contain '.' segments");
    if (is_git_dir_alias(segment)) return bad_path(path, "must not contain a '.git' segment");
    if (!normal.empty()) normal += '/';
    normal += segment;
  }
  if (normal.empty()) return bad_path(path, "must name a file");
  if (normal.size() > limits.max_path_bytes) {
    return bad_path(path, "is " + std::to_string(normal.size()) + " bytes; the limit is " +
                              std::to_string(limits.max_path_bytes));
  }
  return normal;
}

}  // namespace orsa::source
