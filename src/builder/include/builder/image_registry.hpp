#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "oci/digest.hpp"
#include "oci/registry_client.hpp"

namespace orsa::builder {

/// What the build pipeline needs from a registry: read the base image, push
/// the new one. run_build() speaks to the job's registry over HTTP through
/// it; tests put an in-process registry behind it.
class ImageRegistry {
 public:
  virtual ~ImageRegistry() = default;

  /// A manifest by tag or digest.
  virtual Result<oci::PulledManifest> get_manifest(std::string_view repo,
                                                   std::string_view reference) = 0;
  /// A small blob (a config) in memory, verified.
  virtual Result<std::string> get_blob_bytes(std::string_view repo, const oci::Digest& digest) = 0;
  /// Pushes `bytes` unless the repository holds the blob; with `mount_from`,
  /// mounts it from that repository first.
  virtual Result<oci::BlobPushResult> push_blob(
      std::string_view repo, const oci::Digest& digest, std::string_view bytes,
      std::optional<std::string_view> mount_from = std::nullopt) = 0;
  /// Puts a manifest under a tag; returns its digest.
  virtual Result<oci::Digest> push_manifest(std::string_view repo, std::string_view reference,
                                            std::string_view bytes,
                                            std::string_view media_type) = 0;
  /// Request body bytes sent so far.
  virtual std::int64_t bytes_uploaded() const = 0;
};

}  // namespace orsa::builder
