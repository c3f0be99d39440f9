#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/hash_gate.hpp"
#include "auth/login_backoff.hpp"
#include "auth/policy.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "services/audit.hpp"
#include "services/registration.hpp"
#include "store/projects.hpp"
#include "store/sessions.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"

namespace orsa::services {

struct NewAccount {
  std::string username;
  std::string email;
  std::string password;
  Role role = Role::kDeveloper;
};

struct UserChange {
  std::optional<Role> role;
  std::optional<bool> disabled;
};

struct LoggedIn {
  store::User user;
  auth::IssuedSession session;
};

struct CreatedToken {
  store::ApiToken token;
  std::string secret;  // shown once
};

/// Where a request comes from and how it authenticated (for audit and CSRF).
struct Caller {
  std::string ip;
};

/// The tables Accounts reads and writes: projects only to authorize
/// registry repositories.
struct AccountTables {
  store::UserStore& users;
  store::SessionStore& sessions;
  store::TokenStore& tokens;
  store::ProjectStore& projects;
};

/// Users, logins, sessions and API tokens (resolving credentials is
/// auth::CredentialResolver's). Policy decisions are delegated to
/// auth::Policy; this class only orchestrates store, hashing and audit.
class Accounts {
 public:
  Accounts(AccountTables tables, const auth::SessionSigner& signer,
           const auth::PushTokenSigner& push_signer, auth::LoginRateLimiter& limiter, Audit& audit,
           const Clock& clock, Registration registration);

  /// Self-service sign-up (open registration only) → a developer, logged in.
  /// A taken username or email gets one answer (409, naming neither) and
  /// counts as a failed attempt of the caller's address, so probing which
  /// emails are registered is as slow as guessing passwords.
  Result<LoggedIn> register_user(const NewAccount& account, const Caller& caller);
  /// Admin-created user (works with closed registration too).
  Result<store::User> create_user(const auth::Principal& who, const NewAccount& account,
                                  const Caller& caller);
  /// Verifies a password login: limited per client address (whatever the
  /// names tried) and slowed down per account (whatever the login form).
  Result<LoggedIn> login(std::string_view login, std::string_view password, const Caller& caller);
  /// Revokes the session `jwt` (logout); an invalid one is already no session.
  void logout(std::string_view jwt, const Caller& caller);
  /// Changes the caller's password (the current one must be given), revokes
  /// every other session and returns a fresh one. Sessions only: an API
  /// token cannot change the password of its owner.
  Result<LoggedIn> change_password(const auth::Principal& who, std::string_view current,
                                   std::string_view replacement, const Caller& caller);

  /// Creates the first admin when the database has no users. Returns the
  /// generated password when one had to be made up (to print once).
  Result<std::optional<std::string>> bootstrap_admin(const std::string& username,
                                                     const std::string& email,
                                                     const std::optional<std::string>& password);

  /// Verifies a password for a non-interactive client (registry Basic auth,
  /// through auth::CredentialResolver) under the limits of a login; the user
  /// id. Turned away rather than queued when every hashing slot is busy.
  Result<std::string> check_password(std::string_view login, std::string_view password,
                                     const Caller& caller);
  /// A 15-minute push token for `repository` ("<owner>/<project>") on behalf
  /// of `who`, who must be allowed to push there (for the build queue).
  Result<std::string> issue_push_token(const auth::Principal& who, std::string_view repository);
  /// A 15-minute pull-only token for `repository` on behalf of `who` (who
  /// must be allowed to pull it): what the container runtime pulls with.
  Result<std::string> issue_pull_token(const auth::Principal& who, std::string_view repository);
  /// May `who` pull (kRead) or push (kWrite) the registry repository? Looks
  /// the project up through the owner-scoped store, then asks auth::Policy.
  Result<void> authorize_repository(const auth::Principal& who, auth::Action action,
                                    std::string_view repository);

  Result<store::User> me(const auth::Principal& who);
  Result<std::vector<store::User>> list_users(const auth::Principal& who);
  Result<store::User> update_user(const auth::Principal& who, std::string_view user_id,
                                  const UserChange& change, const Caller& caller);

  /// A new API token with `scopes` (default: the caller's own). A token
  /// cannot mint scopes it lacks, nor outlive the token that minted it.
  Result<CreatedToken> create_token(const auth::Principal& who, std::string_view name,
                                    std::optional<std::int64_t> expires_in_days,
                                    std::optional<std::uint8_t> scopes, const Caller& caller);
  Result<std::vector<store::ApiToken>> list_tokens(const auth::Principal& who);
  Result<void> revoke_token(const auth::Principal& who, std::string_view token_id,
                            const Caller& caller);

 private:
  Result<store::User> insert_user(const NewAccount& account);
  Result<store::User> verify_password_login(std::string_view login, std::string_view password,
                                            const Caller& caller, auth::HashGate::Wait wait);

  store::UserStore& users_;
  store::SessionStore& sessions_;
  store::TokenStore& tokens_;
  store::ProjectStore& projects_;
  const auth::SessionSigner& signer_;
  const auth::PushTokenSigner& push_signer_;
  auth::LoginRateLimiter& limiter_;  // failures per client address
  Audit& audit_;
  const Clock& clock_;
  Registration registration_;
  auth::LoginBackoff account_backoff_;  // failures per account
  auth::HashGate hash_gate_;
  std::string dummy_hash_;  // verified against when a login names no user (timing)
};

/// Trims and lower-cases an email and checks its shape.
Result<std::string> normalize_email(std::string_view email);

}  // namespace orsa::services
