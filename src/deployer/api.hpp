#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "accounts.hpp"
#include "builds.hpp"
#include "deployer/config.hpp"
#include "gateway/route_table.hpp"
#include "gateway/service_urls.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "projects.hpp"
#include "store/store.hpp"

namespace orsa::deployer {

class Collector;
class Deployments;

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
  gateway::RouteTable* routes = nullptr;     // per-deployment series on /metrics
  const ServiceAddress* services = nullptr;  // deployments' "url"; null → none
};

/// Registers every route of the HTTP contract (docs/api/openapi.yaml).
void register_routes(http::Router& router, ApiContext& ctx);

/// The OpenAPI document served at /api/openapi.yaml.
std::string_view openapi_document();

}  // namespace orsa::deployer
