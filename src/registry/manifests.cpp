// The /v2 manifest routes: pull by tag or digest, push, delete, the tag
// listing and the referrers API (distribution spec v1.1).

#include <optional>
#include <string>

#include "core/json.hpp"
#include "oci/registry.hpp"
#include "registry_routes.hpp"

namespace orsa::registry {
namespace {

http::Response manifest_response(RegistryContext& ctx, http::Request& req, const std::string& repo,
                                 bool head) {
  auto manifest = ctx.registry.get_manifest(repo, req.param("reference"));
  if (!manifest) return registry_error(manifest.error());
  http::Response res = empty(200);
  // The document is served as pushed, whatever the Accept header lists:
  // re-encoding would change its digest.
  res.set_header("Content-Type", manifest->media_type.empty()
                                     ? "application/vnd.oci.image.manifest.v1+json"
                                     : manifest->media_type);
  res.set_header("Docker-Content-Digest", manifest->digest.str());
  res.set_header("ETag", "\"" + manifest->digest.str() + "\"");
  if (head) {
    res.set_header("Content-Length", std::to_string(manifest->bytes.size()));
    return res;
  }
  res.body = std::move(manifest->bytes);
  return res;
}

http::Response put_manifest(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const std::string_view content_type = req.header("Content-Type").value_or("");
  auto digest = ctx.registry.put_manifest(repo, req.param("reference"), req.body, content_type);
  if (!digest) return registry_error(digest.error());
  http::Response res = empty(201);
  res.set_header("Location", "/v2/" + repo + "/manifests/" + digest->str());
  res.set_header("Docker-Content-Digest", digest->str());
  // The spec's signal that this registry indexes referrers itself, so the
  // client need not maintain a fallback tag.
  if (auto subject = oci::subject_of(req.body)) res.set_header("OCI-Subject", subject->str());
  return res;
}

http::Response tags_list(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  auto n = page_size(req);
  if (!n) return registry_error(n.error());
  auto page = ctx.registry.list_tags(repo, *n, req.query_param("last").value_or(""));
  if (!page) return registry_error(page.error());
  http::Response res = json_response(200, {{"name", repo}, {"tags", page->entries}});
  add_next_link(res, "/v2/" + repo + "/tags/list", *page, n->value_or(0));
  return res;
}

// GET /v2/<name>/referrers/<digest>[?artifactType=]: always an image index,
// empty for an unknown subject.
http::Response referrers(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const auto artifact_type = req.query_param("artifactType");
  auto index = ctx.registry.referrers(repo, req.param("digest"), artifact_type.value_or(""));
  if (!index) return registry_error(index.error());
  http::Response res = http::json_text_response(200, std::move(*index));
  res.set_header("Content-Type", "application/vnd.oci.image.index.v1+json");
  if (artifact_type) res.set_header("OCI-Filters-Applied", "artifactType");
  return res;
}

}  // namespace

void register_manifest_routes(http::Router& router, RegistryContext& ctx) {
  using auth::Action;
  const std::string path = "/v2/{owner}/{project}/manifests/{reference}";
  router.add("GET", path,
             repository_route(ctx, Action::kRead,
                              [&ctx](auto& req, auto&, auto& repo) {
                                return manifest_response(ctx, req, repo, false);
                              }),
             registry_options());
  router.add("HEAD", path,
             repository_route(ctx, Action::kRead,
                              [&ctx](auto& req, auto&, auto& repo) {
                                return manifest_response(ctx, req, repo, true);
                              }),
             registry_options());
  router.add("PUT", path,
             repository_route(
                 ctx, Action::kWrite,
                 [&ctx](auto& req, auto&, auto& repo) { return put_manifest(ctx, req, repo); }),
             registry_options(kManifestBodyLimit));
  router.add("DELETE", path,
             repository_route(
                 ctx, Action::kWrite,
                 [&ctx](auto& req, auto&, auto& repo) {
                   if (auto ok = ctx.registry.delete_manifest(repo, req.param("reference")); !ok) {
                     return registry_error(ok.error());
                   }
                   return empty(202);
                 }),
             registry_options());
  router.add(
      "GET", "/v2/{owner}/{project}/referrers/{digest}",
      repository_route(ctx, Action::kRead,
                       [&ctx](auto& req, auto&, auto& repo) { return referrers(ctx, req, repo); }),
      registry_options());
  router.add(
      "GET", "/v2/{owner}/{project}/tags/list",
      repository_route(ctx, Action::kRead,
                       [&ctx](auto& req, auto&, auto& repo) { return tags_list(ctx, req, repo); }),
      registry_options());
}

}  // namespace orsa::registry
