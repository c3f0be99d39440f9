#pragma once

#include "deployer/accounts.hpp"
#include "deployer/builds.hpp"
#include "deployer/config.hpp"
#include "deployer/projects.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "store/store.hpp"

namespace orsa::deployer {

/// What the REST handlers need; owned by the Deployer.
struct ApiContext {
  Accounts& accounts;
  Projects& projects;
  store::Store& store;
  http::Metrics& metrics;
  const Config& config;
  oci::Registry& registry;  // the embedded OCI registry behind /v2/
  Builds& builds;
  Images& images;
};

/// Registers every route of the HTTP contract (docs/api/openapi.yaml).
void register_routes(http::Router& router, ApiContext& ctx);

/// The OpenAPI document served at /api/openapi.yaml.
std::string_view openapi_document();

}  // namespace orsa::deployer
