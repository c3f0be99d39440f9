#pragma once

// The sign-in providers of --oidc-* flags, --oidc-providers FILE and
// --github-* flags.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "services/identity_provider.hpp"

namespace CLI {
class App;
}

namespace orsa::deployer {

/// The flags of one provider, as given; checked by oidc_providers().
struct OidcFlags {
  std::string id = "oidc";
  std::string name = "OpenID Connect";
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string client_secret_file;
  std::string role_claim;
  std::vector<std::string> role_map;  // "VALUE=ROLE"
  std::string default_role = "viewer";
  bool trusted = false;
  std::string providers_file;  // TOML, [[provider]] tables for several
};

/// GitHub (or GitHub Enterprise Server) as a provider, id "github".
struct GitHubFlags {
  std::string client_id;
  std::string client_secret;
  std::string client_secret_file;
  std::string web_url = "https://github.com";
  std::string api_url = "https://api.github.com";
  std::vector<std::string> orgs;
  std::string default_role = "viewer";
  bool trusted = false;
};

struct SignInFlags {
  OidcFlags oidc;
  GitHubFlags github;
};

void add_sign_in_options(CLI::App& app, SignInFlags& flags);

/// The providers of the flags (OpenID when --oidc-issuer is given, GitHub
/// when --github-client-id is) and of the file, checked: ids unique slugs,
/// URLs https (http on loopback only), a client id and secret each, roles
/// known.
Result<std::vector<services::IdentityProvider>> identity_providers(const SignInFlags& flags);

}  // namespace orsa::deployer
