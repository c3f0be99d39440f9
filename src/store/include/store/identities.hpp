#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"

namespace orsa::store {

/// One account at one sign-in provider, linked to one user.
struct Identity {
  std::string id;
  std::string user_id;
  std::string provider;  // configured provider id ("github", "keycloak", …)
  std::string subject;   // the provider's stable user id (`sub`, GitHub's numeric id)
  std::string email;
  std::int64_t created_at = 0;
  std::int64_t last_login_at = 0;
};

struct NewIdentity {
  std::string user_id;
  std::string provider;
  std::string subject;
  std::string email;
};

/// A login sent to a provider and not yet back: what the callback needs.
struct PendingLogin {
  std::string state_hash;  // hash of the `state` parameter, never the state itself
  std::string provider;
  std::string nonce;
  std::string code_verifier;
  std::optional<std::string> link_user_id;  // set when a signed-in user links
  std::string next_path;                    // same-origin path to return to
  std::int64_t expires_at = 0;
};

/// Federated identities and the pending logins of the code flow.
class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  /// Links an identity; kConflict when (provider, subject) is linked already,
  /// kNotFound when the user does not exist.
  virtual Result<Identity> create(const NewIdentity& in) = 0;
  /// The identity with this provider subject, or kNotFound.
  virtual Result<Identity> find_by_subject(std::string_view provider, std::string_view subject) = 0;
  /// A user's identities, oldest first (all users' when the scope is admin).
  virtual Result<std::vector<Identity>> list(const OwnerScope& scope) = 0;
  /// Records a sign-in through this identity now.
  virtual Result<void> touch_login(std::string_view id) = 0;
  /// Unlinks; another user's identity is kNotFound.
  virtual Result<void> remove(const OwnerScope& scope, std::string_view id) = 0;

  /// Stores a pending login and drops the expired ones.
  virtual Result<void> begin_login(const PendingLogin& login) = 0;
  /// Takes (deletes and returns) the pending login: kNotFound when unknown,
  /// expired or already taken, so each state works once.
  virtual Result<PendingLogin> take_login(std::string_view state_hash) = 0;
};

}  // namespace orsa::store
