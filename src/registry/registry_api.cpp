// The embedded OCI registry at /v2/ (distribution spec v1.1): HTTP mapping
// only. Semantics live in oci::Registry; access is decided by auth::Policy
// through Accounts::authorize_repository; errors use the spec's JSON shape.

#include "registry/registry_api.hpp"

#include <string>

#include "core/json.hpp"
#include "oci/registry.hpp"
#include "registry_routes.hpp"

namespace orsa::registry {
namespace {

http::Response catalog(RegistryContext& ctx, http::Request& req, const auth::Principal& who) {
  auto n = page_size(req);
  if (!n) return registry_error(n.error());
  const auto visible = [&](std::string_view repo) {
    return ctx.accounts.authorize_repository(who, auth::Action::kRead, repo).has_value();
  };
  const oci::Page page = ctx.registry.catalog(visible, *n, req.query_param("last").value_or(""));
  http::Response res = json_response(200, {{"repositories", page.entries}});
  add_next_link(res, "/v2/_catalog", page, n->value_or(0));
  return with_version(std::move(res));
}

void register_base_routes(http::Router& router, RegistryContext& ctx) {
  // Clients probe /v2/ first and read the challenge from its 401.
  const auto version_check = registry_route(ctx, [](http::Request&, const auth::Principal&) {
    return json_response(200, Json::object());
  });
  router.add("GET", "/v2/", version_check, registry_options());
  router.add("GET", "/v2", version_check, registry_options());
  router.add(
      "GET", "/v2/_catalog",
      registry_route(ctx, [&ctx](http::Request& req,
                                 const auth::Principal& who) { return catalog(ctx, req, who); }),
      registry_options());
}

// Any other /v2 path: the registry's challenge first, then its error format
// (rather than the web app's catch-all).
void register_unknown_path_routes(http::Router& router, RegistryContext& ctx) {
  const auto unknown = registry_route(ctx, [](http::Request&, const auth::Principal&) {
    return registry_error(with_registry_code(
        Error{ErrorCode::kNotFound, "no such registry endpoint", {}}, "NAME_UNKNOWN"));
  });
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    router.add(method, "/v2/{path...}", unknown, registry_options(kUnknownPathBodyLimit));
  }
}

}  // namespace

void register_routes(http::Router& router, RegistryContext& ctx) {
  register_base_routes(router, ctx);
  register_blob_routes(router, ctx);
  register_manifest_routes(router, ctx);
  register_unknown_path_routes(router, ctx);
}

}  // namespace orsa::registry
