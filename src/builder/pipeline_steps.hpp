#pragma once

// The steps run_build() chains, one function each, so each can be tested on
// its own. Private to the builder.

#include <cstdint>
#include <string>
#include <vector>

#include "builder/image_registry.hpp"
#include "builder/job.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "manifest/project_config.hpp"
#include "oci/layer_writer.hpp"
#include "oci/manifest.hpp"
#include "source/repos.hpp"

namespace orsa::builder::steps {

/// Reads and safely extracts the job's source archive (size limits apply).
Result<std::vector<source::File>> extract_source(const BuildJob& job);

/// The project's orsa.toml, or the defaults when it has none.
Result<manifest::ProjectConfig> project_config_of(const std::vector<source::File>& files);

/// Refuses a project whose entrypoint module is missing or empty: such an
/// image would build and then fail at every start.
Result<void> check_entrypoint(const std::vector<source::File>& files,
                              const manifest::ProjectConfig& config);

/// The values the service template is rendered with (validated ones only).
Json template_context(const BuildJob& job, const manifest::ProjectConfig& config);

/// Renders the service wrapper into a temp dir and returns its files.
Result<std::vector<oci::LayerFile>> render_service(const BuildJob& job,
                                                   const manifest::ProjectConfig& config);

/// Project files plus the rendered service, sorted by path; a project file
/// may not shadow a service file.
Result<std::vector<oci::LayerFile>> merge(std::vector<source::File> project,
                                          std::vector<oci::LayerFile> service);

struct Layer {
  std::string bytes;
  oci::LayerInfo info;
};

/// The deterministic app layer: every file under /app, timestamps at `epoch`.
Result<Layer> build_layer(std::vector<oci::LayerFile> files, std::int64_t epoch);

struct BaseImage {
  oci::ImageManifest manifest;
  oci::ImageConfig config;
};

/// The base image's manifest and config from the registry.
Result<BaseImage> fetch_base(ImageRegistry& registry, const BuildJob& job);

/// The base's config with the service's settings and the app layer on top.
oci::ImageConfig image_config(const BuildJob& job, const manifest::ProjectConfig& project,
                              oci::ImageConfig config, const oci::LayerInfo& app);

/// The base's layers (Docker media types normalised) plus the app layer.
oci::ImageManifest image_manifest(const oci::ImageManifest& base, const oci::Descriptor& config,
                                  const oci::LayerInfo& app);

/// Mounts (or finds) every base layer in the target repository, never
/// uploading one; returns how many were reused.
Result<int> reuse_base_layers(ImageRegistry& registry, const BuildJob& job,
                              const oci::ImageManifest& base);

}  // namespace orsa::builder::steps
