#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/route_table.hpp"
#include "http/message.hpp"

namespace orsa::http {
class Server;
class PassthroughHandler;
}  // namespace orsa::http

namespace orsa::gateway {

/// The gateway serves every path of its own listener.
inline constexpr std::string_view kPathPrefix = "/";
/// The route labels of gateway requests in the server's log line and metrics.
inline constexpr std::string_view kRouteLabel = "/{owner}/{project}/{path...}";
inline constexpr std::string_view kDomainRouteLabel = "{project}--{owner}/{path...}";
/// The header a consumer key may come in (besides `Authorization: Bearer`);
/// like Authorization, it never reaches the service.
inline constexpr std::string_view kApiKeyHeader = "X-Api-Key";
/// The old service paths on ORSA's own origin, now only redirected.
inline constexpr std::string_view kLegacyPrefix = "/s/";
inline constexpr std::string_view kLegacyRouteLabel = "/s/{owner}/{project}/{path...}";
/// The sandbox a response gets when every service shares one origin: scripts
/// and forms run, but in an opaque origin (no allow-same-origin), so a page
/// reads no cookie and no storage of the origin and registers no service worker.
inline constexpr std::string_view kSandboxPolicy =
    "sandbox allow-scripts allow-forms allow-popups allow-downloads";

struct Options {
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds request_timeout{300'000};  // the whole exchange, both sides
  std::size_t max_idle_per_upstream = 64;              // pooled keep-alive connections
  std::chrono::milliseconds idle_timeout{30'000};  // a pooled connection unused this long closes
  std::chrono::milliseconds wake_timeout{60'000};  // how long a request waits for an idle route
  // How often it looks: a paused deployment thaws in ~10–30 ms, so finely.
  std::chrono::milliseconds wake_poll{2};
  std::size_t body_limit = 100 * 1024 * 1024;  // request bodies; 413 beyond
  std::size_t header_limit = 16 * 1024;        // upstream response headers; 502 beyond
  // Passive health of a deployment's replicas: after this many failures in a
  // row (refused, reset, no answer) a replica gets no calls for `ejection`.
  std::uint32_t eject_after_failures = 3;
  std::chrono::milliseconds ejection{5'000};
  /// Host-based routing: "<project>--<owner>.<services_domain>" names the
  /// service (a host name, no port), one origin per service. Empty: the path
  /// does, /<owner>/<project>/…, every service shares the listener's origin
  /// and each response is sandboxed (kSandboxPolicy).
  std::string services_domain;
  /// The web app's origin ("http://127.0.0.1:8080"): a request it sends gets a
  /// CORS grant without credentials (the "Try it" form). Empty: no grants.
  std::string app_origin;
};

/// Decisions the control plane makes for the gateway.
/// Who may make one call, as the control plane decides it.
struct Admission {
  enum class Verdict {
    kAllow,
    kNotFound,      // 404, the answer for a project that does not exist
    kUnauthorized,  // 401 with `message` (a revoked or expired key)
    kTooMany,       // 429 with `message`, and Retry-After when `retry_after_s` > 0
  };
  Verdict verdict = Verdict::kNotFound;
  std::string message;
  std::int64_t retry_after_s = 0;
  std::string consumer_key_id;  // the key the call was made with (metering)
  std::string user_id;          // the signed-in caller, if any (metering)

  static Admission allow() { return {.verdict = Verdict::kAllow}; }
};

/// One call as it ended, for usage metering.
struct CallRecord {
  const Route& route;
  const Admission& admission;  // kAllow with no ids for anonymous public calls
  int status = 0;
  std::uint64_t bytes_in = 0;   // request body bytes forwarded
  std::uint64_t bytes_out = 0;  // response body bytes sent
  bool refused = false;         // turned away by `admit` (401, 429)
};

struct Hooks {
  /// Who may make this call. Asked for every call to a private route and for
  /// calls to a public one that carry credentials (a consumer key is checked,
  /// and counted against its limits, wherever it is presented). Blocking
  /// (reads the DB): runs on the server's worker pool. The request has no
  /// body and no Cookie header: services are called with a bearer token or a
  /// consumer key, never with ORSA's cookies, which any page on the services
  /// origin could make the browser send. Unset: private routes are closed.
  std::function<Admission(const Route&, const http::Request&)> admit;
  /// `admit` from memory alone, asked first on the network thread: an
  /// answer saves the trip to the worker pool (a consumer key in the gate's
  /// cache); none sends the call to `admit`. Must not block.
  std::function<std::optional<Admission>(const Route&, const http::Request&)> try_admit;
  /// Starts an idle deployment; must not block (it enqueues).
  std::function<void(const Route&)> wake;
  /// Each call of a known route as it ends, on a network thread: must not
  /// block (count in memory).
  std::function<void(const CallRecord&)> meter;
};

/// The reverse proxy of the services listener, never mounted on ORSA's own
/// origin: routes /<owner>/<project>/<path> (or the Host, see
/// Options::services_domain) by the RouteTable, streams bodies both ways with
/// keep-alive upstream pools, and records per-deployment metrics into the
/// table. ORSA's credentials (cookies, Authorization, X-CSRF-Token) never
/// reach a service; a service cannot set ORSA's cookies or widen a service
/// worker's scope. One Gateway per Server.
class Gateway {
 public:
  /// `routes` must outlive the server the gateway is mounted on.
  Gateway(RouteTable& routes, Options options = {}, Hooks hooks = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Serves every path of `server`; call before server.start().
  void mount(http::Server& server);
  /// The server hook itself, for mounting by hand.
  std::shared_ptr<http::PassthroughHandler> handler() const;

 private:
  class Proxy;
  std::shared_ptr<Proxy> proxy_;
};

/// The service URL of an owner's project; none when it has no address.
using ServiceUrlOf =
    std::function<std::optional<std::string>(std::string_view owner, std::string_view project)>;

/// Answers /s/<owner>/<project>/<rest> on ORSA's own origin with a 308 (the
/// method and body are kept) to <service URL><rest>, without reading the
/// body; nothing of a service is served there. Call before server.start().
void mount_legacy_redirect(http::Server& server, ServiceUrlOf service_url);

}  // namespace orsa::gateway
