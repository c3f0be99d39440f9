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

/// A position in the project list: the owner's username and the name of the
/// last project of the previous page.
struct ProjectKey {
  std::string owner_username;
  std::string name;
};

/// Projects, scoped to their owner. Deleting one deletes its builds, images
/// and deployments.
class ProjectStore {
 public:
  virtual ~ProjectStore() = default;

  /// kNotFound for an unknown owner, kConflict when the owner already has
  /// a project of that name.
  virtual Result<Project> create(const NewProject& project) = 0;
  /// Ordered by owner username, then name.
  virtual Result<std::vector<Project>> list(const OwnerScope& scope) = 0;
  /// At most `limit` projects in list order, those after `after` when given.
  virtual Result<std::vector<Project>> page(const OwnerScope& scope,
                                            const std::optional<ProjectKey>& after,
                                            std::size_t limit) = 0;
  virtual Result<Project> find(const OwnerScope& scope, std::string_view owner_username,
                               std::string_view name) = 0;
  virtual Result<Project> find_by_id(const OwnerScope& scope, std::string_view id) = 0;
  virtual Result<void> remove(const OwnerScope& scope, std::string_view id) = 0;
  /// Sets updated_at.
  virtual Result<void> touch(std::string_view id, std::int64_t at) = 0;
  /// Whether the project's deployed services may reach the outside (admin setting).
  virtual Result<void> set_egress(std::string_view id, bool allowed) = 0;
};

}  // namespace orsa::store
