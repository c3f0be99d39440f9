#pragma once

#include "auth/credentials.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "services/accounts.hpp"

namespace orsa::registry {

/// What the /v2 handlers need; owned by the Deployer.
struct RegistryContext {
  auth::CredentialResolver& credentials;  // resolves Basic/Bearer credentials
  services::Accounts& accounts;           // authorizes repositories
  oci::Registry& registry;                // the embedded OCI registry behind /v2/
};

/// Registers the OCI distribution API at /v2/ (docs/api/openapi.yaml).
void register_routes(http::Router& router, RegistryContext& ctx);

}  // namespace orsa::registry
