#include "cli/ignore.hpp"

#include "core/strings.hpp"

namespace orsa::cli {
namespace {

// The length of the bracket expression starting at pattern[0] == '[', or 0
// when it is not closed (then '[' is a literal).
std::size_t class_length(std::string_view pattern) {
  std::size_t i = 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;
  while (i < pattern.size() && pattern[i] != ']') ++i;
  return i < pattern.size() ? i + 1 : 0;
}

bool class_matches(std::string_view cls, char c) {
  std::size_t i = 1;
  const bool negate = cls[i] == '!' || cls[i] == '^';
  if (negate) ++i;
  bool hit = false;
  const std::size_t end = cls.size() - 1;
  for (bool first = true; i < end; first = false) {
    if (!first && cls[i] == ']') break;
    if (i + 2 < end && cls[i + 1] == '-') {
      hit = hit || (cls[i] <= c && c <= cls[i + 2]);
      i += 3;
    } else {
      hit = hit || cls[i] == c;
      ++i;
    }
  }
  return hit != negate;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  while (!pattern.empty()) {
    if (pattern.starts_with("**") && (pattern.size() == 2 || pattern[2] == '/')) {
      if (pattern.size() == 2) return true;  // "**" at the end: everything below
      const std::string_view rest = pattern.substr(3);
      // "**/" matches zero or more whole directories.
      if (glob_match(rest, text)) return true;
      for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '/' && glob_match(rest, text.substr(i + 1))) return true;
      return false;
    }
    const char p = pattern.front();
    if (p == '*') {
      const std::string_view rest = pattern.substr(1);
      for (std::size_t i = 0;; ++i) {
        if (glob_match(rest, text.substr(i))) return true;
        if (i == text.size() || text[i] == '/') return false;
      }
    }
    if (text.empty()) return false;
    if (p == '?') {
      if (text.front() == '/') return false;
    } else if (p == '[' && class_length(pattern) != 0) {
      const std::size_t len = class_length(pattern);
      if (text.front() == '/' || !class_matches(pattern.substr(0, len), text.front())) return false;
      pattern.remove_prefix(len);
      text.remove_prefix(1);
      continue;
    } else if (p == '\\' && pattern.size() > 1) {
      if (pattern[1] != text.front()) return false;
      pattern.remove_prefix(1);
    } else if (p != text.front()) {
      return false;
    }
    pattern.remove_prefix(1);
    text.remove_prefix(1);
  }
  return text.empty();
}

IgnoreRules IgnoreRules::parse(std::string_view text) {
  IgnoreRules rules;
  while (!text.empty()) {
    const auto end = text.find('\n');
    rules.add_line(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return rules;
}

IgnoreRules IgnoreRules::with_defaults(std::string_view file_text) {
  IgnoreRules rules = parse(kDefaultIgnores);
  for (auto& rule : parse(file_text).rules_) rules.rules_.push_back(std::move(rule));
  return rules;
}

void IgnoreRules::add_line(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  // Trailing spaces are dropped unless escaped, as in git.
  while (line.ends_with(' ') && !line.ends_with("\\ ")) line.remove_suffix(1);
  if (line.empty() || line.starts_with('#')) return;
  Rule rule;
  if (line.starts_with('!')) {
    rule.negated = true;
    line.remove_prefix(1);
  } else if (line.starts_with("\\!") || line.starts_with("\\#")) {
    line.remove_prefix(1);
  }
  if (line.ends_with('/')) {
    rule.dir_only = true;
    while (line.ends_with('/')) line.remove_suffix(1);
  }
  if (line.starts_with('/')) {
    rule.anchored = true;
    line.remove_prefix(1);
  }
  rule.anchored = rule.anchored || line.find('/') != std::string_view::npos;
  if (line.empty()) return;
  rule.pattern = std::string(line);
  rules_.push_back(std::move(rule));
}

bool IgnoreRules::last_match_ignores(std::string_view path, bool is_dir) const {
  const auto slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  bool ignored = false;
  for (const Rule& rule : rules_) {
    if (rule.dir_only && !is_dir) continue;
    if (glob_match(rule.pattern, rule.anchored ? path : name)) ignored = !rule.negated;
  }
  return ignored;
}

bool IgnoreRules::ignored(std::string_view path, bool is_dir) const {
  // A file under an ignored directory stays ignored whatever later rules say.
  for (std::size_t i = path.find('/'); i != std::string_view::npos; i = path.find('/', i + 1)) {
    if (last_match_ignores(path.substr(0, i), true)) return true;
  }
  return last_match_ignores(path, is_dir);
}

}  // namespace orsa::cli
