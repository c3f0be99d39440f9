#pragma once

// GitHub's OAuth web flow (docs.github.com, "Authorizing OAuth apps"): the
// browser goes to /login/oauth/authorize, the code is exchanged at
// /login/oauth/access_token, and the REST API says who the token belongs
// to (/user, /user/emails, /user/orgs). There is no ID token: the answer is
// trusted because it comes over TLS from the configured API, with a token
// only this server's client secret could obtain.

#include <string>
#include <string_view>

#include "auth/oidc.hpp"
#include "core/error.hpp"
#include "services/federated_login.hpp"

namespace orsa::services::github {

/// Where the browser is sent; PKCE S256 and `state` as for OpenID.
std::string authorize_url(const IdentityProvider& p, std::string_view redirect_uri,
                          const auth::oidc::LoginSecrets& secrets);

/// Exchanges the code and reads the user: subject is the numeric user id
/// (a login can be renamed), the e-mail the primary verified one. A user in
/// none of `allowed_orgs` (when set) is kPermissionDenied.
Result<auth::oidc::IdTokenClaims> claims_for_code(ProviderHttp& http, const IdentityProvider& p,
                                                  std::string_view code,
                                                  std::string_view redirect_uri,
                                                  std::string_view code_verifier);

}  // namespace orsa::services::github
