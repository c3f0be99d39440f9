#include "services/list_cursors.hpp"

#include <charconv>
#include <cstdint>

namespace orsa::services {
namespace {

constexpr std::size_t kMaxCursor = 256;

Error not_ours() {
  return Error::invalid_argument("cursor is not one this API gave out");
}

}  // namespace

std::string project_cursor(const store::Project& project) {
  return project.owner_username + "/" + project.name;
}

Result<store::ProjectKey> parse_project_cursor(std::string_view cursor) {
  const auto slash = cursor.find('/');
  if (cursor.size() > kMaxCursor || slash == std::string_view::npos || slash == 0 ||
      slash + 1 == cursor.size() || cursor.find('/', slash + 1) != std::string_view::npos) {
    return fail(not_ours());
  }
  return store::ProjectKey{std::string(cursor.substr(0, slash)),
                           std::string(cursor.substr(slash + 1))};
}

std::string image_cursor(const store::Image& image) {
  return std::to_string(image.created_at) + "." + image.id;
}

Result<store::ImageKey> parse_image_cursor(std::string_view cursor) {
  const auto dot = cursor.find('.');
  if (cursor.size() > kMaxCursor || dot == std::string_view::npos || dot == 0 ||
      dot + 1 == cursor.size()) {
    return fail(not_ours());
  }
  const std::string digits(cursor.substr(0, dot));
  const char* const last = digits.data() + digits.size();
  std::int64_t created_at = 0;
  const auto [end, ec] = std::from_chars(digits.data(), last, created_at);
  if (ec != std::errc() || end != last || created_at < 0) return fail(not_ours());
  return store::ImageKey{created_at, std::string(cursor.substr(dot + 1))};
}

}  // namespace orsa::services
