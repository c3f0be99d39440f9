#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/oidc.hpp"
#include "auth/policy.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "core/role.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/identity_provider.hpp"
#include "services/registration.hpp"
#include "store/identities.hpp"
#include "store/users.hpp"

namespace orsa::services {

/// The provider's HTTP endpoints, behind a port (libcurl in production, a
/// fake in unit tests). Bodies are bounded by auth::oidc::kMaxDocumentBytes.
class ProviderHttp {
 public:
  virtual ~ProviderHttp() = default;
  virtual Result<std::string> get(const std::string& url) = 0;
  /// GET with `Authorization: Bearer <token>` (GitHub's REST API).
  virtual Result<std::string> get_authorized(const std::string& url, const std::string& token) = 0;
  virtual Result<std::string> post_form(
      const std::string& url, const std::vector<std::pair<std::string, std::string>>& fields) = 0;
};

struct FederatedTables {
  store::UserStore& users;
  store::IdentityStore& identities;
};

struct LoginStart {
  std::string authorization_url;  // where to send the browser
  std::string state;              // also bound to the browser by the caller (a cookie)
};

struct FederatedResult {
  std::optional<LoggedIn> login;  // set for a sign-in, empty after linking
  std::string next_path;
};

/// The authorization code flow with PKCE, state and nonce: start sends the
/// browser to the provider, callback turns the code into a verified ID token
/// (OpenID) or the user GitHub's API names, and a session (or links the
/// identity to the signed-in user who started).
class FederatedLogin {
 public:
  /// How long a started login may take at the provider.
  static constexpr std::int64_t kPendingSeconds = 600;

  FederatedLogin(std::vector<IdentityProvider> providers, FederatedTables tables,
                 ProviderHttp& http, const auth::SessionSigner& signer, Audit& audit,
                 const Clock& clock, Registration registration, std::string callback_base);
  ~FederatedLogin();

  const std::vector<IdentityProvider>& providers() const { return providers_; }

  /// Sign-ins a client address may start per kStartWindow: each stores a
  /// pending row, so an anonymous loop must not fill the table.
  static constexpr int kStartsPerWindow = 30;
  static constexpr std::chrono::seconds kStartWindow = std::chrono::minutes(10);

  /// `linking` is the signed-in user when they asked to link this provider.
  Result<LoginStart> start(std::string_view provider_id,
                           const std::optional<auth::Principal>& linking,
                           std::string_view next_path, const Caller& caller);
  Result<FederatedResult> callback(std::string_view provider_id, std::string_view state,
                                   std::string_view code, const Caller& caller);

  /// The caller's linked identities.
  Result<std::vector<store::Identity>> identities(const auth::Principal& who);
  /// Unlinks one of the caller's identities while another way to sign in
  /// remains (a password or another identity); kConflict otherwise.
  Result<void> unlink(const auth::Principal& who, std::string_view identity_id,
                      const Caller& caller);

  /// The redirect_uri registered at the provider for this provider id.
  std::string callback_url(std::string_view provider_id) const;
  /// ORSA's origin as browsers reach it, when known only once the listener
  /// is bound (no --public-url).
  void set_callback_base(std::string base);

 private:
  struct Live;  // discovery and key cache of one provider, fetched on first use
  Result<Live*> live(const IdentityProvider& provider);
  Result<std::string> authorization_url(const IdentityProvider& p,
                                        const auth::oidc::LoginSecrets& secrets);
  const IdentityProvider* find(std::string_view id) const;
  Result<std::string> exchange_code(const IdentityProvider& p, Live& live, std::string_view code,
                                    const store::PendingLogin& pending);
  Result<auth::oidc::IdTokenClaims> claims_for_code(const IdentityProvider& p,
                                                    std::string_view code,
                                                    const store::PendingLogin& pending);
  Result<store::User> find_or_create_user(const IdentityProvider& p,
                                          const auth::oidc::IdTokenClaims& claims,
                                          const Caller& caller);
  Result<std::string> unique_username(const auth::oidc::IdTokenClaims& claims);
  Role role_for(const IdentityProvider& p, const auth::oidc::IdTokenClaims& claims) const;

  std::vector<IdentityProvider> providers_;
  FederatedTables tables_;
  ProviderHttp& http_;
  const auth::SessionSigner& signer_;
  Audit& audit_;
  const Clock& clock_;
  Registration registration_;
  std::string callback_base_;  // guarded by mu_
  auth::LoginRateLimiter starts_;
  std::map<std::string, std::unique_ptr<Live>, std::less<>> live_;
  mutable std::mutex mu_;
};

/// A same-origin path to return to after login ("/projects/x"), else "/".
std::string safe_next_path(std::string_view next);

}  // namespace orsa::services
