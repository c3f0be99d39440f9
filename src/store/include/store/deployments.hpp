#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// Deployments, scoped to their owner.
class DeploymentStore {
 public:
  virtual ~DeploymentStore() = default;

  /// A new deployment (pending, desired running); kNotFound for an unknown project.
  virtual Result<Deployment> create(const NewDeployment& deployment) = 0;
  virtual Result<Deployment> find(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first; only `project_id`'s when given.
  virtual Result<std::vector<Deployment>> list(const OwnerScope& scope,
                                               std::optional<std::string_view> project_id) = 0;
  /// Writes the mutable fields (status, reason, desired, container, port,
  /// restarts, started/last request times) and bumps updated_at (internal:
  /// the deployments service serialises writers of one deployment).
  virtual Result<Deployment> save(const Deployment& deployment) = 0;
  virtual Result<void> remove(const OwnerScope& scope, std::string_view id) = 0;
  /// Moves last_request_at forward to `at` (never back); touches nothing else.
  virtual Result<void> record_last_request(std::string_view id, std::int64_t at) = 0;
  /// How many deployments use an image (an image in use cannot be deleted).
  virtual Result<std::int64_t> count_using_image(std::string_view image_id) = 0;
};

}  // namespace orsa::store
