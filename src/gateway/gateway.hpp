#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "gateway/route_table.hpp"
#include "http/message.hpp"

namespace orsa::http {
class Server;
class PassthroughHandler;
}  // namespace orsa::http

namespace orsa::gateway {

/// Requests under this prefix go to the gateway.
inline constexpr std::string_view kPathPrefix = "/s/";
/// The route label of gateway requests in the server's log line and metrics.
inline constexpr std::string_view kRouteLabel = "/s/{owner}/{project}/{path...}";

struct Options {
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds request_timeout{300'000};  // the whole exchange, both sides
  std::size_t max_idle_per_upstream = 64;              // pooled keep-alive connections
  std::chrono::milliseconds idle_timeout{30'000};  // a pooled connection unused this long closes
  std::chrono::milliseconds wake_timeout{60'000};  // how long a request waits for an idle route
  std::chrono::milliseconds wake_poll{20};         // how often it looks
  std::size_t body_limit = 100 * 1024 * 1024;      // request bodies; 413 beyond
  std::size_t header_limit = 16 * 1024;            // upstream response headers; 502 beyond
};

/// Decisions the control plane makes for the gateway.
struct Hooks {
  /// May the caller reach this private route? Blocking (reads the DB): runs on
  /// the server's worker pool. The request has no body. Unset: nobody may.
  std::function<bool(const Route&, const http::Request&)> authorize;
  /// Starts an idle deployment; must not block (it enqueues).
  std::function<void(const Route&)> wake;
};

/// The reverse proxy for /s/<owner>/<project>/<path>: routes by the
/// RouteTable, streams bodies both ways with keep-alive upstream pools, and
/// records per-deployment metrics into the table. One Gateway per Server.
class Gateway {
 public:
  /// `routes` must outlive the server the gateway is mounted on.
  Gateway(RouteTable& routes, Options options = {}, Hooks hooks = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Serves kPathPrefix on `server`; call before server.start().
  void mount(http::Server& server);
  /// The server hook itself, for mounting by hand.
  std::shared_ptr<http::PassthroughHandler> handler() const;

 private:
  class Proxy;
  std::shared_ptr<Proxy> proxy_;
};

}  // namespace orsa::gateway
