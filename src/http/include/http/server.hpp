#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/trusted_proxies.hpp"

namespace orsa::http {

class PassthroughHandler;  // http/passthrough.hpp

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port
  std::size_t header_limit = 16 * 1024;
  std::chrono::seconds read_timeout{30};   // whole request, once its first byte arrived
  std::chrono::seconds write_timeout{30};  // whole response
  std::chrono::seconds idle_timeout{60};   // keep-alive wait for the next request
  std::size_t max_connections = 1024;      // beyond this new connections get 503 and close
  int network_threads = 1;                 // Beast I/O threads
  int worker_threads = 4;                  // handlers (DB, git) run here, never on I/O threads
  int credential_threads = 2;              // handlers of Lane::kCredential routes
  std::size_t max_streams = 256;           // streamed responses at once (a thread each); then 503
  TrustedProxies trusted_proxies;          // whose X-Forwarded-For names the client
  /// Set on every routed response (e.g. Strict-Transport-Security behind TLS).
  std::vector<std::pair<std::string, std::string>> fixed_headers;
  std::filesystem::path spool_dir;  // bodies of spooling routes; empty: the system temp dir
};

/// The HTTP/1.1 server: Beast on Asio with C++20 coroutines. Reads each
/// request head under the limits above, routes it, runs the route's admission
/// step before reading any body, reads the body (into memory or a spool file)
/// under the route's limit, runs the handler on the worker pool, logs one line and records metrics
/// per request, and shuts down gracefully on stop().
class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts accepting; returns the bound port.
  Result<std::uint16_t> start();
  /// Blocks until stop() has finished draining.
  void wait();
  /// Stops accepting, lets in-flight requests finish (up to `grace`), closes
  /// idle keep-alive connections. Safe to call from a signal-handling thread.
  void stop(std::chrono::seconds grace = std::chrono::seconds(10));
  /// Hands requests whose target starts with `prefix` to `handler` on the
  /// connection's strand instead of the router; `route_label` names them in
  /// logs and metrics. Call before start().
  void set_passthrough(std::string prefix, std::string route_label,
                       std::shared_ptr<PassthroughHandler> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::http
