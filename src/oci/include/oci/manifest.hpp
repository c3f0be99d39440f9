#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oci/digest.hpp"

namespace orsa::oci {

struct Platform {
  std::string architecture;  // "amd64"
  std::string os;            // "linux"
};

/// A reference to content: media type, digest and size.
struct Descriptor {
  std::string media_type;
  Digest digest = Digest::of("");
  std::int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // in indexes
  std::string artifact_type;         // image-spec v1.1; empty when absent
};

/// An image manifest: OCI v1 or Docker schema2 (same shape; media types differ).
struct ImageManifest {
  std::string media_type{"application/vnd.oci.image.manifest.v1+json"};
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  std::string artifact_type;          // image-spec v1.1; empty when absent
  std::optional<Descriptor> subject;  // the manifest this one refers to
};

/// An image index (OCI) or manifest list (Docker).
struct ImageIndex {
  std::string media_type{"application/vnd.oci.image.index.v1+json"};
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
  std::string artifact_type;          // image-spec v1.1; empty when absent
  std::optional<Descriptor> subject;  // the manifest this one refers to
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

/// The image configuration (what runs, and the layers' uncompressed digests).
struct ImageConfig {
  std::string created;  // RFC 3339; from the commit time for reproducibility
  std::string architecture = "amd64";
  std::string os = "linux";
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;  // "8000/tcp"
  std::map<std::string, std::string> labels;
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;
};

/// Which kind of manifest a document is (by mediaType, falling back to shape).
enum class ManifestKind { kImageManifest, kImageIndex };

Result<ManifestKind> manifest_kind(std::string_view json, std::string_view content_type = {});

/// Parsers accept OCI and Docker schema2 media types; errors name the field.
Result<ImageManifest> parse_manifest(std::string_view json);
Result<ImageIndex> parse_index(std::string_view json);
Result<ImageConfig> parse_config(std::string_view json);

/// Canonical serialisations: keys in a fixed order, no insignificant
/// whitespace, so equal values give byte-identical documents (and digests).
std::string serialize(const ImageManifest& manifest);
std::string serialize(const ImageIndex& index);
std::string serialize(const ImageConfig& config);

}  // namespace orsa::oci
