#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/credentials.hpp"
#include "gateway/route_table.hpp"
#include "gateway/service_urls.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "services/accounts.hpp"
#include "services/builds.hpp"
#include "services/collection.hpp"
#include "services/consumer_keys.hpp"
#include "services/deployments.hpp"
#include "services/images.hpp"
#include "services/projects.hpp"
#include "services/runs.hpp"
#include "services/system.hpp"

namespace orsa::services {
class FederatedLogin;
}

namespace orsa::api {

/// Where deployed services are reached, known once their listener is bound.
class ServiceAddress {
 public:
  void set(gateway::ServiceUrls urls) {
    std::lock_guard lock(mutex_);
    urls_ = std::move(urls);
  }
  /// The base URL of a service; none before the listener is bound or when
  /// the service has no address (see gateway::service_label()).
  std::optional<std::string> url(std::string_view owner, std::string_view project) const {
    std::lock_guard lock(mutex_);
    if (!urls_) return std::nullopt;
    return urls_->url(owner, project);
  }
  /// The services' origins as a CSP source; empty before the listener is bound.
  std::string csp_source() const {
    std::lock_guard lock(mutex_);
    return urls_ ? urls_->csp_source() : std::string();
  }

 private:
  mutable std::mutex mutex_;
  std::optional<gateway::ServiceUrls> urls_;
};

/// What the REST handlers need; owned by the Deployer.
struct ApiContext {
  auth::CredentialResolver& credentials;  // who a request's token or cookie names
  services::Accounts& accounts;
  services::Projects& projects;
  services::System& system;
  http::Metrics& metrics;
  oci::Registry& registry;  // the embedded OCI registry: usage and quotas on admin routes
  services::Builds& builds;
  services::Images& images;
  services::Collection* collector = nullptr;  // POST /api/v1/admin/gc; null → 503
  services::Deployments* deployments = nullptr;
  services::Runs* runs = nullptr;                   // null → no run routes
  services::ConsumerKeys* consumer_keys = nullptr;  // null → no key or usage routes
  services::UsageMeter* meter = nullptr;            // per-key series on /metrics
  services::FederatedLogin* federated = nullptr;    // null → no sign-in providers
  gateway::RouteTable* routes = nullptr;            // per-deployment series on /metrics
  const ServiceAddress* services = nullptr;         // deployments' "url"; null → none
  // This instance among several on one database (ADR 0019), on /metrics.
  std::string instance_id;
  std::function<bool()> leading;  // holds the leader lease; null → not shown
};

/// Registers every /api and system route of the HTTP contract
/// (docs/api/openapi.yaml); the /v2 registry routes are registry::register_routes.
void register_routes(http::Router& router, ApiContext& ctx);

/// The OpenAPI document served at /api/openapi.yaml.
std::string_view openapi_document();

}  // namespace orsa::api
