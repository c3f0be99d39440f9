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
