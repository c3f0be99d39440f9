#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/role.hpp"

namespace orsa::auth {

/// A user as credential resolution sees it.
struct DirectoryUser {
  std::string id;
  std::string username;
  Role role = Role::kViewer;
  std::int64_t session_epoch = 0;  // raised by a password change: older sessions end
  bool disabled = false;
};

/// An API token as credential resolution sees it (the secret only hashed).
struct DirectoryToken {
  std::string id;
  std::string user_id;
  std::string scopes;  // the stored scope list
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> last_used_at;
};

/// The user lookups credential resolution needs: the port auth asks and the
/// services implement over the store, so auth knows nothing of the database.
/// A missing row is ErrorCode::kNotFound.
class CredentialDirectory {
 public:
  virtual ~CredentialDirectory() = default;
  virtual Result<DirectoryUser> find_user_by_id(std::string_view user_id) = 0;
  /// By lower-cased username or email.
  virtual Result<DirectoryUser> find_user_by_login(std::string_view login) = 0;
  virtual Result<DirectoryToken> find_token_by_hash(std::string_view token_hash) = 0;
  /// Records a token's use at `now`; best effort (bookkeeping only).
  virtual void touch_token(std::string_view token_id, std::int64_t now) = 0;
  /// Whether a logout listed the session.
  virtual Result<bool> is_session_revoked(std::string_view session_id) = 0;
};

}  // namespace orsa::auth
