#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oci/blob_store.hpp"
#include "oci/digest.hpp"

namespace orsa::oci {

// The OCI distribution spec (v1.1) semantics over a BlobStore, with no HTTP
// and no notion of users: callers decide access first and pass the verdicts
// in (e.g. whether the source of a mount is readable). Every error carries
// the spec's error code in Error::detail ("MANIFEST_BLOB_UNKNOWN", …); the
// Error::code gives the HTTP status class.

/// A manifest as pushed: its exact bytes, digest and media type.
struct StoredManifest {
  std::string bytes;
  Digest digest;
  std::string media_type;
};

/// One page of a sorted listing; `next_last` is set when more entries follow
/// (the `last` value of the next page's request, for the Link header).
struct Page {
  std::vector<std::string> entries;
  std::optional<std::string> next_last;
};

/// An inclusive byte range of a blob.
struct ByteRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::int64_t length() const { return last - first + 1; }
};

/// The outcome of a cross-repository mount: mounted, or an upload to use instead.
struct MountOutcome {
  bool mounted = false;
  std::string upload_id;  // when not mounted
};

/// Largest page a client may ask for; larger `n` is clamped.
inline constexpr std::size_t kMaxPageSize = 1000;

/// Parses a `Range: bytes=a-b` (or `bytes=a-`, `bytes=-n`) header against a
/// blob of `size` bytes; detail "RANGE_INVALID" when unsatisfiable or malformed.
Result<ByteRange> parse_range_header(std::string_view header, std::int64_t size);

/// Parses an upload chunk's `Content-Range: a-b` (optionally "bytes a-b"),
/// inclusive at both ends; detail "BLOB_UPLOAD_INVALID" when malformed.
Result<ByteRange> parse_content_range(std::string_view header);

/// True when `reference` names a digest (contains ':') rather than a tag.
bool is_digest_reference(std::string_view reference);

/// The digest a manifest names as its `subject` (image-spec v1.1), for the
/// `OCI-Subject` response header of a push; nullopt when it names none.
std::optional<Digest> subject_of(std::string_view manifest_bytes);

/// Per-namespace storage quotas: the bytes "<owner>/..." may take, or
/// nullopt for no limit. Unset: no quotas.
using QuotaLookup = std::function<std::optional<std::int64_t>(std::string_view owner)>;

class Registry {
 public:
  explicit Registry(BlobStore& store, QuotaLookup quota_for = {});

  // Blobs, as seen through one repository.
  /// Size of a blob the repository serves; BLOB_UNKNOWN otherwise.
  Result<std::int64_t> blob_size(RepoName repo, std::string_view digest) const;
  /// The bytes of `range` of a blob the repository serves.
  Result<std::string> read_blob(RepoName repo, std::string_view digest, ByteRange range) const;

  // Uploads, bound to the repository that started them and counted against
  // the user who did (BlobStore's per-user session limit) and the
  // repository's owner namespace (its quota).
  Result<std::string> start_upload(RepoName repo, std::string_view user = {});
  /// POST with ?digest=: the whole blob in one request.
  Result<Digest> put_blob(RepoName repo, std::string_view digest, std::string_view bytes);
  /// As put_blob, with the blob in a file (a spooled request body), which is
  /// moved into the store.
  Result<Digest> put_blob_file(RepoName repo, std::string_view digest,
                               const std::filesystem::path& file);
  /// PATCH: appends a chunk at `offset` (when the client gave one); new size.
  Result<std::int64_t> append_upload(RepoName repo, std::string_view id, std::string_view chunk,
                                     std::optional<std::int64_t> offset);
  /// As append_upload, with the chunk in a file.
  Result<std::int64_t> append_upload_file(RepoName repo, std::string_view id,
                                          const std::filesystem::path& chunk,
                                          std::optional<std::int64_t> offset);
  /// Fails with the quota error when `adding` more bytes would take the
  /// repository's namespace over its quota; lets admission refuse early.
  Result<void> check_quota(RepoName repo, std::int64_t adding) const;
  /// The quota of an owner namespace (nullopt: none).
  std::optional<std::int64_t> quota(std::string_view owner) const;
  Result<std::int64_t> upload_size(RepoName repo, std::string_view id) const;
  /// PUT ?digest=: appends the final chunk, verifies and links the blob.
  Result<Digest> finish_upload(RepoName repo, std::string_view id, std::string_view digest,
                               std::string_view final_chunk);
  /// As finish_upload, with the final chunk (possibly empty) in a file.
  Result<Digest> finish_upload_file(RepoName repo, std::string_view id, std::string_view digest,
                                    const std::filesystem::path& final_chunk);
  Result<void> cancel_upload(RepoName repo, std::string_view id);
  /// Links `digest` from `from` when the caller may read `from` and it holds
  /// the blob; otherwise starts an ordinary upload in `repo`.
  Result<MountOutcome> mount_blob(RepoName repo, std::string_view digest, RepoName from,
                                  bool may_read_from, std::string_view user = {});

  // Manifests.
  /// By tag or digest: the bytes exactly as pushed, with their media type.
  Result<StoredManifest> get_manifest(RepoName repo, std::string_view reference) const;
  /// Validates (JSON shape, every referenced blob or manifest present in the
  /// repository, size), stores the bytes as sent, links and tags them.
  Result<Digest> put_manifest(RepoName repo, std::string_view reference, std::string_view bytes,
                              std::string_view content_type);
  /// By digest: unlinks the manifest and its tags. By tag: removes only the
  /// tag (distribution spec v1.1), the manifest stays reachable by digest.
  Result<void> delete_manifest(RepoName repo, std::string_view reference);
  /// Removes the blob from `repo` (the collector reclaims its bytes once no
  /// repository holds it). A blob a linked manifest of `repo` references, or
  /// a manifest itself, is refused (UNSUPPORTED): delete the manifest first.
  Result<void> delete_blob(RepoName repo, std::string_view digest);

  /// The referrers API (distribution spec v1.1): an OCI image index of the
  /// repository's manifests whose `subject` is `subject`, each described by
  /// media type, digest, size, artifactType and annotations, sorted by
  /// digest; only those of `artifact_type` when it is not empty. An unknown
  /// subject or repository has an empty list; a malformed digest is
  /// DIGEST_INVALID.
  Result<std::string> referrers(RepoName repo, std::string_view subject,
                                std::string_view artifact_type = {}) const;

  // Listings.
  /// Tags after `last`, at most `n` (all when nullopt), sorted.
  Result<Page> list_tags(RepoName repo, std::optional<std::size_t> n, std::string_view last) const;
  /// Repositories holding a manifest that `visible` accepts, paged likewise.
  Page catalog(const std::function<bool(std::string_view)>& visible, std::optional<std::size_t> n,
               std::string_view last) const;

  BlobStore& store() const { return store_; }

 private:
  Result<void> check_upload_owner(RepoName repo, std::string_view id) const;
  Result<void> check_references(RepoName repo, std::string_view bytes,
                                std::string_view content_type, std::string& media_type) const;

  BlobStore& store_;
  QuotaLookup quota_for_;
};

}  // namespace orsa::oci
