#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/image_registry.hpp"
#include "builder/job.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace orsa::builder {

struct StepTiming {
  std::string step;
  double ms = 0;
};

/// What a finished build produced (printed as the builder's last line).
struct BuildResult {
  std::string repository;
  std::string tag;
  std::string digest;  // manifest digest
  std::string config_digest;
  std::string app_layer_digest;
  std::int64_t size = 0;  // manifest + config + every layer, compressed
  std::int64_t bytes_uploaded = 0;
  int base_layers_reused = 0;  // mounted or already present: never re-uploaded
  std::vector<StepTiming> steps;
};

Json to_json(const BuildResult& result);

/// Receives one human-readable progress line per step.
using Progress = std::function<void(std::string_view line)>;

/// Runs a build: safe extraction of the source archive → orsa.toml
/// validation → template rendering → deterministic app layer under /app →
/// image config on top of the base → push (base layers mounted or skipped,
/// never uploaded) → manifest. Never touches the database; the only
/// credential is `push_token`, valid for the target repository alone.
/// The same job content always yields the same manifest digest.
Result<BuildResult> run_build(const BuildJob& job, std::string_view push_token,
                              const Progress& progress);

/// The same build against `registry` (the job's registry URL is not used).
Result<BuildResult> run_build(const BuildJob& job, ImageRegistry& registry,
                              const Progress& progress);

}  // namespace orsa::builder
