#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/credential_cache.hpp"
#include "auth/credential_directory.hpp"
#include "auth/policy.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace orsa::auth {

/// Resolves a request's credentials to the principal acting: API tokens,
/// session JWTs, registry push/pull tokens and HTTP Basic. Users and tokens
/// come from a CredentialDirectory; the user row is read on every call, so
/// disabling a user ends all their sessions and tokens at once.
class CredentialResolver {
 public:
  /// Verifies a password login for a non-interactive client and returns the
  /// user id; the rate limits, backoff and audit of logins are its own.
  using PasswordCheck = std::function<Result<std::string>(
      std::string_view login, std::string_view password, std::string_view ip)>;

  CredentialResolver(CredentialDirectory& directory, const SessionSigner& signer,
                     const PushTokenSigner& push_signer, const Clock& clock,
                     PasswordCheck check_password);

  /// A bearer value (API token or session JWT) → its principal.
  Result<Principal> authenticate_bearer(std::string_view bearer);
  /// A session JWT; also returns its CSRF claim for the cookie check.
  Result<std::pair<Principal, std::string>> authenticate_session(std::string_view jwt);
  /// HTTP Basic credentials for the registry: (username or email, password),
  /// (username, API token), (username, session JWT from /auth/login) or
  /// (username, push or pull token: the builder and the runtime). Verified
  /// passwords are cached for a minute.
  Result<Principal> authenticate_basic(std::string_view login, std::string_view password,
                                       std::string_view ip);
  /// A registry bearer: a push token (scoped principal), an API token or a
  /// session JWT.
  Result<Principal> authenticate_registry_bearer(std::string_view bearer);

 private:
  Result<DirectoryUser> active_user(std::string_view user_id);
  Result<Principal> active_principal(std::string_view user_id, bool via_api_token);
  Result<Principal> registry_token_principal(const PushClaims& claims);

  CredentialDirectory& directory_;
  const SessionSigner& signer_;
  const PushTokenSigner& push_signer_;
  const Clock& clock_;
  PasswordCheck check_password_;
  CredentialCache basic_cache_;
};

}  // namespace orsa::auth
