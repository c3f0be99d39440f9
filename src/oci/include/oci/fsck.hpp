#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "oci/blob_store.hpp"

namespace orsa::oci {

// A consistency check of the BlobStore's files (what `orsa-deployer check`
// runs on the registry), and the repairs that cannot lose anything a client
// could still read:
//   corrupt_blob       a blob whose bytes do not hash to its name: deleted
//                      (a push writes to a temp file and renames only after
//                      verifying, so this is damage, not a push in progress)
//   manifest_missing   a repository links a manifest whose blob is gone or
//                      corrupt: unlinked with its tags (it served nothing)
//   manifest_invalid   a linked manifest that does not parse: reported
//   blob_missing       a manifest references a config or layer that is not
//                      stored: reported (a push of the image restores it)
//   blob_link_missing  a manifest references a stored blob its repository
//                      does not link: linked
//   tag_dangling       a tag names a manifest its repository does not hold: removed
//   stale_upload       an upload session untouched for longer than the
//                      reaping age, or upload data without its session
//                      record (or the reverse): removed
//   temp_file          a temp file left by an interrupted write: removed
// Blob links whose blob is gone and blobs no manifest references are the
// collector's (oci/gc.hpp), not findings.

/// One inconsistency, and what a repair did about it.
struct StoreFinding {
  std::string kind;        // as listed above
  std::string repository;  // "<owner>/<project>"; "" for shared blobs and uploads
  std::string subject;     // a digest, tag or upload id
  std::string detail;      // one line for people
  bool repairable = false;
  bool repaired = false;
};

struct StoreCheckOptions {
  bool repair = false;
  /// Hash every blob (reads the whole store once); otherwise sizes only.
  bool verify_content = true;
  /// Upload sessions untouched for this long are leftovers.
  std::chrono::seconds upload_age{3600};
  std::int64_t now_unix = 0;
  /// Leave the uploads and temp files alone (a server is using the store).
  bool skip_work_in_progress = false;
};

/// Checks (and with `repair`, fixes what is safe in) `store`; fails only when
/// the store cannot be read at all.
Result<std::vector<StoreFinding>> check_store(BlobStore& store, const StoreCheckOptions& options);

}  // namespace orsa::oci
