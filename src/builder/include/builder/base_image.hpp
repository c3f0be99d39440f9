#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/pipeline.hpp"
#include "core/error.hpp"
#include "oci/registry_client.hpp"

namespace orsa::builder {

/// templates/bases/<name>/recipe.toml, validated.
struct BaseRecipe {
  std::string name;                   // the directory name, a slug
  std::string kind;                   // "debian" (mmdebstrap) or "busybox" (host binary)
  std::string suite = "bookworm";     // debian only
  std::string variant = "minbase";    // debian only
  std::vector<std::string> packages;  // debian only
  std::vector<std::string> env;
  std::string tag;  // "<suite>-<12 hex of the recipe's sha256>" or "busybox-<hash of the binary>"
};

Result<BaseRecipe> load_base_recipe(const std::filesystem::path& bases_dir, std::string_view name);

/// The repository a base is pushed to: "orsa/base-<name>".
std::string base_repository(const BaseRecipe& recipe);

struct BaseBuildOptions {
  std::string mirror;               // Debian mirror URL; empty → from the machine's apt sources
  std::int64_t epoch = 0;           // SOURCE_DATE_EPOCH; 0 → a fixed 2024-01-01
  std::filesystem::path work_dir;   // scratch space (a rootfs is ~500 MB)
  std::filesystem::path apt_cache;  // .debs kept between builds; empty: none
};

struct BaseBuildResult {
  std::string repository;
  std::string tag;
  std::string digest;
  std::int64_t layer_bytes = 0;
  std::vector<StepTiming> steps;
};

/// Builds the root filesystem, writes it as one deterministic layer and
/// pushes the image to `client`'s registry under base_repository():tag and
/// :latest. Progress lines go to `progress`.
Result<BaseBuildResult> build_base_image(const BaseRecipe& recipe, const BaseBuildOptions& options,
                                         oci::RegistryClient& client, const Progress& progress);

/// The first Debian mirror URL of /etc/apt/sources.list.d/*.sources or
/// /etc/apt/sources.list.
Result<std::string> machine_debian_mirror();

}  // namespace orsa::builder
