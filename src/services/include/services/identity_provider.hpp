#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/role.hpp"

namespace orsa::services {

/// How a provider proves who signed in.
enum class ProviderKind {
  kOidc,    // OpenID Connect: a signed ID token, endpoints from discovery
  kGitHub,  // GitHub's OAuth web flow: an access token, then its REST API
};

/// One configured sign-in provider (--oidc-*, --github-* or
/// --oidc-providers FILE). Kept apart from FederatedLogin so the
/// configuration needs no OpenSSL or store headers.
struct IdentityProvider {
  std::string id;    // in URLs and the identities table ("keycloak")
  std::string name;  // button label ("Company SSO")
  // OpenID Connect: the issuer. GitHub: the web origin (https://github.com,
  // or a GitHub Enterprise Server's).
  std::string issuer;
  std::string client_id;
  std::string client_secret;             // never logged
  std::string role_claim;                // e.g. "groups"; empty: default role for everyone
  std::map<std::string, Role> role_map;  // claim value → role
  Role default_role = Role::kViewer;
  bool trusted = false;  // may create users when registration is closed
  ProviderKind kind = ProviderKind::kOidc;
  // GitHub only: the REST API's base (https://api.github.com, or
  // https://HOST/api/v3), and the organisations a user must belong to one
  // of (empty: any GitHub user).
  std::string api_url;
  std::vector<std::string> allowed_orgs;
};

}  // namespace orsa::services
