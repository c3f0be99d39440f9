#pragma once
// Images of ORSA itself and of the services it runs beside (PostgreSQL, a TLS
// proxy), built by the same daemonless machinery as tenants' images: a Debian
// root filesystem of runtime packages, a layer of staged files, written as an
// image archive that `podman load` and `docker load` both read.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "builder/pipeline.hpp"
#include "core/error.hpp"

namespace orsa::builder {

/// deploy/images/<name>.toml, validated.
struct PlatformRecipe {
  std::string repository;  // "orsa/orsa-deployer"; loaded as localhost/<repository>:<tag>
  std::string suite = "bookworm";
  std::string variant = "minbase";
  std::vector<std::string> packages;
  // Paths the packages' install scripts leave that differ on every build
  // (a generated key, a default database cluster): removed from the root
  // filesystem so the same recipe gives the same layer.
  std::vector<std::string> remove;
  bool security_updates = true;
  std::string user;  // created as user and group `uid`; empty: the image runs as root
  std::int64_t uid = 0;
  std::string home = "/nonexistent";
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::map<std::string, std::string> labels;
};

Result<PlatformRecipe> load_platform_recipe(const std::filesystem::path& file);

struct PlatformBuildOptions {
  std::filesystem::path files_dir;            // staged tree laid over "/" as the second layer
  std::string tag;                            // "<version>", validated as an OCI tag
  std::map<std::string, std::string> labels;  // added to the recipe's (revision, …)
  std::string mirror;                         // empty → the machine's apt source
  std::int64_t epoch = 0;                     // SOURCE_DATE_EPOCH and every mtime
  std::filesystem::path work_dir;             // scratch (a root filesystem)
  std::filesystem::path out;                  // the archive written
  std::filesystem::path apt_cache;            // .debs kept between builds; empty: none
};

struct PlatformBuildResult {
  std::string reference;        // localhost/<repository>:<tag>
  std::string manifest_digest;  // equal for equal inputs: the reproducibility check
  std::int64_t archive_bytes = 0;
  std::vector<StepTiming> steps;
};

Result<PlatformBuildResult> build_platform_image(const PlatformRecipe& recipe,
                                                 const PlatformBuildOptions& options,
                                                 const Progress& progress);

}  // namespace orsa::builder
