#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// The database port. One implementation over SOCI serves SQLite and
/// PostgreSQL with the same SQL and migrations. Every method is thread-safe
/// and blocking (call from worker threads). Unique violations are kConflict,
/// missing rows kNotFound, database failures kUnavailable/kInternal.
class Store {
 public:
  virtual ~Store() = default;

  /// Cheap round trip for /readyz.
  virtual Result<void> ping() = 0;

  // Users: not owner-scoped; only the policy module decides who may call these.
  virtual Result<User> create_user(const NewUser& user) = 0;
  virtual Result<User> find_user_by_id(std::string_view id) = 0;
  /// By username or (normalised) email.
  virtual Result<User> find_user_by_login(std::string_view username_or_email) = 0;
  virtual Result<std::vector<User>> list_users() = 0;
  virtual Result<User> update_user(std::string_view id, std::optional<Role> role,
                                   std::optional<bool> disabled) = 0;
  virtual Result<std::int64_t> count_users() = 0;
  /// Replaces the password hash and raises the session epoch (revoking every
  /// session issued before); returns the new epoch.
  virtual Result<std::int64_t> change_password(std::string_view user_id,
                                               std::string_view password_hash) = 0;
  /// Records a session id as revoked until `expires_at` (logout), and drops
  /// the records of sessions that have expired anyway.
  virtual Result<void> revoke_session(std::string_view session_id, std::string_view user_id,
                                      std::int64_t expires_at) = 0;
  /// Has this session id been revoked?
  virtual Result<bool> is_session_revoked(std::string_view session_id) = 0;

  // API tokens, scoped to their user.
  virtual Result<ApiToken> create_token(const NewApiToken& token) = 0;
  virtual Result<std::vector<ApiToken>> list_tokens(const OwnerScope& scope) = 0;
  virtual Result<void> delete_token(const OwnerScope& scope, std::string_view id) = 0;
  /// Authentication lookup by hash (not scoped: the hash is the credential).
  virtual Result<ApiToken> find_token_by_hash(std::string_view token_hash) = 0;
  virtual Result<void> touch_token(std::string_view id, std::int64_t at) = 0;

  // Projects, scoped to their owner.
  virtual Result<Project> create_project(const NewProject& project) = 0;
  virtual Result<std::vector<Project>> list_projects(const OwnerScope& scope) = 0;
  virtual Result<Project> find_project(const OwnerScope& scope, std::string_view owner_username,
                                       std::string_view name) = 0;
  virtual Result<void> delete_project(const OwnerScope& scope, std::string_view id) = 0;
  virtual Result<void> touch_project(std::string_view id, std::int64_t at) = 0;
  /// Whether the project's deployed services may reach the outside (admin setting).
  virtual Result<void> set_project_egress(std::string_view id, bool allowed) = 0;

  // Builds, scoped to the project's owner.
  /// Queues a build with the project's next number (1, 2, …); kNotFound when
  /// the project is gone.
  virtual Result<Build> create_build(const NewBuild& build) = 0;
  virtual Result<Build> find_build(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first, at most `limit`.
  virtual Result<std::vector<Build>> list_builds(const OwnerScope& scope,
                                                 std::string_view project_id,
                                                 std::size_t limit) = 0;
  /// Every build in `status`, oldest first (internal: restart recovery, queue).
  virtual Result<std::vector<Build>> builds_with_status(BuildStatus status) = 0;
  /// Applies a status change (internal: the build queue); kConflict when
  /// `update.from` is set and the build is no longer in that status.
  virtual Result<Build> update_build(std::string_view id, const BuildUpdate& update) = 0;

  // Images, scoped to their owner.
  /// kConflict when the project already has an image with that tag.
  virtual Result<Image> create_image(const NewImage& image) = 0;
  virtual Result<Image> find_image(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first; only `project_id`'s when given.
  virtual Result<std::vector<Image>> list_images(const OwnerScope& scope,
                                                 std::optional<std::string_view> project_id) = 0;
  virtual Result<void> delete_image(const OwnerScope& scope, std::string_view id) = 0;

  // Deployments, scoped to their owner.
  /// A new deployment (pending, desired running); kNotFound for an unknown project.
  virtual Result<Deployment> create_deployment(const NewDeployment& deployment) = 0;
  virtual Result<Deployment> find_deployment(const OwnerScope& scope, std::string_view id) = 0;
  /// Newest first; only `project_id`'s when given.
  virtual Result<std::vector<Deployment>> list_deployments(
      const OwnerScope& scope, std::optional<std::string_view> project_id) = 0;
  /// Writes the mutable fields (status, reason, desired, container, port,
  /// restarts, started/last request times) and bumps updated_at (internal:
  /// the deployments service serialises writers of one deployment).
  virtual Result<Deployment> save_deployment(const Deployment& deployment) = 0;
  virtual Result<void> delete_deployment(const OwnerScope& scope, std::string_view id) = 0;
  /// Moves last_request_at forward to `at` (never back); touches nothing else.
  virtual Result<void> record_last_request(std::string_view id, std::int64_t at) = 0;
  /// How many deployments use an image (an image in use cannot be deleted).
  virtual Result<std::int64_t> count_deployments_of_image(std::string_view image_id) = 0;

  // Audit log.
  virtual Result<void> record_audit(const AuditEvent& event) = 0;
  virtual Result<std::vector<AuditEvent>> list_audit(std::size_t limit) = 0;
};

/// Opens `sqlite:PATH` or `postgresql://…` (libpq URI), applies pending
/// migrations, and returns the store. Fails with a message naming the URL
/// scheme or the migration that failed. Passwords in the URL never appear in
/// errors or logs.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock,
                                          std::size_t pool_size = 4);

}  // namespace orsa::store
