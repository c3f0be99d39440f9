#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// Images, scoped to their owner.
class ImageStore {
 public:
  virtual ~ImageStore() = default;

  /// kConflict when the project already has an image with that tag,
  /// kNotFound when the project is gone.
  virtual Result<Image> create(const NewImage& image) = 0;
  virtual Result<Image> find(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first; only `project_id`'s when given.
  virtual Result<std::vector<Image>> list(const OwnerScope& scope,
                                          std::optional<std::string_view> project_id) = 0;
  virtual Result<void> remove(const OwnerScope& scope, std::string_view id) = 0;
};

}  // namespace orsa::store
