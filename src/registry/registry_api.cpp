// The embedded OCI registry at /v2/ (distribution spec v1.1): HTTP mapping
// only. Semantics live in oci::Registry; access is decided by auth::Policy
// through Accounts::authorize_repository; errors use the spec's JSON shape.

#include "registry/registry_api.hpp"

#include <algorithm>
#include <any>
#include <charconv>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "core/strings.hpp"
#include "oci/blob_store.hpp"
#include "oci/registry.hpp"

namespace orsa::registry {
namespace {

constexpr std::size_t kUploadBodyLimit = 1024UL * 1024 * 1024;  // 1 GiB, spooled to disk
constexpr std::size_t kManifestBodyLimit = 4 * 1024 * 1024;
constexpr std::size_t kUnknownPathBodyLimit = 64 * 1024;
constexpr std::string_view kApiVersionHeader = "Docker-Distribution-API-Version";
constexpr std::string_view kApiVersion = "registry/2.0";
constexpr std::string_view kChallenge = R"(Basic realm="orsa")";

http::Response json_response(int status, const Json& body) {
  return http::json_text_response(status, body.dump());
}

// The spec's code for an error: the one oci put in `detail`, else by class.
std::string_view spec_code(const Error& e) {
  if (!e.registry_code.empty()) return e.registry_code;
  switch (e.code) {
    case ErrorCode::kUnauthenticated:
      return "UNAUTHORIZED";
    case ErrorCode::kPermissionDenied:
      return "DENIED";
    case ErrorCode::kNotFound:
      return "NAME_UNKNOWN";
    case ErrorCode::kTooLarge:
      return "SIZE_INVALID";
    case ErrorCode::kRateLimited:
      return "TOOMANYREQUESTS";
    default:
      return "UNKNOWN";
  }
}

http::Response with_version(http::Response res) {
  res.set_header(kApiVersionHeader, std::string(kApiVersion));
  return res;
}

/// `{"errors":[{"code","message","detail"}]}` with the status of the error class.
http::Response registry_error(const Error& e, std::optional<int> status = std::nullopt) {
  const std::string_view code = spec_code(e);
  int http_status = status.value_or(http::status_for(e.code));
  if (code == "UNSUPPORTED") http_status = 405;
  if (code == "RANGE_INVALID") http_status = 416;
  Json body = {{"errors", Json::array({{{"code", code == "RANGE_INVALID" ? "SIZE_INVALID" : code},
                                        {"message", e.message},
                                        {"detail", Json::object()}}})}};
  http::Response res = http::json_text_response(
      http_status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (http_status == 401) res.set_header("WWW-Authenticate", std::string(kChallenge));
  if (http_status == 429)
    res.set_header("Retry-After", std::to_string(e.retry_after_s.value_or(60)));
  return with_version(std::move(res));
}

// Standard base64 with padding, as HTTP Basic uses; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=') {
      if (i + 2 < in.size() || ++pad > 2) return std::nullopt;
      continue;
    }
    const auto v = kAlphabet.find(in[i]);
    if (v == std::string_view::npos || pad > 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

/// The caller from `Authorization: Basic` or `Bearer`; cookies are ignored
/// on /v2, so no cross-site request can act on the registry.
Result<auth::Principal> registry_caller(auth::CredentialResolver& credentials,
                                        const http::Request& req) {
  const auto header = req.header("Authorization");
  if (!header) return fail(Error::unauthenticated("authentication required"));
  if (header->starts_with("Basic ")) {
    const auto decoded = base64_decode(header->substr(6));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return fail(Error::unauthenticated("Basic credentials must be base64 of user:password"));
    }
    return credentials.authenticate_basic(std::string_view(*decoded).substr(0, colon),
                                          std::string_view(*decoded).substr(colon + 1),
                                          req.remote_ip);
  }
  if (header->starts_with("Bearer ") && header->size() > 7) {
    return credentials.authenticate_registry_bearer(header->substr(7));
  }
  return fail(Error::unauthenticated("Authorization must be Basic or Bearer"));
}

// Policy's not-found/forbidden in the registry's vocabulary.
Error access_error(Error e) {
  if (e.code == ErrorCode::kNotFound) {
    e.message = "repository name not known to registry";
    e.registry_code = "NAME_UNKNOWN";
  } else if (e.code == ErrorCode::kPermissionDenied) {
    e.registry_code = "DENIED";
  }
  return e;
}

using RepoHandler =
    std::function<http::Response(http::Request&, const auth::Principal&, const std::string& repo)>;
/// A route's own checks from the request head, after access is granted
/// (e.g. that the upload session exists), so a doomed body is never read.
using RepoPrecheck =
    std::function<Result<void>(http::Request&, const auth::Principal&, const std::string& repo)>;

/// Who the admission step let in, for the handler.
struct Admitted {
  auth::Principal who;
  std::string repo;  // empty on routes without a repository
};

/// The admission step of every /v2 route: the caller from the headers, and
/// for a repository route the name and the caller's access to it.
http::Admission registry_admission(RegistryContext& ctx, std::optional<auth::Action> action,
                                   RepoPrecheck precheck = {}) {
  return [&ctx, action,
          precheck = std::move(precheck)](http::Request& req) -> std::optional<http::Response> {
    auto who = registry_caller(ctx.credentials, req);
    if (!who) return registry_error(who.error());
    Admitted admitted{std::move(*who), {}};
    if (action) {
      admitted.repo = std::string(req.param("owner")) + "/" + std::string(req.param("project"));
      if (auto ok = oci::validate_repo_name(admitted.repo); !ok) return registry_error(ok.error());
      if (auto ok = ctx.accounts.authorize_repository(admitted.who, *action, admitted.repo); !ok) {
        return registry_error(access_error(ok.error()));
      }
      if (precheck) {
        if (auto ok = precheck(req, admitted.who, admitted.repo); !ok) {
          return registry_error(ok.error());
        }
      }
    }
    req.context = std::move(admitted);
    return std::nullopt;
  };
}

/// Runs `handler` with what admission decided; a request that did not pass
/// the admission step (a direct call) goes through it now.
template <class F>
http::Handler admitted_handler(http::Admission admission, F handler) {
  return [admission = std::move(admission), handler = std::move(handler)](http::Request& req) {
    if (std::any_cast<Admitted>(&req.context) == nullptr) {
      if (auto refusal = admission(req)) return std::move(*refusal);
    }
    const Admitted& admitted = *std::any_cast<Admitted>(&req.context);
    return with_version(handler(req, admitted));
  };
}

/// Authenticates, checks the repository name and the caller's access to it,
/// then the route's precheck, all before the body is read.
http::GuardedHandler repository_route(RegistryContext& ctx, auth::Action action,
                                      RepoHandler handler, RepoPrecheck precheck = {}) {
  http::Admission admission = registry_admission(ctx, action, std::move(precheck));
  http::Handler handle = admitted_handler(
      admission, [handler = std::move(handler)](http::Request& req, const Admitted& a) {
        return handler(req, a.who, a.repo);
      });
  return {std::move(admission), std::move(handle)};
}

/// A /v2 route outside any repository: authentication only.
http::GuardedHandler registry_route(
    RegistryContext& ctx,
    std::function<http::Response(http::Request&, const auth::Principal&)> handler) {
  http::Admission admission = registry_admission(ctx, std::nullopt);
  http::Handler handle = admitted_handler(
      admission, [handler = std::move(handler)](http::Request& req, const Admitted& a) {
        return handler(req, a.who);
      });
  return {std::move(admission), std::move(handle)};
}

/// The declared body size, when the client gave one.
std::optional<std::int64_t> declared_length(const http::Request& req) {
  const auto header = req.header("Content-Length");
  if (!header) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), value);
  if (ec != std::errc() || end != header->data() + header->size()) return std::nullopt;
  return value;
}

