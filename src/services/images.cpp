#include "services/images.hpp"

#include "find_authorized.hpp"

namespace orsa::services {

Result<std::vector<store::Image>> Images::list(const auth::Principal& who,
                                               const std::optional<ProjectRef>& ref) {
  const auto scope = auth::Policy::scope(who);
  if (!ref) return images_.list(scope, std::nullopt);
  auto project = projects_.find(scope, ref->owner, ref->name);
  if (!project) return fail(project.error());
  return images_.list(scope, std::string_view(project->id));
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
