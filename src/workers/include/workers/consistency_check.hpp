#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "oci/blob_store.hpp"
#include "runtime/runtime.hpp"
#include "store/store.hpp"

namespace orsa::workers {

// `orsa-deployer check`: what a crash, a kill or a full disk can leave
// behind, compared across the database, the registry store and the
// container runtime; with `repair`, the fixes that lose nothing anyone could
// still use. Findings by area:
//   registry     the store's own files (oci/fsck.hpp)
//   images       an images row whose manifest is gone (deleted when no
//                deployment uses it; relinked or retagged when only the link
//                or tag is); a build's tag with no images row (the build did
//                not finish: the tag is removed)
//   builds       running with no deployer to run them: failed, "interrupted"
//   deployments  pending/pulling/starting with no deployer: failed with the reason
//   runtime      orsa.managed containers and networks no deployment wants: removed
// While a server holds the data dir, its own recovery owns the rows in
// flight and the containers: those areas are skipped (`server_running`).

/// One inconsistency and what --repair did about it.
struct Finding {
  std::string area;     // registry, images, builds, deployments, runtime
  std::string kind;     // e.g. corrupt_blob, image_manifest_missing, build_interrupted
  std::string subject;  // an id, digest, tag or container name
  std::string detail;   // one line for people
  bool repairable = false;
  bool repaired = false;
};

struct CheckReport {
  bool repair = false;
  std::vector<Finding> findings;
  std::vector<std::string> notes;  // what was skipped, and why
  /// Findings --repair did not (or could not) fix.
  std::size_t remaining() const;
};

struct CheckOptions {
  bool repair = false;
  /// A live deployer holds the data dir: skip rows in flight and the runtime.
  bool server_running = false;
  std::chrono::seconds upload_age{3600};  // --upload-idle-timeout
  bool verify_content = true;
  std::int64_t now_unix = 0;
  /// Why there is no runtime to check, for the report's notes.
  std::string no_runtime_reason = "no container runtime reachable";
};

/// Runs the check; `runtime` may be null (not reachable: noted, not checked).
/// Fails only when the database or the registry store cannot be read.
Result<CheckReport> check_consistency(store::Store& store, oci::BlobStore& blobs,
                                      runtime::Runtime* runtime, const CheckOptions& options);

/// The report as lines for people.
std::string report_text(const CheckReport& report);
/// The report as one JSON object: {"repair", "clean", "remaining", "findings": [...], "notes"}.
std::string report_json(const CheckReport& report);

}  // namespace orsa::workers