Error no_digest() {
  return with_registry_code(
      Error{ErrorCode::kInvalidArgument, "the digest query parameter is required", {}},
      "DIGEST_INVALID");
}

/// A chunk for an upload session: the session must be this repository's,
/// and a declared size must fit the namespace's quota.
RepoPrecheck upload_chunk_precheck(RegistryContext& ctx) {
  return [&ctx](http::Request& req, const auth::Principal&, const std::string& repo) {
    if (req.method == "PUT" && !req.query_param("digest")) return Result<void>(fail(no_digest()));
    if (auto size = ctx.registry.upload_size(repo, req.param("id")); !size) {
      return Result<void>(fail(size.error()));
    }
    return ctx.registry.check_quota(repo, declared_length(req).value_or(0));
  };
}

/// A monolithic blob (POST ?digest=): a declared size must fit the quota.
RepoPrecheck blob_post_precheck(RegistryContext& ctx) {
  return [&ctx](http::Request& req, const auth::Principal&, const std::string& repo) {
    if (!req.query_param("digest")) return Result<void>();
    return ctx.registry.check_quota(repo, declared_length(req).value_or(0));
  };
}

http::Response empty(int status) {
  http::Response res;
  res.status = status;
  return res;
}

/// "0-<last byte>" as the spec reports upload progress ("0-0" when empty).
std::string upload_range(std::int64_t size) {
  return "0-" + std::to_string(size > 0 ? size - 1 : 0);
}

