#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oci/digest.hpp"
#include "oci/tag.hpp"  // validate_tag, which the store applies to every tag

namespace orsa::oci {

struct BlobStoreLimits {
  std::int64_t max_blob_bytes = 2LL * 1024 * 1024 * 1024;  // 2 GiB (base image layers)
  std::int64_t max_manifest_bytes = 4 * 1024 * 1024;
  std::size_t max_open_uploads = 1024;             // the whole store
  std::size_t max_open_uploads_per_user = 8;       // so one tenant cannot hold every session
  std::chrono::seconds upload_idle_timeout{3600};  // an untouched session is reaped after this
};

/// Who an upload session belongs to: the repository it was started in and
/// the user who started it. A session with an owner is recorded on disk and
/// survives a restart; one without (tests, internal use) does not.
struct UploadOwner {
  std::string repo;
  std::string user;
};

/// What one owner namespace ("<owner>/...") takes in the store.
struct NamespaceUsage {
  std::int64_t stored_bytes = 0;  // distinct blobs and manifests its repositories link
  std::int64_t upload_bytes = 0;  // sessions in progress in its repositories
  std::int64_t total() const { return stored_bytes + upload_bytes; }
};

/// A repository name in the store: "<owner>/<project>" (two slugs).
/// Validated by every method; anything else is kInvalidArgument.
using RepoName = std::string_view;

/// Content-addressed storage on disk for the embedded registry, laid out as
/// an OCI image layout whose blobs all repositories share:
///   oci-layout, blobs/sha256/<hex>            content, written via temp + rename
///   repositories/<owner>/<project>/manifests/<hex>   the repo holds this manifest
///   repositories/<owner>/<project>/tags/<tag>        a tag (file holds the digest)
///   repositories/<owner>/<project>/blobs/<hex>       the repo may serve this blob
///   uploads/<id>, uploads/<id>.session               upload sessions in progress
///                                                    (data; owner record)
/// Every write verifies the digest before the content becomes visible, so a
/// reader never sees a partial or wrong blob. Thread-safe.
class BlobStore {
 public:
  static Result<std::unique_ptr<BlobStore>> open(std::filesystem::path root,
                                                 BlobStoreLimits limits = {});
  /// Opens an existing store as it is, for inspection (oci/fsck.hpp): creates
  /// nothing, removes no temp file and resumes no upload session, so a server
  /// using the store meanwhile is not disturbed. kNotFound when absent.
  static Result<std::unique_ptr<BlobStore>> inspect(std::filesystem::path root);
  ~BlobStore();

  // Blobs (shared by all repositories).
  bool has_blob(const Digest& digest) const;
  Result<std::int64_t> blob_size(const Digest& digest) const;
  /// The whole blob; for manifests and configs (small).
  Result<std::string> read_blob(const Digest& digest) const;
  /// A byte range [offset, offset+length) of a blob.
  Result<std::string> read_blob_range(const Digest& digest, std::int64_t offset,
                                      std::int64_t length) const;
  /// Where a blob lives, for streaming it out.
  std::filesystem::path blob_path(const Digest& digest) const;
  /// Stores `bytes`; fails with kInvalidArgument (detail "DIGEST_INVALID") if
  /// they do not hash to `expected`.
  Result<Digest> put_blob(std::string_view bytes,
                          const std::optional<Digest>& expected = std::nullopt);
  /// Moves a finished file into the store after verifying its digest.
  Result<Digest> adopt_file(const std::filesystem::path& file,
                            const std::optional<Digest>& expected = std::nullopt);
  Result<void> delete_blob(const Digest& digest);
  /// Every stored blob with its modification time (unix seconds), for GC.
  std::vector<std::pair<Digest, std::int64_t>> list_blobs() const;

