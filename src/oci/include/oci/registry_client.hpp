#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "oci/digest.hpp"

namespace orsa::oci {

/// How the client authenticates: nothing, HTTP Basic (also used to obtain
/// bearer tokens from a token service), or a fixed bearer token.
struct RegistryCredentials {
  enum class Kind { kNone, kBasic, kBearer };
  Kind kind = Kind::kNone;
  std::string username;
  std::string password;
  std::string token;

  static RegistryCredentials none() { return {}; }
  static RegistryCredentials basic(std::string user, std::string pass) {
    return {Kind::kBasic, std::move(user), std::move(pass), {}};
  }
  static RegistryCredentials bearer(std::string bearer_token) {
    return {Kind::kBearer, {}, {}, std::move(bearer_token)};
  }
};

struct RegistryClientOptions {
  std::string base_url;  // "http://127.0.0.1:5000" or "https://ghcr.io"
  RegistryCredentials credentials;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Aborts a transfer slower than 1 KiB/s for this long (big blobs take
  // minutes, so there is no total timeout).
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  std::int64_t max_manifest_bytes = 4 * 1024 * 1024;
  std::int64_t max_blob_bytes = 8LL * 1024 * 1024 * 1024;
  std::int64_t chunk_size = 8 * 1024 * 1024;  // larger blobs are pushed in chunks of this size
  bool verify_tls = true;
  std::string user_agent = "orsa";
};

/// Blob content to push: bytes the caller keeps alive during the call, or a
/// file that is streamed (never loaded whole).
using BlobSource = std::variant<std::string_view, std::filesystem::path>;

/// Receives a pulled blob piece by piece; an error aborts the transfer.
using BlobSink = std::function<Result<void>(std::string_view chunk)>;

enum class BlobPushOutcome { kUploaded, kSkipped, kMounted };

struct BlobPushResult {
  Digest digest;
  std::int64_t size = 0;
  BlobPushOutcome outcome = BlobPushOutcome::kUploaded;
  std::int64_t bytes_uploaded = 0;
};

struct PulledManifest {
  std::string bytes;
  std::string media_type;  // from Content-Type, without parameters
  Digest digest;           // sha256 of bytes
};

/// What push_image did, for the builder's report.
struct ImagePushReport {
  Digest manifest_digest = Digest::of("");
  std::vector<BlobPushResult> blobs;  // config first, then layers in manifest order
  std::int64_t bytes_uploaded = 0;
  int blobs_uploaded = 0;
  int blobs_skipped = 0;
  int blobs_mounted = 0;
  std::chrono::milliseconds blobs_time{0};
  std::chrono::milliseconds manifest_time{0};
};

/// Counters since construction; tests use them to prove nothing was re-sent.
struct RegistryClientStats {
  std::int64_t requests = 0;
  std::int64_t bytes_uploaded = 0;  // request bodies sent
  std::int64_t bytes_downloaded = 0;
  std::int64_t token_requests = 0;
  std::int64_t connections_opened = 0;  // stays 1 while keep-alive works
};

/// One challenge of a `WWW-Authenticate` header: scheme lower-cased, parameter
/// names lower-cased, values unquoted.
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};

/// Parses a `WWW-Authenticate` value that may hold several challenges.
Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

/// A client of the OCI distribution API (CNCF distribution, GHCR, ECR, the
/// embedded registry) on libcurl. It keeps one connection alive across
/// calls and caches bearer tokens per scope. Not thread-safe: use one client
/// per thread. Credentials and tokens never appear in errors.
class RegistryClient {
 public:
  /// Validates the options (URL scheme, sizes); no network traffic.
  static Result<RegistryClient> create(RegistryClientOptions options);
  ~RegistryClient();
  RegistryClient(RegistryClient&&) noexcept;
  RegistryClient& operator=(RegistryClient&&) noexcept;

  /// `GET /v2/`: succeeds when the registry answers and accepts the credentials.
  Result<void> ping();

  /// Whether `repo` has the blob (HEAD).
  Result<bool> blob_exists(std::string_view repo, const Digest& digest);

  /// Pushes a blob unless present; tries a cross-repository mount from
  /// `mount_from` first when given; uploads in chunks above `chunk_size`.
  Result<BlobPushResult> push_blob(std::string_view repo, const Digest& digest,
                                   const BlobSource& source,
                                   std::optional<std::string_view> mount_from = std::nullopt);

  /// Puts a manifest under a tag or digest; returns its verified digest.
  Result<Digest> push_manifest(std::string_view repo, std::string_view reference,
                               std::string_view bytes, std::string_view media_type);

  /// Pushes config and layers (digests taken from the manifest, layers in its
  /// order), then the manifest under `tag`.
  Result<ImagePushReport> push_image(std::string_view repo, std::string_view tag,
                                     std::string_view manifest, std::string_view config,
                                     const std::vector<BlobSource>& layers,
                                     std::optional<std::string_view> mount_from = std::nullopt);

  /// Gets an image manifest or index (OCI or Docker schema2) by tag or digest.
  Result<PulledManifest> get_manifest(std::string_view repo, std::string_view reference);

  /// Streams a blob into `sink` and verifies its digest; on any error the
  /// bytes already given to the sink must be discarded.
  Result<std::int64_t> get_blob(std::string_view repo, const Digest& digest, const BlobSink& sink);

  /// A small blob (e.g. a config) in memory, verified, at most `max_bytes`.
  Result<std::string> get_blob_bytes(std::string_view repo, const Digest& digest,
                                     std::int64_t max_bytes = 4 * 1024 * 1024);

  /// All tags of `repo` (follows `Link` pagination).
  Result<std::vector<std::string>> list_tags(std::string_view repo);

  const RegistryClientStats& stats() const;

 private:
  struct Impl;
  explicit RegistryClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::oci
