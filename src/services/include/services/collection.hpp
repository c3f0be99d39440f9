#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::services {

/// An image the collector deleted (or would delete).
struct GcImage {
  std::string id;
  std::string repository;
  std::string tag;
  std::string digest;
  std::int64_t size = 0;
};

/// A deployment the collector stopped as idle (or would stop).
struct GcIdleStop {
  std::string deployment_id;
  std::string project;  // "owner/name"
};

/// A deployment paused by the warm idle tier, with the memory it holds
/// (-1: the runtime could not say).
struct GcPaused {
  std::string deployment_id;
  std::string project;  // "owner/name"
  std::int64_t memory_bytes = -1;
};

/// The outcome of one collection. In a dry run nothing changes; `images`
/// and `idle_stopped` list what would, and the blob counts are what the
/// sweep would delete once those images were gone.
struct GcReport {
  bool dry_run = false;
  std::vector<GcImage> images;
  std::int64_t blob_count = 0;
  std::int64_t blob_bytes = 0;
  std::vector<GcIdleStop> idle_stopped;
  // Paused when the run began (those it stops are in idle_stopped too).
  std::vector<GcPaused> paused;
  std::int64_t bytes_freed = 0;     // blob bytes actually removed (0 in a dry run)
  std::vector<std::string> errors;  // steps that failed; the run went on without them
};

/// Garbage collection on demand (POST /api/v1/admin/gc); workers::Collector
/// runs it, periodically too.
class Collection {
 public:
  virtual ~Collection() = default;
  /// One collection now; `actor_id` is the admin who asked (none: periodic).
  virtual Result<GcReport> run(bool dry_run, std::optional<std::string> actor_id,
                               std::string_view ip) = 0;
};

}  // namespace orsa::services
