#pragma once

#include "deployer/accounts.hpp"
#include "deployer/builds.hpp"
#include "deployer/config.hpp"
#include "deployer/projects.hpp"
#include "gateway/route_table.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "store/store.hpp"

namespace orsa::deployer {

class Collector;
class Deployments;

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
  Collector* collector = nullptr;  // POST /api/v1/admin/gc; null → 503
  Deployments* deployments = nullptr;
  gateway::RouteTable* routes = nullptr;  // per-deployment series on /metrics
};

/// Registers every route of the HTTP contract (docs/api/openapi.yaml).
void register_routes(http::Router& router, ApiContext& ctx);

/// The OpenAPI document served at /api/openapi.yaml.
std::string_view openapi_document();

}  // namespace orsa::deployer