http::Response upload_accepted(const std::string& repo, const std::string& id, std::int64_t size,
                               int status = 202) {
  http::Response res = empty(status);
  res.set_header("Location", "/v2/" + repo + "/blobs/uploads/" + id);
  res.set_header("Range", upload_range(size));
  res.set_header("Docker-Upload-UUID", id);
  res.set_header("Content-Length", "0");
  return res;
}

http::Response blob_created(const std::string& repo, const oci::Digest& digest) {
  http::Response res = empty(201);
  res.set_header("Location", "/v2/" + repo + "/blobs/" + digest.str());
  res.set_header("Docker-Content-Digest", digest.str());
  return res;
}

Result<std::optional<std::size_t>> page_size(const http::Request& req) {
  const auto n = req.query_param("n");
  if (!n) return std::optional<std::size_t>();
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
  if (ec != std::errc() || end != n->data() + n->size()) {
    return fail(with_registry_code(
        Error{ErrorCode::kInvalidArgument, "n must be a non-negative integer", {}},
        "PAGINATION_NUMBER_INVALID"));
  }
  return std::optional<std::size_t>(std::min(value, oci::kMaxPageSize));
}

void add_next_link(http::Response& res, const std::string& path, const oci::Page& page,
                   std::size_t n) {
  if (!page.next_last) return;
  res.set_header("Link", "<" + path + "?n=" + std::to_string(n) + "&last=" + *page.next_last +
                             ">; rel=\"next\"");
}

// ---- blobs ----

// Large blobs (base image layers) are sent in pieces rather than read into
// memory whole.
constexpr std::int64_t kStreamBlobsAbove = 4 * 1024 * 1024;
constexpr std::int64_t kStreamChunkBytes = 256 * 1024;

http::StreamProducer blob_stream(const oci::Registry& registry, std::string repo,
                                 std::string digest, oci::ByteRange range) {
  return [&registry, repo = std::move(repo), digest = std::move(digest),
          range](http::BodyWriter& out) {
    for (std::int64_t at = range.first; at <= range.last; at += kStreamChunkBytes) {
      const oci::ByteRange piece{at, std::min(range.last, at + kStreamChunkBytes - 1)};
      auto bytes = registry.read_blob(repo, digest, piece);
      // Stopping early truncates the body: the client's digest check fails.
      if (!bytes || !out.write(*bytes)) return;
    }
  };
}

http::Response blob_response(RegistryContext& ctx, http::Request& req, const std::string& repo,
                             bool head) {
  const std::string_view digest = req.param("digest");
  auto size = ctx.registry.blob_size(repo, digest);
  if (!size) return registry_error(size.error());
  http::Response res = empty(200);
  res.set_header("Content-Type", "application/octet-stream");
  res.set_header("Docker-Content-Digest", std::string(digest));
  res.set_header("Accept-Ranges", "bytes");
  oci::ByteRange range{0, *size - 1};
  if (const auto header = req.header("Range")) {
    auto parsed = oci::parse_range_header(*header, *size);
    if (!parsed) {
      http::Response bad = registry_error(parsed.error());
      bad.set_header("Content-Range", "bytes */" + std::to_string(*size));
      return bad;
    }
    range = *parsed;
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                        std::to_string(range.last) + "/" + std::to_string(*size));
  }
  if (head) {
    res.set_header("Content-Length", std::to_string(range.length()));
    return res;
  }
  if (range.length() == 0) return res;
  if (range.length() > kStreamBlobsAbove) {
    res.stream = blob_stream(ctx.registry, repo, std::string(digest), range);
    return res;
  }
  auto bytes = ctx.registry.read_blob(repo, digest, range);
  if (!bytes) return registry_error(bytes.error());
  res.body = std::move(*bytes);
  return res;
}

