// Private to the registry module: the pieces every /v2 route shares — the
// spec's error format, and admission (who is calling, may they touch this
// repository) decided from the request head before any body is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "registry/registry_api.hpp"

namespace orsa::registry {

inline constexpr std::size_t kUploadBodyLimit = 1024UL * 1024 * 1024;  // 1 GiB, spooled to disk
inline constexpr std::size_t kManifestBodyLimit = 4 * 1024 * 1024;
inline constexpr std::size_t kUnknownPathBodyLimit = 64 * 1024;

http::Response json_response(int status, const Json& body);
http::Response empty(int status);
/// Adds the Docker-Distribution-API-Version header every answer carries.
http::Response with_version(http::Response res);
/// `{"errors":[{"code","message","detail"}]}` with the status of the error class.
http::Response registry_error(const Error& e, std::optional<int> status = std::nullopt);

/// Options of a /v2 route: the distribution spec lets clients add query
/// parameters of their own (containerd's `ns=`), so none is refused; the
/// server's own refusals (an oversized manifest's 413) use the spec's error
/// format too.
inline http::RouteOptions registry_options(std::size_t body_limit = http::RouteOptions{}.body_limit,
                                           bool spool_body = false) {
  return {.body_limit = body_limit,
          .spool_body = spool_body,
          .any_query = true,
          .error_body = [](const Error& e) { return registry_error(e); }};
}

using RepoHandler =
    std::function<http::Response(http::Request&, const auth::Principal&, const std::string& repo)>;
/// A route's own checks from the request head, after access is granted
/// (e.g. that the upload session exists), so a doomed body is never read.
using RepoPrecheck =
    std::function<Result<void>(http::Request&, const auth::Principal&, const std::string& repo)>;

/// Authenticates, checks the repository name and the caller's access to it,
/// then the route's precheck, all before the body is read.
http::GuardedHandler repository_route(RegistryContext& ctx, auth::Action action,
                                      RepoHandler handler, RepoPrecheck precheck = {});
/// A /v2 route outside any repository: authentication only.
http::GuardedHandler registry_route(
    RegistryContext& ctx,
    std::function<http::Response(http::Request&, const auth::Principal&)> handler);

/// `?n=` of a listing, clamped to oci::kMaxPageSize; nullopt when absent.
Result<std::optional<std::size_t>> page_size(const http::Request& req);
/// The `Link: <…?n=&last=>; rel="next"` header when more entries follow.
void add_next_link(http::Response& res, const std::string& path, const oci::Page& page,
                   std::size_t n);

void register_blob_routes(http::Router& router, RegistryContext& ctx);
void register_manifest_routes(http::Router& router, RegistryContext& ctx);

}  // namespace orsa::registry
