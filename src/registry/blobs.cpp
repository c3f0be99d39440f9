// The /v2 blob routes: downloads (streamed above a size), monolithic and
// chunked uploads spooled to disk, with quota and session checks from the
// request head.

#include <charconv>
#include <filesystem>
#include <optional>
#include <string>

#include "oci/blob_store.hpp"
#include "oci/registry.hpp"
#include "registry_routes.hpp"

namespace orsa::registry {
namespace {

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

/// The length of the chunk as received (in memory or spooled to a file).
std::int64_t chunk_length(const http::Request& req) {
  if (req.body_file.empty()) return static_cast<std::int64_t>(req.body.size());
  std::error_code ec;
  const auto size = std::filesystem::file_size(req.body_file, ec);
  return ec ? -1 : static_cast<std::int64_t>(size);
}

/// The spec's 416 for a chunk that does not continue the upload, with the
/// Range and Location the client resumes from.
http::Response chunk_refused(RegistryContext& ctx, const Error& e, const std::string& repo,
                             const std::string& id) {
  http::Response res = registry_error(e, 416);
  if (auto current = ctx.registry.upload_size(repo, id)) {
    res.set_header("Range", upload_range(*current));
    res.set_header("Location", "/v2/" + repo + "/blobs/uploads/" + id);
  }
  return res;
}

/// A chunk's Content-Range must span exactly its bytes: the Range answered
/// afterwards has to end where the client's Content-Range did.
std::optional<Error> range_mismatch(const oci::ByteRange& range, std::int64_t length) {
  if (range.length() == length) return std::nullopt;
  return with_registry_code(
      Error::invalid_argument("Content-Range " + std::to_string(range.first) + "-" +
                              std::to_string(range.last) + " spans " +
                              std::to_string(range.length()) + " bytes but the chunk has " +
                              std::to_string(length)),
      "BLOB_UPLOAD_INVALID");
}

http::Response patch_upload(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const std::string id(req.param("id"));
  std::optional<std::int64_t> offset;
  if (const auto header = req.header("Content-Range")) {
    auto range = oci::parse_content_range(*header);
    if (!range) return registry_error(range.error());
    if (auto e = range_mismatch(*range, chunk_length(req))) return chunk_refused(ctx, *e, repo, id);
    offset = range->first;
  }
  auto size = req.body_file.empty()
                  ? ctx.registry.append_upload(repo, id, req.body, offset)
                  : ctx.registry.append_upload_file(repo, id, req.body_file, offset);
  if (!size) {
    // A chunk that does not continue the upload is the spec's 416.
    if (size.error().registry_code == "BLOB_UPLOAD_INVALID") {
      return chunk_refused(ctx, size.error(), repo, id);
    }
    return registry_error(size.error());
  }
  return upload_accepted(repo, id, *size);
}

// A closing PUT may carry the final chunk with its Content-Range: it must
// span the chunk and start where the upload ends, as a PATCH's would.
std::optional<http::Response> check_final_chunk(RegistryContext& ctx, http::Request& req,
                                                const std::string& repo) {
  const auto header = req.header("Content-Range");
  const std::int64_t length = chunk_length(req);
  if (!header || length == 0) return std::nullopt;
  const std::string id(req.param("id"));
  auto range = oci::parse_content_range(*header);
  if (!range) return registry_error(range.error());
  if (auto e = range_mismatch(*range, length)) return chunk_refused(ctx, *e, repo, id);
  auto current = ctx.registry.upload_size(repo, id);
  if (!current) return registry_error(current.error());
  if (range->first != *current) {
    return chunk_refused(
        ctx,
        with_registry_code(Error::invalid_argument("the final chunk must start at offset " +
                                                   std::to_string(*current)),
                           "BLOB_UPLOAD_INVALID"),
        repo, id);
  }
  return std::nullopt;
}

http::Response finish_upload(RegistryContext& ctx, http::Request& req, const std::string& repo) {
  const auto digest = req.query_param("digest");
  if (!digest) return registry_error(no_digest());
  if (auto refused = check_final_chunk(ctx, req, repo)) return std::move(*refused);
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

}  // namespace

void register_blob_routes(http::Router& router, RegistryContext& ctx) {
  using auth::Action;
  const std::string base = "/v2/{owner}/{project}/blobs/";
  const http::RouteOptions uploads = registry_options(kUploadBodyLimit, true);
  router.add("GET", base + "{digest}",
             repository_route(ctx, Action::kRead,
                              [&ctx](auto& req, auto&, auto& repo) {
                                return blob_response(ctx, req, repo, false);
                              }),
             registry_options());
  router.add("HEAD", base + "{digest}",
             repository_route(ctx, Action::kRead,
                              [&ctx](auto& req, auto&, auto& repo) {
                                return blob_response(ctx, req, repo, true);
                              }),
             registry_options());
  router.add("DELETE", base + "{digest}",
             repository_route(ctx, Action::kWrite,
                              [&ctx](auto& req, auto&, auto& repo) {
                                if (auto ok = ctx.registry.delete_blob(repo, req.param("digest"));
                                    !ok) {
                                  return registry_error(ok.error());
                                }
                                return empty(202);
                              }),
             registry_options());
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
             repository_route(
                 ctx, Action::kWrite,
                 [&ctx](auto& req, auto&, auto& repo) { return upload_status(ctx, req, repo); }),
             registry_options());
  router.add("DELETE", base + "uploads/{id}",
             repository_route(ctx, Action::kWrite,
                              [&ctx](auto& req, auto&, auto& repo) {
                                if (auto ok = ctx.registry.cancel_upload(repo, req.param("id"));
                                    !ok) {
                                  return registry_error(ok.error());
                                }
                                return empty(204);
                              }),
             registry_options());
}

}  // namespace orsa::registry