http::Response start_upload(RegistryContext& ctx, http::Request& req, const auth::Principal& who,
                            const std::string& repo) {
  if (const auto mount = req.query_param("mount")) {
    const std::string from(req.query_param("from").value_or(""));
    // An unreadable or malformed source is simply not mounted (spec fallback).
    const bool may_read = oci::validate_repo_name(from) &&
                          ctx.accounts.authorize_repository(who, auth::Action::kRead, from);
    auto outcome = ctx.registry.mount_blob(repo, *mount, from, may_read, who.user_id);
    if (!outcome) return registry_error(outcome.error());
    if (outcome->mounted) return blob_created(repo, *oci::Digest::parse(*mount));
    return upload_accepted(repo, outcome->upload_id, 0);
  }
  if (const auto digest = req.query_param("digest")) {
    auto stored = req.body_file.empty() ? ctx.registry.put_blob(repo, *digest, req.body)
                                        : ctx.registry.put_blob_file(repo, *digest, req.body_file);
    if (!stored) return registry_error(stored.error());
    return blob_created(repo, *stored);
  }
  auto id = ctx.registry.start_upload(repo, who.user_id);
  if (!id) return registry_error(id.error());
  return upload_accepted(repo, *id, 0);
}

http::Response patch_upload(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const std::string id(req.param("id"));
  std::optional<std::int64_t> offset;
  if (const auto header = req.header("Content-Range")) {
    auto start = oci::parse_content_range_start(*header);
    if (!start) return registry_error(start.error());
    offset = *start;
  }
  auto size = req.body_file.empty()
                  ? ctx.registry.append_upload(repo, id, req.body, offset)
                  : ctx.registry.append_upload_file(repo, id, req.body_file, offset);
  if (!size) {
    // A chunk that does not continue the upload is the spec's 416.
    const bool out_of_order = size.error().registry_code == "BLOB_UPLOAD_INVALID";
    http::Response res =
        registry_error(size.error(), out_of_order ? std::optional(416) : std::nullopt);
    if (out_of_order) {
      if (auto current = ctx.registry.upload_size(repo, id)) {
        res.set_header("Range", upload_range(*current));
        res.set_header("Location", "/v2/" + repo + "/blobs/uploads/" + id);
      }
    }
    return res;
  }
  return upload_accepted(repo, id, *size);
}

http::Response finish_upload(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const auto digest = req.query_param("digest");
  if (!digest) return registry_error(no_digest());
  auto stored =
      req.body_file.empty()
          ? ctx.registry.finish_upload(repo, req.param("id"), *digest, req.body)
          : ctx.registry.finish_upload_file(repo, req.param("id"), *digest, req.body_file);
  if (!stored) return registry_error(stored.error());
  return blob_created(repo, *stored);
}

http::Response upload_status(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const std::string id(req.param("id"));
  auto size = ctx.registry.upload_size(repo, id);
  if (!size) return registry_error(size.error());
  return upload_accepted(repo, id, *size, 204);
}

// ---- manifests ----

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
  return res;
}

// ---- listings ----

http::Response tags_list(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  auto n = page_size(req);
  if (!n) return registry_error(n.error());
  auto page = ctx.registry.list_tags(repo, *n, req.query_param("last").value_or(""));
  if (!page) return registry_error(page.error());
  http::Response res = json_response(200, {{"name", repo}, {"tags", page->entries}});
  add_next_link(res, "/v2/" + repo + "/tags/list", *page, n->value_or(0));
  return res;
}

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
  router.add("GET", "/v2/", version_check);
  router.add("GET", "/v2", version_check);
  router.add("GET", "/v2/_catalog",
             registry_route(ctx, [&ctx](http::Request& req, const auth::Principal& who) {
               return catalog(ctx, req, who);
             }));
}

// Any other /v2 path: the registry's challenge first, then its error format
// (rather than the web app's catch-all).
void register_unknown_path_routes(http::Router& router, RegistryContext& ctx) {
  const auto unknown = registry_route(ctx, [](http::Request&, const auth::Principal&) {
    return registry_error(with_registry_code(
        Error{ErrorCode::kNotFound, "no such registry endpoint", {}}, "NAME_UNKNOWN"));
  });
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    router.add(method, "/v2/{path...}", unknown, {.body_limit = kUnknownPathBodyLimit});
  }
}

