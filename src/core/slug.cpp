#include "core/slug.hpp"

#include <string>

namespace orsa {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

Result<void> validate_slug(std::string_view value, std::string_view what) {
  const auto bad = [&] {
    return fail(Error::invalid_argument(
        std::string(what) +
        " must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit"));
  };
  if (value.empty() || value.size() > 63 || !is_lower_alnum(value.front())) return bad();
  for (char c : value) {
    if (!is_lower_alnum(c) && c != '-') return bad();
  }
  return {};
}

}  // namespace orsa
