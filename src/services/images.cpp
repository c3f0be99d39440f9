#include "services/images.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include "find_authorized.hpp"

namespace orsa::services {

namespace {

constexpr std::size_t kMaxCursor = 128;

// An image cursor is "<created_at>.<id>" of the previous page's last image.
std::string cursor_of(const store::Image& image) {
  return std::to_string(image.created_at) + "." + image.id;
}

Result<std::optional<store::ImageKey>> image_key_of(const std::optional<std::string>& cursor) {
  if (!cursor) return std::optional<store::ImageKey>{};
  const auto& c = *cursor;
  const auto dot = c.find('.');
  std::int64_t created_at = 0;
  const auto [end, ec] = std::from_chars(c.data(), c.data() + std::min(dot, c.size()), created_at);
  if (c.size() > kMaxCursor || dot == std::string::npos || ec != std::errc() ||
      end != c.data() + dot || created_at < 0 || dot + 1 == c.size()) {
    return fail(Error::invalid_argument("cursor is not one this API gave out"));
  }
  return std::optional<store::ImageKey>{{created_at, c.substr(dot + 1)}};
}

}  // namespace

Result<Page<store::Image>> Images::list(const auth::Principal& who,
                                        const std::optional<ProjectRef>& ref,
                                        const PageRequest& request) {
  auto limit = page_size(request);
  if (!limit) return fail(limit.error());
  auto after = image_key_of(request.cursor);
  if (!after) return fail(after.error());
  const auto scope = auth::Policy::scope(who);
  store::ImageQuery query{.after = *after, .limit = *limit + 1};
  if (ref) {
    auto project = projects_.find(scope, ref->owner, ref->name);
    if (!project) return fail(project.error());
    query.project_id = project->id;
  }
  auto rows = images_.page(scope, query);
  if (!rows) return fail(rows.error());
  return page_of(std::move(*rows), *limit, cursor_of);
}

Result<store::Image> Images::get(const auth::Principal& who, std::string_view id) {
  return find_authorized(who, auth::Action::kRead,
                         [&](const OwnerScope& scope) { return images_.find(scope, id); });
}

Result<void> Images::remove(const auth::Principal& who, std::string_view id) {
  auto image = find_authorized(who, auth::Action::kWrite,
                               [&](const OwnerScope& scope) { return images_.find(scope, id); });
  if (!image) return fail(image.error());
  auto uses = deployments_.count_using_image(image->id);
  if (!uses) return fail(uses.error());
  if (*uses > 0) {
    return fail(Error::conflict("the image is used by " + std::to_string(*uses) +
                                " deployment(s); delete them first"));
  }
  if (remove_tag_) {
    if (auto ok = remove_tag_(*image); !ok) return fail(ok.error());
  }
  return images_.remove(auth::Policy::scope(who), id);
}

Result<void> Images::remove_unchecked(const store::Image& image) {
  if (remove_tag_) {
    if (auto ok = remove_tag_(image); !ok) return fail(ok.error());
  }
  return images_.remove(OwnerScope::everyone(), image.id);
}

}  // namespace orsa::services
