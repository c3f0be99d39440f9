// File classification and name matching with cookiecutter 1.7.3's rules.

#include <string>

#include "internal.hpp"

namespace orsa::templating::internal {
namespace {

// Matches a `[...]` set at pattern[i] against c; returns false and leaves
// `next` at npos when the set has no closing ']' (then '[' is literal).
bool match_set(std::string_view pattern, std::size_t i, char c, std::size_t& next) {
  auto j = i + 1;
  const bool negate = j < pattern.size() && pattern[j] == '!';
  if (negate) ++j;
  const auto first = j;
  bool hit = false;
  for (; j < pattern.size() && (pattern[j] != ']' || j == first); ++j) {
    if (j + 2 < pattern.size() && pattern[j + 1] == '-' && pattern[j + 2] != ']') {
      hit = hit || (pattern[j] <= c && c <= pattern[j + 2]);
      j += 2;
    } else {
      hit = hit || pattern[j] == c;
    }
  }
  if (j >= pattern.size()) {
    next = std::string_view::npos;
    return false;
  }
  next = j + 1;
  return hit != negate;
}

// Matches one character of the pattern at pattern[p]; sets `next` past it.
bool match_one(std::string_view pattern, std::size_t p, char c, std::size_t& next) {
  if (pattern[p] == '[') {
    const bool hit = match_set(pattern, p, c, next);
    if (next != std::string_view::npos) return hit;
  }
  next = p + 1;
  return pattern[p] == '?' || pattern[p] == c;
}

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

bool fnmatch(std::string_view name, std::string_view pattern) {
  // Greedy matching that backtracks only to the last '*': linear in practice
  // and never exponential, whatever pattern a template brings.
  std::size_t n = 0;
  std::size_t p = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (n < name.size()) {
    std::size_t next = 0;
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && match_one(pattern, p, name[n], next)) {
      p = next;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    const auto n = utf8_length(lead);
    if (n == 0 || i + n > bytes.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return false;
    }
    const auto second = n > 1 ? static_cast<unsigned char>(bytes[i + 1]) : 0x80;
    // Overlong forms, surrogates and code points above U+10FFFF.
    if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
        (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F)) {
      return false;
    }
    i += n;
  }
  return true;
}

bool is_binary(std::string_view path, std::string_view bytes) {
  if (path.ends_with(".pyc")) return true;
  const auto chunk = bytes.substr(0, 1024);
  if (chunk.find('\0') != std::string_view::npos) return true;
  if (chunk.find('\xff') != std::string_view::npos) return true;
  return !is_valid_utf8(bytes);
}

}  // namespace orsa::templating::internal