  // Upload sessions (the distribution spec's POST/PATCH/PUT flow).
  /// Opens a session; 429 (TOOMANYREQUESTS) when the store or the owner's
  /// user already has the most open sessions allowed (after reaping idle ones).
  Result<std::string> start_upload(UploadOwner owner = {});
  /// The owner given to start_upload; BLOB_UPLOAD_UNKNOWN for no open session.
  Result<UploadOwner> upload_owner(std::string_view id) const;
  /// Appends a chunk; `expected_offset` (from Content-Range) must equal the
  /// current size (else kInvalidArgument, detail "BLOB_UPLOAD_INVALID").
  /// Returns the new size.
  Result<std::int64_t> append_upload(std::string_view id, std::string_view chunk,
                                     std::optional<std::int64_t> expected_offset = std::nullopt);
  /// As append_upload, with the chunk in a file (copied in pieces, never
  /// held in memory whole). A failure leaves the session as it was.
  Result<std::int64_t> append_upload_file(
      std::string_view id, const std::filesystem::path& chunk,
      std::optional<std::int64_t> expected_offset = std::nullopt);
  Result<std::int64_t> upload_size(std::string_view id) const;
  /// Appends `final_chunk`, verifies the whole upload hashes to `expected`
  /// and moves it into the blobs. The session ends either way on mismatch.
  Result<Digest> finish_upload(std::string_view id, const Digest& expected,
                               std::string_view final_chunk = {});
  /// As finish_upload, with the final chunk in a file. When the session is
  /// still empty the file is the whole blob: it is hashed once and moved
  /// into the blobs (it is gone afterwards), not copied.
  Result<Digest> finish_upload_file(std::string_view id, const Digest& expected,
                                    const std::filesystem::path& final_chunk);
  Result<void> cancel_upload(std::string_view id);
  /// Ends sessions idle for longer than the limit; returns how many.
  std::size_t reap_idle_uploads();
  /// Open sessions started by `user`.
  std::size_t open_uploads(std::string_view user) const;

  /// What the repositories "<owner>/..." take: each distinct blob once,
  /// plus their sessions in progress.
  NamespaceUsage namespace_usage(std::string_view owner) const;
  /// Every owner namespace with a repository directory, sorted.
  std::vector<std::string> list_namespaces() const;

  // Blob links: which shared blobs a repository serves (uploaded, mounted or
  // pushed there), so knowing a digest never opens another tenant's content.
  /// Links the blob and refreshes its modification time, so a sweep that
  /// started earlier treats it as young (oci/gc.hpp).
  Result<void> link_blob(RepoName repo, const Digest& digest);
  bool has_blob_link(RepoName repo, const Digest& digest) const;
  /// The repository's blob links with their modification times (for GC),
  /// dangling ones included.
  Result<std::vector<std::pair<Digest, std::int64_t>>> list_blob_links(RepoName repo) const;
  /// Removes a blob link (the blob itself stays).
  Result<void> unlink_blob(RepoName repo, const Digest& digest);

  // Manifests and tags, per repository.
  /// Records that `repo` holds the manifest blob `digest`, with the media
  /// type it was pushed with (returned to pullers when the document has none).
  Result<void> link_manifest(RepoName repo, const Digest& digest, std::string_view media_type = {});
  bool has_manifest(RepoName repo, const Digest& digest) const;
  /// The media type recorded by link_manifest ("" if none was given).
  Result<std::string> manifest_media_type(RepoName repo, const Digest& digest) const;
  /// Removes the link and every tag of `repo` pointing at it.
  Result<void> unlink_manifest(RepoName repo, const Digest& digest);
  Result<void> set_tag(RepoName repo, std::string_view tag, const Digest& digest);
  Result<Digest> resolve_tag(RepoName repo, std::string_view tag) const;
  Result<void> delete_tag(RepoName repo, std::string_view tag);
  /// Sorted tag names (empty list for an unknown repository).
  Result<std::vector<std::string>> list_tags(RepoName repo) const;
  /// Digests of the manifests `repo` holds.
  Result<std::vector<Digest>> list_manifests(RepoName repo) const;
  /// Sorted "<owner>/<project>" names that hold at least one manifest.
  std::vector<std::string> list_repositories() const;
  /// Every "<owner>/<project>" with a directory, also those holding only
  /// blob links (an interrupted push), for GC.
  std::vector<std::string> list_all_repositories() const;

  /// Writers that make a blob reachable (storing it, linking it, a manifest
  /// push from its reference check to its link) hold this shared; a sweep's
  /// delete phase holds it exclusively (see oci/gc.hpp). BlobStore's own
  /// methods never take it, so a holder may call them.
  std::shared_mutex& reachability_mutex() const;

  const BlobStoreLimits& limits() const;
  /// The store's directory (the layout above).
  const std::filesystem::path& root() const;

 private:
  struct Impl;
  explicit BlobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Removes `repo`'s tag, and unlinks the manifest it named when no other tag
/// of `repo` still names it (two builds of one commit share a digest). A tag
/// or manifest already gone counts as removed; the blobs stay for the sweep.
Result<void> remove_tag_and_unshared_manifest(BlobStore& store, RepoName repo, std::string_view tag,
                                              const Digest& digest);

/// A repository name "<owner>/<project>": two slugs (detail "NAME_INVALID").
Result<void> validate_repo_name(std::string_view repo);

}  // namespace orsa::oci
