#pragma once
// Shared by the base images and ORSA's own images: recipe fields, the Debian
// root filesystem (mmdebstrap) and writing a tree as one layer file. Internal
// to the builder (toml++ is heavy; only the two recipe readers include it).

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oci/layer_writer.hpp"

namespace orsa::builder {

/// An optional array of strings at `key` (absent → empty).
Result<std::vector<std::string>> string_array(const toml::table& t, std::string_view key);

/// Every key of `t` is one of `known`, or a clear error naming the stranger.
Result<void> only_known_keys(const toml::table& t, const std::vector<std::string_view>& known,
                             std::string_view what);

/// What mmdebstrap installs.
struct DebianRootfs {
  std::string suite = "bookworm";
  std::string variant = "minbase";
  std::vector<std::string> packages;
  bool security_updates = false;  // add SUITE-security from MIRROR-security
  // Downloaded .debs are kept here between builds (created if missing);
  // empty: every build downloads. Only a speed-up: apt checks each file.
  std::filesystem::path apt_cache;
};

Result<void> validate_packages(const std::vector<std::string>& packages);

/// Runs mmdebstrap (SOURCE_DATE_EPOCH=epoch) into `rootfs`, without
/// documentation, then empties the scratch directories a build leaves.
/// `mirror` empty → the machine's apt source.
Result<void> build_debian_rootfs(const DebianRootfs& spec, std::string mirror, std::int64_t epoch,
                                 const std::filesystem::path& rootfs);

struct WrittenLayer {
  std::filesystem::path path;
  oci::LayerInfo info;
};

/// `root` as one deterministic layer (tar+gzip unless `options` say
/// otherwise) in the file `out`.
Result<WrittenLayer> write_layer_file(const std::filesystem::path& root,
                                      const std::filesystem::path& out, std::int64_t epoch,
                                      const oci::TreeLayerOptions& options = {});

/// Removes a scratch directory when it goes out of scope.
struct ScratchDir {
  std::filesystem::path dir;
  explicit ScratchDir(std::filesystem::path d) : dir(std::move(d)) {}
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

}  // namespace orsa::builder
