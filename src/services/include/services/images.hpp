#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/policy.hpp"
#include "core/error.hpp"
#include "services/page.hpp"
#include "services/projects.hpp"
#include "store/deployments.hpp"
#include "store/images.hpp"
#include "store/projects.hpp"

namespace orsa::services {

/// Images that builds produced; deleting one also removes its registry tag.
class Images {
 public:
  /// `remove_tag(repository, tag, digest)` unlinks the image in the registry.
  using TagRemover = std::function<Result<void>(const store::Image& image)>;
  Images(store::ImageStore& images, store::ProjectStore& projects,
         store::DeploymentStore& deployments, TagRemover remove_tag)
      : images_(images),
        projects_(projects),
        deployments_(deployments),
        remove_tag_(std::move(remove_tag)) {}

  /// Own images (admins: all), newest first, a page at a time; only the
  /// project's when `ref` is given.
  Result<Page<store::Image>> list(const auth::Principal& who, const std::optional<ProjectRef>& ref,
                                  const PageRequest& request);
  Result<store::Image> get(const auth::Principal& who, std::string_view id);
  Result<void> remove(const auth::Principal& who, std::string_view id);
  /// Deletes an image (registry tag, then row) with no caller to check
  /// (internal: the collector, which decides what may go).
  Result<void> remove_unchecked(const store::Image& image);

 private:
  store::ImageStore& images_;
  store::ProjectStore& projects_;        // resolves a ProjectRef
  store::DeploymentStore& deployments_;  // an image in use stays
  TagRemover remove_tag_;
};

}  // namespace orsa::services
