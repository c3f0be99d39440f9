#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <variant>

#include "core/strings.hpp"
#include "core/unique_fd.hpp"
#include "oci/manifest.hpp"
#include "registry_client_impl.hpp"

namespace orsa::oci {

using SteadyClock = std::chrono::steady_clock;

// POST → 202 with a Location, or 201 when a mount succeeded.
Result<Response> RegistryClient::Impl::start_upload(std::string_view repo, const Digest& digest,
                                                    std::optional<std::string_view> mount_from) {
  Request request{
      .method = "POST", .url = v2(repo, "blobs/uploads/"), .scopes = {push_scope(repo)}};
  if (mount_from) {
    request.url =
        with_query(request.url, "mount=" + escape(digest.str()) + "&from=" + escape(*mount_from));
    request.scopes.push_back(pull_scope(*mount_from));
  }
  auto response = send(request);
  if (!response) return response;
  const bool started = response->status == 202 && !response->header("location").empty();
  if (response->status == 201 && mount_from) return response;
  if (!started) {
    return fail(registry_error(
        "starting the upload of blob " + digest.str() + " to " + std::string(repo), *response));
  }
  return response;
}

Result<void> RegistryClient::Impl::upload(std::string_view repo, const Digest& digest,
                                          std::string location, Body whole) {
  const std::string what = "uploading blob " + digest.str() + " to " + std::string(repo);
  const std::int64_t chunk = options.chunk_size;
  Body final_body{};
  if (whole.length <= chunk) {
    final_body = whole;  // monolithic: the whole blob in the closing PUT
  } else {
    for (std::int64_t at = 0; at < whole.length; at += chunk) {
      Body part = whole;
      part.offset = whole.offset + at;
      part.length = std::min(chunk, whole.length - at);
      Request patch{.method = "PATCH",
                    .url = location,
                    .headers = {"Content-Type: application/octet-stream",
                                "Content-Range: " + std::to_string(at) + "-" +
                                    std::to_string(at + part.length - 1)},
                    .body = part,
                    .scopes = {push_scope(repo)}};
      auto response = send(patch);
      if (!response) return fail(response.error());
      if (response->status != 202 || response->header("location").empty()) {
        return fail(registry_error(what + " (chunk at " + std::to_string(at) + ")", *response));
      }
      location = resolve(response->header("location"));
    }
  }
  Request put{.method = "PUT",
              .url = with_query(location, "digest=" + escape(digest.str())),
              .headers = {"Content-Type: application/octet-stream"},
              .body = final_body,
              .scopes = {push_scope(repo)}};
  auto response = send(put);
  if (!response) return fail(response.error());
  if (response->status != 201) return fail(registry_error(what, *response));
  return check_digest_header(what, *response, digest);
}

Result<void> RegistryClient::Impl::check_digest_header(std::string_view what,
                                                       const Response& response,
                                                       const Digest& expected) {
  const std::string header = response.header("docker-content-digest");
  if (header.empty() || header == expected.str()) return {};
  return fail(with_registry_code(Error::internal(std::string(what) + ": registry reports digest " +
                                                 header + ", expected " + expected.str()),
                                 "DIGEST_INVALID"));
}

Result<BlobPushResult> RegistryClient::push_blob(std::string_view repo, const Digest& digest,
                                                 const BlobSource& source,
                                                 std::optional<std::string_view> mount_from) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  if (mount_from) {
    if (auto r = check_repo(*mount_from); !r) return fail(r.error());
  }
  auto size = source_size(source);
  if (!size) return fail(size.error());
  if (*size > impl_->options.max_blob_bytes) {
    return fail(Error::too_large("blob " + digest.str() + " has " + std::to_string(*size) +
                                 " bytes, over the limit of " +
                                 std::to_string(impl_->options.max_blob_bytes)));
  }
  BlobPushResult result{.digest = digest, .size = *size};
  auto exists = blob_exists(repo, digest);
  if (!exists) return fail(exists.error());
  if (*exists) {
    result.outcome = BlobPushOutcome::kSkipped;
    return result;
  }
  auto started = impl_->start_upload(repo, digest, mount_from);
  if (!started) return fail(started.error());
  if (started->status == 201) {
    result.outcome = BlobPushOutcome::kMounted;
    return result;
  }

