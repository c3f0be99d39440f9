#include "http/router.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

namespace orsa::http {
namespace {

constexpr std::size_t kMaxParams = 16;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  Admission admit;
  RouteOptions options;
  std::vector<std::string> param_names;  // in path order, the tail last
};

// One trie level per path segment; literal children beat the parameter child,
// which beats the tail child.
struct Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;
  std::unique_ptr<Node> tail;
  std::vector<const Route*> routes;  // routes ending exactly here
};

using Captures = std::array<std::string_view, kMaxParams>;

struct Search {
  std::string_view method;
  Captures captures{};
  std::size_t depth = 0;
  const Node* path_node = nullptr;  // first node whose path matched (for 405)
};

const Route* route_for_method(const Node& node, std::string_view method) {
  for (const Route* r : node.routes) {
    if (r->method == method) return r;
  }
  // HEAD is served by the GET handler; the server drops the body.
  if (method == "HEAD") {
    for (const Route* r : node.routes) {
      if (r->method == "GET") return r;
    }
  }
  return nullptr;
}

const Route* at_end(const Node& node, Search& s) {
  if (node.routes.empty()) return nullptr;
  if (s.path_node == nullptr) s.path_node = &node;
  return route_for_method(node, s.method);
}

// `rest` is empty or starts with '/'.
const Route* find(const Node& node, std::string_view rest, Search& s) {
  if (rest.empty()) return at_end(node, s);
  const std::string_view after_slash = rest.substr(1);
  const auto slash = after_slash.find('/');
  const std::string_view segment = after_slash.substr(0, slash);
  const std::string_view next =
      slash == std::string_view::npos ? std::string_view() : after_slash.substr(slash);

  if (const auto it = node.literals.find(segment); it != node.literals.end()) {
    if (const Route* r = find(*it->second, next, s)) return r;
  }
  if (node.param && !segment.empty() && s.depth < kMaxParams) {
    s.captures[s.depth++] = segment;
    if (const Route* r = find(*node.param, next, s)) return r;
    --s.depth;
  }
  if (node.tail && !after_slash.empty() && s.depth < kMaxParams) {
    s.captures[s.depth++] = after_slash;
    if (const Route* r = at_end(*node.tail, s)) return r;
    --s.depth;
  }
  return nullptr;
}

std::string allowed_methods(const Node& node) {
  std::string allow;
  bool has_get = false;
  bool has_head = false;
  for (const Route* r : node.routes) {
    if (!allow.empty()) allow += ", ";
    allow += r->method;
    has_get = has_get || r->method == "GET";
    has_head = has_head || r->method == "HEAD";
  }
  if (has_get && !has_head) allow += ", HEAD";
  return allow;
}

[[noreturn]] void bad_pattern(std::string_view pattern, std::string_view why) {
  // A malformed route table is a programming error found at startup.
  throw std::logic_error("route pattern '" + std::string(pattern) + "': " + std::string(why));
}

}  // namespace

struct Router::Impl {
  Node root;
  std::vector<std::unique_ptr<Route>> routes;
};

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;

void Router::add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  add(method, pattern, GuardedHandler{nullptr, std::move(handler)}, std::move(options));
}

void Router::add(std::string_view method, std::string_view pattern, GuardedHandler guarded,
                 RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') bad_pattern(pattern, "must start with '/'");
  auto route = std::make_unique<Route>(Route{std::string(method),
                                             std::string(pattern),
                                             std::move(guarded.handler),
                                             std::move(guarded.admit),
                                             std::move(options),
                                             {}});
  Node* node = &impl_->root;
  std::string_view rest = pattern == "/" ? std::string_view() : pattern;
  while (!rest.empty()) {
    const std::string_view after_slash = rest.substr(1);
    const auto slash = after_slash.find('/');
    const std::string_view segment = after_slash.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : after_slash.substr(slash);
    const bool is_param = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
    if (!is_param) {
      if (segment.find_first_of("{}") != std::string_view::npos) bad_pattern(pattern, "bad '{'");
      auto& child = node->literals[std::string(segment)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
      continue;
    }
    std::string_view name = segment.substr(1, segment.size() - 2);
    const bool is_tail = name.ends_with("...");
    if (is_tail) name.remove_suffix(3);
    if (name.empty()) bad_pattern(pattern, "empty parameter name");
    if (route->param_names.size() == kMaxParams) bad_pattern(pattern, "too many parameters");
    route->param_names.emplace_back(name);
    auto& child = is_tail ? node->tail : node->param;
    if (!child) child = std::make_unique<Node>();
    node = child.get();
    if (is_tail && !rest.empty()) bad_pattern(pattern, "a tail parameter must be last");
  }
  for (const Route* r : node->routes) {
    if (r->method == route->method) bad_pattern(pattern, "duplicate route for " + r->method);
  }
  node->routes.push_back(route.get());
  impl_->routes.push_back(std::move(route));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  if (path.empty() || path.front() != '/') return result;
  Search s;
  s.method = method;
  const Route* route = find(impl_->root, path == "/" ? std::string_view() : path, s);
  if (route == nullptr) {
    if (s.path_node != nullptr) {
      result.method_not_allowed = true;
      result.allow = allowed_methods(*s.path_node);
    }
    return result;
  }
  result.handler = &route->handler;
  if (route->admit) result.admit = &route->admit;
  result.options = &route->options;
  result.pattern = route->pattern;
  for (std::size_t i = 0; i < route->param_names.size(); ++i) {
    result.params.emplace(route->param_names[i], s.captures[i]);
  }
  return result;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(impl_->routes.size());
  for (const auto& r : impl_->routes)
    out.push_back({r->method, r->pattern, r->options.query, r->options.any_query});
  return out;
}

std::optional<Response> refuse_unknown_query(const RouteOptions& route, const Request& request) {
  if (route.any_query) return std::nullopt;
  for (const auto& [name, value] : request.query) {
    if (std::ranges::find(route.query, name) != route.query.end()) continue;
    std::string accepted;
    for (const auto& known : route.query) accepted += (accepted.empty() ? "" : ", ") + known;
    return error_response(Error::invalid_argument(
        "unknown query parameter '" + name + "'; " +
        (accepted.empty() ? "this route takes none" : "this route accepts: " + accepted)));
  }
  return std::nullopt;
}

}  // namespace orsa::http
