#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// The users table. Not owner-scoped: only the policy module decides who may
/// call these. Unique username and email (kConflict), missing rows kNotFound.
class UserStore {
 public:
  virtual ~UserStore() = default;

  virtual Result<User> create(const NewUser& user) = 0;
  virtual Result<User> find_by_id(std::string_view id) = 0;
  /// By username or (normalised) email.
  virtual Result<User> find_by_login(std::string_view username_or_email) = 0;
  /// Ordered by username.
  virtual Result<std::vector<User>> list() = 0;
  /// Changes only the fields given; kNotFound for an unknown id.
  virtual Result<User> update(std::string_view id, std::optional<Role> role,
                              std::optional<bool> disabled) = 0;
  virtual Result<std::int64_t> count() = 0;
  /// Replaces the password hash and raises the session epoch (revoking every
  /// session issued before); returns the new epoch.
  virtual Result<std::int64_t> change_password(std::string_view user_id,
                                               std::string_view password_hash) = 0;
};

}  // namespace orsa::store
