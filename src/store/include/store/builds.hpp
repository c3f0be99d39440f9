#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// Builds, scoped to the project's owner.
class BuildStore {
 public:
  virtual ~BuildStore() = default;

  /// Queues a build with the project's next number (1, 2, …); kNotFound when
  /// the project is gone.
  virtual Result<Build> create(const NewBuild& build) = 0;
  virtual Result<Build> find(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first, at most `limit`.
  virtual Result<std::vector<Build>> list(const OwnerScope& scope, std::string_view project_id,
                                          std::size_t limit) = 0;
  /// Every build in `status`, oldest first (internal: restart recovery, queue).
  virtual Result<std::vector<Build>> with_status(BuildStatus status) = 0;
  /// Applies a status change (internal: the build queue); kConflict when
  /// `update.from` is set and the build is no longer in that status.
  virtual Result<Build> update(std::string_view id, const BuildUpdate& update) = 0;
};

}  // namespace orsa::store