  Body body{.length = *size};
  std::optional<UniqueFd> file;
  if (const auto* bytes = std::get_if<std::string_view>(&source)) {
    body.memory = *bytes;
  } else {
    const auto& path = std::get<std::filesystem::path>(source);
    file.emplace(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file->get() < 0) {
      return fail(Error::invalid_argument("cannot open blob file " + path.string() + ": " +
                                          errno_message(errno)));
    }
    body.fd = file->get();
  }
  const std::int64_t before = impl_->stats.bytes_uploaded;
  auto uploaded = impl_->upload(repo, digest, impl_->resolve(started->header("location")), body);
  if (!uploaded) return fail(uploaded.error());
  result.bytes_uploaded = impl_->stats.bytes_uploaded - before;
  return result;
}

Result<Digest> RegistryClient::push_manifest(std::string_view repo, std::string_view reference,
                                             std::string_view bytes, std::string_view media_type) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  if (auto r = check_reference(reference); !r) return fail(r.error());
  const std::string what = "pushing manifest " + std::string(repo) + ":" + std::string(reference);
  if (static_cast<std::int64_t>(bytes.size()) > impl_->options.max_manifest_bytes) {
    return fail(
        Error::too_large(what + ": " + std::to_string(bytes.size()) + " bytes, over the limit"));
  }
  Digest digest = Digest::of(bytes);
  if (reference.find(':') != std::string_view::npos && reference != digest.str()) {
    return fail(Error::invalid_argument(what + ": the content has digest " + digest.str()));
  }
  Request request{.method = "PUT",
                  .url = impl_->v2(repo, "manifests/" + std::string(reference)),
                  .headers = {"Content-Type: " + std::string(media_type)},
                  .body = Body{.memory = bytes, .length = static_cast<std::int64_t>(bytes.size())},
                  .scopes = {push_scope(repo)}};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status != 201) return fail(registry_error(what, *response));
  if (auto r = Impl::check_digest_header(what, *response, digest); !r) return fail(r.error());
  return digest;
}

Result<ImagePushReport> RegistryClient::push_image(std::string_view repo, std::string_view tag,
                                                   std::string_view manifest,
                                                   std::string_view config,
                                                   const std::vector<BlobSource>& layers,
                                                   std::optional<std::string_view> mount_from) {
  auto parsed = parse_manifest(manifest);
  if (!parsed) return fail(parsed.error());
  if (parsed->layers.size() != layers.size()) {
    return fail(Error::invalid_argument("push_image: the manifest lists " +
                                        std::to_string(parsed->layers.size()) + " layers but " +
                                        std::to_string(layers.size()) + " were given"));
  }
  ImagePushReport report;
  auto record = [&report](const BlobPushResult& blob) {
    report.blobs.push_back(blob);
    report.bytes_uploaded += blob.bytes_uploaded;
    switch (blob.outcome) {
      case BlobPushOutcome::kUploaded:
        ++report.blobs_uploaded;
        break;
      case BlobPushOutcome::kSkipped:
        ++report.blobs_skipped;
        break;
      case BlobPushOutcome::kMounted:
        ++report.blobs_mounted;
        break;
    }
  };
  const auto t0 = SteadyClock::now();
  auto pushed = push_blob(repo, parsed->config.digest, BlobSource(config), mount_from);
  if (!pushed) return fail(pushed.error());
  record(*pushed);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    pushed = push_blob(repo, parsed->layers[i].digest, layers[i], mount_from);
    if (!pushed) return fail(pushed.error());
    record(*pushed);
  }
  const auto t1 = SteadyClock::now();
  auto digest = push_manifest(repo, tag, manifest, parsed->media_type);
  if (!digest) return fail(digest.error());
  report.manifest_digest = *digest;
  report.blobs_time = std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0);
  report.manifest_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t1);
  return report;
}

}  // namespace orsa::oci
