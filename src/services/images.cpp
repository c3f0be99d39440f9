#include "services/images.hpp"

#include "find_authorized.hpp"
#include "services/list_cursors.hpp"

namespace orsa::services {

Result<Page<store::Image>> Images::list(const auth::Principal& who,
                                        const std::optional<ProjectRef>& ref,
                                        const PageRequest& request) {
  auto limit = page_size(request);
  if (!limit) return fail(limit.error());
  store::ImageQuery query{.limit = *limit + 1};
  if (request.cursor) {
    auto key = parse_image_cursor(*request.cursor);
    if (!key) return fail(key.error());
    query.after = std::move(*key);
  }
  const auto scope = auth::Policy::scope(who);
  if (ref) {
    auto project = projects_.find(scope, ref->owner, ref->name);
    if (!project) return fail(project.error());
    query.project_id = project->id;
  }
  auto rows = images_.page(scope, query);
  if (!rows) return fail(rows.error());
  return page_of(std::move(*rows), *limit, image_cursor);
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
