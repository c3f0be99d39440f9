#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace orsa::http {

using Handler = std::function<Response(Request&)>;

/// Which thread pool runs a route's handler.
enum class Lane {
  kDefault,     // the worker pool (DB, git)
  kCredential,  // its own small pool: handlers that hash passwords (argon2,
                // 64 MiB and ~100 ms each) never hold up the cheap requests
};

/// Per-route settings; the defaults are the server's.
struct RouteOptions {
  std::size_t body_limit = 10 * 1024 * 1024;  // 413 beyond this
  Lane lane = Lane::kDefault;
};

/// One registered route, as listed for documentation checks.
struct RouteInfo {
  std::string method;
  std::string pattern;
};

/// Maps (method, path) to a handler. Patterns are literal segments and
/// `{name}` parameters matching one segment; a final `{name...}` matches the
/// rest of the path (one or more segments, slashes included). Literal
/// segments win over parameters, so `/builds/{id}` and `/builds/new` coexist.
class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Registers a handler; duplicate (method, pattern) is a programming error.
  void add(std::string_view method, std::string_view pattern, Handler handler,
           RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    const RouteOptions* options = nullptr;
    std::string pattern;  // the matched route pattern (metrics label)
    std::map<std::string, std::string> params;
    bool method_not_allowed = false;  // path matched, method did not → 405
    std::string allow;                // the Allow header value when method_not_allowed
  };
  /// Finds the route for a request path (already percent-decoded); HEAD falls
  /// back to the GET route when no HEAD route is registered.
  Match match(std::string_view method, std::string_view path) const;

  /// Every registered route.
  std::vector<RouteInfo> routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::http
