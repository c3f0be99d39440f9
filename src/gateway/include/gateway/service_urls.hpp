#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace orsa::gateway {

/// A deployed service named by a request: views into the request.
struct ServiceName {
  std::string_view owner;
  std::string_view project;
};

/// The DNS label of a service in domain mode, "<project>--<owner>"; none when
/// the pair has no unambiguous label (a name holding "--", a project ending in
/// '-', or a label longer than DNS allows), so two services never share one.
std::optional<std::string> service_label(std::string_view owner, std::string_view project);

/// The service a Host header names under `domain` (a host name without port):
/// "<project>--<owner>.<domain>[:port]", letter case ignored in the domain.
std::optional<ServiceName> parse_service_host(std::string_view host, std::string_view domain);

/// Where browsers reach deployed services, never on ORSA's own origin.
struct ServiceUrls {
  /// Path mode: the services listener's origin, e.g. "http://127.0.0.1:8081";
  /// a service is at <origin>/<owner>/<project>/.
  std::string origin;
  /// Domain mode when set: "apps.example.net" (may end in ":port"); a service
  /// is at <scheme>://<project>--<owner>.<domain>/.
  std::string domain;
  std::string scheme = "http";

  /// Every service origin as one CSP source expression.
  std::string csp_source() const;
  /// The base URL of a service (ends with '/'); none when it has no address.
  std::optional<std::string> url(std::string_view owner, std::string_view project) const;
};

}  // namespace orsa::gateway
