#include "oci/registry_client.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/strings.hpp"
#include "oci/media_types.hpp"
#include "registry_client_impl.hpp"

namespace orsa::oci {
namespace {

constexpr int kMaxTagPages = 10000;

}  // namespace

Result<RegistryClient> RegistryClient::create(RegistryClientOptions options) {
  std::string base = options.base_url;
  while (base.ends_with('/')) base.pop_back();
  if (base.ends_with("/v2")) base.resize(base.size() - 3);
  const bool http = base.starts_with("http://") || base.starts_with("https://");
  if (!http || base.find('/', base.find("//") + 2) != std::string::npos) {
    return fail(Error::invalid_argument("registry URL must be http(s)://host[:port], got '" +
                                        options.base_url + "'"));
  }
  if (options.chunk_size <= 0 || options.max_manifest_bytes <= 0 || options.max_blob_bytes <= 0) {
    return fail(Error::invalid_argument("registry client sizes must be positive"));
  }
  auto easy = libcurl::EasyHandle::create();
  if (!easy) return fail(easy.error());
  auto impl = std::make_unique<Impl>(std::move(*easy));
  impl->origin = std::move(base);
  impl->options = std::move(options);
  return RegistryClient(std::move(impl));
}

RegistryClient::RegistryClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegistryClient::~RegistryClient() = default;
RegistryClient::RegistryClient(RegistryClient&&) noexcept = default;
RegistryClient& RegistryClient::operator=(RegistryClient&&) noexcept = default;

const RegistryClientStats& RegistryClient::stats() const {
  return impl_->stats;
}

Result<void> RegistryClient::ping() {
  Request request{.url = impl_->url("/v2/")};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status != 200) return fail(registry_error("registry " + impl_->origin, *response));
  return {};
}

Result<bool> RegistryClient::blob_exists(std::string_view repo, const Digest& digest) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  Request request{.method = "HEAD",
                  .url = impl_->v2(repo, "blobs/" + digest.str()),
                  .scopes = {pull_scope(repo)}};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status == 200) return true;
  if (response->status == 404) return false;
  return fail(
      registry_error("checking blob " + digest.str() + " in " + std::string(repo), *response));
}

Result<PulledManifest> RegistryClient::get_manifest(std::string_view repo,
                                                    std::string_view reference) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  if (auto r = check_reference(reference); !r) return fail(r.error());
  const std::string what = "manifest " + std::string(repo) + ":" + std::string(reference);
  Request request{
      .url = impl_->v2(repo, "manifests/" + std::string(reference)),
      .headers = {"Accept: " + std::string(kOciManifest) + ", " + std::string(kOciIndex) + ", " +
                  std::string(kDockerManifest) + ", " + std::string(kDockerManifestList)},
      .scopes = {pull_scope(repo)},
      .max_body = impl_->options.max_manifest_bytes};
  auto response = impl_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = what + ": " + error.message;
    return fail(std::move(error));
  }
  if (response->status != 200) return fail(registry_error(what, *response));
  PulledManifest pulled{.bytes = std::move(response->body),
                        .media_type = response->header("content-type"),
                        .digest = Digest::of("")};
  pulled.media_type = std::string(trim(pulled.media_type.substr(0, pulled.media_type.find(';'))));
  pulled.digest = Digest::of(pulled.bytes);
  const bool by_digest = reference.find(':') != std::string_view::npos;
  if (by_digest && pulled.digest.str() != reference) {
    return fail(with_registry_code(
        Error{ErrorCode::kInternal, what + ": content has digest " + pulled.digest.str(), {}},
        "DIGEST_INVALID"));
  }
  // A header in another algorithm cannot be checked here; a sha256 one must match.
  if (auto header = Digest::parse(response->header("docker-content-digest"));
      header && *header != pulled.digest) {
    return fail(with_registry_code(Error{ErrorCode::kInternal,
                                         what + ": content has digest " + pulled.digest.str() +
                                             " but the registry says " + header->str(),
                                         {}},
                                   "DIGEST_INVALID"));
  }
  return pulled;
}

Result<std::int64_t> RegistryClient::get_blob(std::string_view repo, const Digest& digest,
                                              const BlobSink& sink) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  const std::string what = "blob " + digest.str() + " in " + std::string(repo);
  Sha256 hasher;
  std::int64_t received = 0;
  const std::int64_t limit = impl_->options.max_blob_bytes;
  const BlobSink verifying = [&](std::string_view chunk) -> Result<void> {
    received += static_cast<std::int64_t>(chunk.size());
    if (received > limit) {
      return fail(Error::too_large(what + " exceeds " + std::to_string(limit) + " bytes"));
    }
    hasher.update(chunk);
    return sink(chunk);
  };
  Request request{.url = impl_->v2(repo, "blobs/" + digest.str()),
                  .scopes = {pull_scope(repo)},
                  .sink = &verifying};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status != 200) return fail(registry_error(what, *response));
  const Digest actual = hasher.finish();
  if (actual != digest) {
    return fail(with_registry_code(
        Error{ErrorCode::kInternal, what + ": content has digest " + actual.str(), {}},
        "DIGEST_INVALID"));
  }
  return received;
}

Result<std::string> RegistryClient::get_blob_bytes(std::string_view repo, const Digest& digest,
                                                   std::int64_t max_bytes) {
  std::string out;
  auto got = get_blob(repo, digest, [&](std::string_view chunk) -> Result<void> {
    if (static_cast<std::int64_t>(out.size() + chunk.size()) > max_bytes) {
      return fail(Error::too_large("blob " + digest.str() + " exceeds " +
                                   std::to_string(max_bytes) + " bytes"));
    }
    out.append(chunk);
    return {};
  });
  if (!got) return fail(got.error());
  return out;
}

Result<std::vector<std::string>> RegistryClient::list_tags(std::string_view repo) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  std::vector<std::string> tags;
  std::string next = impl_->v2(repo, "tags/list?n=1000");
  for (int page = 0; page < kMaxTagPages && !next.empty(); ++page) {
    Request request{
        .url = next, .scopes = {pull_scope(repo)}, .max_body = impl_->options.max_manifest_bytes};
    auto response = impl_->send(request);
    if (!response) return fail(response.error());
    if (response->status != 200) {
      return fail(registry_error("listing tags of " + std::string(repo), *response));
    }
    const auto doc = nlohmann::json::parse(response->body, nullptr, false);
    if (!doc.is_object()) {
      return fail(Error::internal("listing tags of " + std::string(repo) + ": invalid JSON"));
    }
    if (doc.contains("tags") && doc["tags"].is_array()) {
      for (const auto& t : doc["tags"]) {
        if (t.is_string()) tags.push_back(t.get<std::string>());
      }
    }
    // Link: </v2/<repo>/tags/list?n=1000&last=x>; rel="next"
    const std::string link = response->header("link");
    const auto open = link.find('<');
    const auto close = link.find('>');
    next = (open != std::string::npos && close > open && link.find("next") != std::string::npos)
               ? impl_->resolve(link.substr(open + 1, close - open - 1))
               : std::string();
  }
  return tags;
}

}  // namespace orsa::oci
