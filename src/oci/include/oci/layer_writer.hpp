#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oci/digest.hpp"

namespace orsa::oci {

/// One entry of a layer built from memory.
struct LayerFile {
  std::string path;     // relative, '/'-separated, no leading '/'
  std::string content;  // for regular files
  std::uint32_t mode =
      0644;  // normalised: 0755 if any execute bit, else 0644; dirs 0755, sticky dirs 1777
  bool directory = false;
  std::string symlink_target;  // non-empty → a symlink
};

/// What a written layer is.
struct LayerInfo {
  Digest digest = Digest::of("");   // sha256 of the gzip stream (the blob)
  Digest diff_id = Digest::of("");  // sha256 of the uncompressed tar
  std::int64_t size = 0;            // compressed bytes
};

/// Where compressed layer bytes go (a file, a string, an upload).
using ByteSink = std::function<Result<void>(std::string_view)>;

/// Writes a deterministic tar+gzip layer: entries sorted by path with parent
/// directories first (implied parents are added), mtime = `epoch`, uid/gid 0,
/// no user/group names, normalised modes, PAX headers only where needed,
/// gzip at a pinned level with no name and no time in its header. The same
/// entries always give byte-identical output. Digests are computed while
/// streaming. `prefix` (e.g. "app") is prepended to every path.
Result<LayerInfo> write_layer(std::vector<LayerFile> files, std::int64_t epoch,
                              const ByteSink& sink, std::string_view prefix = {});

/// kNone writes the plain tar (digest == diff_id): an image archive that
/// holds already-compressed blobs, for instance.
enum class LayerCompression { kGzip, kNone };

struct TreeLayerOptions {
  std::string_view prefix;  // prepended to every path, as for write_layer
  LayerCompression compression = LayerCompression::kGzip;
  // Entries (paths as stored, no leading '/') owned by this uid and gid
  // instead of root: an image's data directory its service account writes.
  std::map<std::string, std::uint32_t> owners;
};

/// The same, reading a directory tree from disk (regular files, dirs and
/// symlinks; devices, sockets and fifos are skipped; on-disk mtimes, owners
/// and permission details beyond the execute bit are ignored). Symlinks are
/// stored, never followed; hard links become separate regular files; file
/// contents are streamed in chunks.
Result<LayerInfo> write_layer_from_dir(const std::filesystem::path& root, std::int64_t epoch,
                                       const ByteSink& sink, const TreeLayerOptions& options = {});

}  // namespace orsa::oci
