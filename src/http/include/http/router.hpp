#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  kInline,      // the connection's own network thread, no hop: only for
                // handlers that never block and take microseconds (liveness)
};

/// Decides from the request head alone (no body yet) whether the request may
/// go on: nullopt to continue (it may leave what it learned in
/// Request::context), or the response to send instead. The server runs it on
/// the worker pool before reading any body, so an unauthenticated or
/// unauthorized caller cannot make the server receive one.
using Admission = std::function<std::optional<Response>(Request&)>;

/// A handler with its admission step.
struct GuardedHandler {
  Admission admit;
  Handler handler;
};

/// Per-route settings; the defaults are the server's.
struct RouteOptions {
  std::size_t body_limit = 10 * 1024 * 1024;  // 413 beyond this
  Lane lane = Lane::kDefault;
  // The body goes to a file under the server's spool directory as it
  // arrives (Request::body_file) instead of into memory.
  bool spool_body = false;
  // The query parameters the route reads. Any other one is a 400 naming it,
  // before admission and handler: a misspelt or misplaced parameter (say
  // `?dry_run=true` on a route that only reads it from the body) must never
  // be silently ignored.
  std::vector<std::string> query;
  // Accept any query parameter: the web app's pages, and the OCI registry,
  // whose clients add parameters of their own (containerd's `ns=`).
  bool any_query = false;
  // How the server words its own refusals of this route's request (a body
  // over the limit, malformed or not storable): the OCI registry answers in
  // the distribution spec's error format. Empty: error_response.
  std::function<Response(const Error&)> error_body;
};

/// One registered route, as listed for documentation checks.
struct RouteInfo {
  std::string method;
  std::string pattern;
  std::vector<std::string> query;  // RouteOptions::query
  bool any_query = false;
};

/// The 400 for a query parameter the route does not read, or nullopt.
std::optional<Response> refuse_unknown_query(const RouteOptions& route, const Request& request);

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
  /// Registers a handler whose admission step runs before the body is read.
  void add(std::string_view method, std::string_view pattern, GuardedHandler guarded,
           RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    const Admission* admit = nullptr;  // null when the route has no admission step
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
