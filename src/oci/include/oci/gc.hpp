#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "oci/blob_store.hpp"
#include "oci/digest.hpp"

namespace orsa::oci {

// Mark-and-sweep of the BlobStore's shared blobs.
//
// Mark: every manifest linked in any repository is a root; it marks itself,
// its config and layers, and (for an index) its child manifests and theirs.
// Marks are kept per repository too, for the repositories' blob links.
// Sweep: a blob is deleted when no root marks it and its file is older than
// the cutoff; a repository's blob link is removed when its blob is gone, or
// when no manifest of that repository marks it and the link is older than
// the cutoff.
//
// Concurrent pushes. Every writer that makes a blob reachable refreshes the
// blob's modification time (storing it, linking it into a repository) and
// holds BlobStore::reachability_mutex() shared from its check to its write;
// a manifest push holds it from the reference check to the manifest link.
// The sweep marks without the lock (reading manifests is the slow part),
// then takes it exclusively and, before deleting anything, marks again the
// manifests linked since and re-reads every blob's and link's time. With no
// writer mid-way, each push is either complete — its manifest is linked and
// now marked, or its blobs are younger than the cutoff — or has not checked
// yet and will find a deleted blob missing (MANIFEST_BLOB_UNKNOWN: the client
// uploads it again). So no linked manifest ever loses a blob it references.
// The cutoff must not be later than the sweep's start for this to hold.
// What remains for a client: a blob it saw with HEAD (old, unreferenced) may
// be gone when its manifest arrives; that push fails cleanly and a retry
// uploads the blob.

/// What a sweep deletes and what it keeps.
struct SweepOptions {
  /// Blobs and blob links modified at or after this (unix seconds) are kept.
  std::int64_t cutoff_unix = 0;
  /// Report only; delete nothing.
  bool dry_run = false;
  /// Dry runs only: (repository, tag) pairs to count as already deleted, as
  /// the collector's deletion of images would (a manifest whose every tag is
  /// listed is no root; an untagged linked manifest stays one).
  std::vector<std::pair<std::string, std::string>> assume_deleted_tags;
  /// Called between the unlocked mark and the locked delete phase (tests
  /// interleave a push there).
  std::function<void()> after_mark;
};

/// What a sweep deleted (or, in a dry run, would delete).
struct SweepReport {
  std::vector<Digest> blobs;  // sorted
  std::int64_t bytes = 0;     // their total size
  std::int64_t links = 0;     // repository blob links removed
};

/// What `repo`'s linked manifests reference: themselves, their configs and
/// layers, an index's child manifests. Fails when one cannot be read. The
/// caller holds reachability_mutex() exclusively for the answer to stay true.
Result<std::set<Digest>> referenced_in(const BlobStore& store, RepoName repo);

/// Sweeps blobs no linked manifest references; see above. Fails (deleting
/// nothing) when a linked manifest cannot be read or parsed, since what it
/// references is then unknown.
Result<SweepReport> sweep_blobs(BlobStore& store, const SweepOptions& options);

}  // namespace orsa::oci