void register_blob_routes(http::Router& router, RegistryContext& ctx) {
  using auth::Action;
  const std::string base = "/v2/{owner}/{project}/blobs/";
  const http::RouteOptions uploads{.body_limit = kUploadBodyLimit, .spool_body = true};
  router.add("GET", base + "{digest}",
             repository_route(ctx, Action::kRead, [&ctx](auto& req, auto&, auto& repo) {
               return blob_response(ctx, req, repo, false);
             }));
  router.add("HEAD", base + "{digest}",
             repository_route(ctx, Action::kRead, [&ctx](auto& req, auto&, auto& repo) {
               return blob_response(ctx, req, repo, true);
             }));
  router.add("DELETE", base + "{digest}",
             repository_route(ctx, Action::kWrite, [](auto&, auto&, auto&) {
               // Blobs are shared and reclaimed by the collector, never by clients.
               return registry_error(
                   with_registry_code(Error{ErrorCode::kInvalidArgument,
                                            "blob deletion is not supported; delete manifests",
                                            {}},
                                      "UNSUPPORTED"));
             }));
  const auto start = repository_route(
      ctx, Action::kWrite,
      [&ctx](auto& req, auto& who, auto& repo) { return start_upload(ctx, req, who, repo); },
      blob_post_precheck(ctx));
  router.add("POST", base + "uploads/", start, uploads);
  router.add("POST", base + "uploads", start, uploads);
  router.add("PATCH", base + "uploads/{id}",
             repository_route(
                 ctx, Action::kWrite,
                 [&ctx](auto& req, auto&, auto& repo) { return patch_upload(ctx, req, repo); },
                 upload_chunk_precheck(ctx)),
             uploads);
  router.add("PUT", base + "uploads/{id}",
             repository_route(
                 ctx, Action::kWrite,
                 [&ctx](auto& req, auto&, auto& repo) { return finish_upload(ctx, req, repo); },
                 upload_chunk_precheck(ctx)),
             uploads);
  router.add("GET", base + "uploads/{id}",
             repository_route(ctx, Action::kWrite, [&ctx](auto& req, auto&, auto& repo) {
               return upload_status(ctx, req, repo);
             }));
  router.add("DELETE", base + "uploads/{id}",
             repository_route(ctx, Action::kWrite, [&ctx](auto& req, auto&, auto& repo) {
               if (auto ok = ctx.registry.cancel_upload(repo, req.param("id")); !ok) {
                 return registry_error(ok.error());
               }
               return empty(204);
             }));
}

void register_manifest_routes(http::Router& router, RegistryContext& ctx) {
  using auth::Action;
  const std::string path = "/v2/{owner}/{project}/manifests/{reference}";
  router.add("GET", path,
             repository_route(ctx, Action::kRead, [&ctx](auto& req, auto&, auto& repo) {
               return manifest_response(ctx, req, repo, false);
             }));
  router.add("HEAD", path,
             repository_route(ctx, Action::kRead, [&ctx](auto& req, auto&, auto& repo) {
               return manifest_response(ctx, req, repo, true);
             }));
  router.add("PUT", path,
             repository_route(
                 ctx, Action::kWrite,
                 [&ctx](auto& req, auto&, auto& repo) { return put_manifest(ctx, req, repo); }),
             http::RouteOptions{.body_limit = kManifestBodyLimit});
  router.add("DELETE", path,
             repository_route(ctx, Action::kWrite, [&ctx](auto& req, auto&, auto& repo) {
               if (auto ok = ctx.registry.delete_manifest(repo, req.param("reference")); !ok) {
                 return registry_error(ok.error());
               }
               return empty(202);
             }));
  router.add("GET", "/v2/{owner}/{project}/tags/list",
             repository_route(ctx, Action::kRead, [&ctx](auto& req, auto&, auto& repo) {
               return tags_list(ctx, req, repo);
             }));
}

}  // namespace

void register_routes(http::Router& router, RegistryContext& ctx) {
  register_base_routes(router, ctx);
  register_blob_routes(router, ctx);
  register_manifest_routes(router, ctx);
  register_unknown_path_routes(router, ctx);
}

}  // namespace orsa::registry
