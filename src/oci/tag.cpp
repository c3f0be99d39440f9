#include "oci/tag.hpp"

#include <algorithm>

namespace orsa::oci {
namespace {

// ASCII ranges rather than std::isalnum, whose answer depends on the locale.
bool is_tag_char(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || c == '_' || (!first && (c == '.' || c == '-'));
}

}  // namespace

Result<void> validate_tag(std::string_view tag) {
  const bool ok = !tag.empty() && tag.size() <= kMaxTagBytes && is_tag_char(tag.front(), true) &&
                  std::ranges::all_of(tag, [](char c) { return is_tag_char(c, false); });
  if (ok) return {};
  return fail(with_registry_code(
      Error::invalid_argument("tag must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}"), "TAG_INVALID"));
}

}  // namespace orsa::oci
