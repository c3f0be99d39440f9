#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// A position in the image list (newest first): the last image of the
/// previous page.
struct ImageKey {
  std::int64_t created_at = 0;
  std::string id;
};

struct ImageQuery {
  std::optional<std::string> project_id;  // only this project's
  std::optional<ImageKey> after;          // only images older than this one
  std::size_t limit = 100;
};

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
  /// At most `query.limit` images in list order.
  virtual Result<std::vector<Image>> page(const OwnerScope& scope, const ImageQuery& query) = 0;
  virtual Result<void> remove(const OwnerScope& scope, std::string_view id) = 0;
};

}  // namespace orsa::store
