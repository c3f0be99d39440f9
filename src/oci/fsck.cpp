#include "oci/fsck.hpp"

#include <set>
#include <tuple>

#include "blob_store_impl.hpp"
#include "oci/manifest.hpp"

namespace orsa::oci {
namespace {

class StoreChecker {
 public:
  StoreChecker(BlobStore& store, const StoreCheckOptions& options)
      : store_(store), options_(options) {}

  std::vector<StoreFinding> run() {
    check_blobs();
    for (const auto& repo : store_.list_all_repositories()) {
      check_manifests(repo);
      check_tags(repo);
    }
    if (!options_.skip_work_in_progress) {
      check_uploads();
      check_temp_files();
    }
    return std::move(findings_);
  }

 private:
  // Records a finding; `fix` runs only with --repair and says whether it worked.
  template <class Fix>
  void found(std::string kind, std::string repo, std::string subject, std::string detail, Fix fix) {
    StoreFinding f{
        std::move(kind), std::move(repo), std::move(subject), std::move(detail), true, false};
    if (options_.repair) f.repaired = fix();
    findings_.push_back(std::move(f));
  }

  void report(std::string kind, std::string repo, std::string subject, std::string detail) {
    findings_.push_back(
        {std::move(kind), std::move(repo), std::move(subject), std::move(detail), false, false});
  }

  bool usable(const Digest& digest) const {
    return !corrupt_.contains(digest) && store_.has_blob(digest);
  }

  void check_blobs() {
    if (!options_.verify_content) return;
    for (const auto& [digest, mtime] : store_.list_blobs()) {
      auto actual = hash_file(store_.blob_path(digest));
      if (!actual || *actual == digest) continue;  // unreadable now: gone meanwhile
      corrupt_.insert(digest);
      found("corrupt_blob", "", digest.str(),
            "content hashes to " + actual->str() + " (a damaged or half-written file)",
            [&] { return static_cast<bool>(store_.delete_blob(digest)); });
    }
  }

  void check_manifests(const std::string& repo) {
    auto manifests = store_.list_manifests(repo);
    if (!manifests) return;
    for (const auto& digest : *manifests) {
      if (!usable(digest)) {
        found("manifest_missing", repo, digest.str(),
              "the repository links a manifest whose blob is missing or corrupt",
              [&] { return static_cast<bool>(store_.unlink_manifest(repo, digest)); });
        continue;
      }
      check_references(repo, digest);
    }
  }

  void check_references(const std::string& repo, const Digest& digest) {
    auto bytes = store_.read_blob(digest);
    auto media_type = store_.manifest_media_type(repo, digest);
    if (!bytes || !media_type) return;  // gone meanwhile
    auto kind = manifest_kind(*bytes, *media_type);
    if (!kind) {
      report("manifest_invalid", repo, digest.str(), kind.error().message);
      return;
    }
    if (*kind == ManifestKind::kImageIndex) {
      auto index = parse_index(*bytes);
      if (!index) return report("manifest_invalid", repo, digest.str(), index.error().message);
      for (const auto& child : index->manifests) {
        if (store_.has_manifest(repo, child.digest) && usable(child.digest)) continue;
        report("blob_missing", repo, child.digest.str(),
               "index " + digest.str() + " names a manifest the repository does not hold");
      }
      return;
    }
    auto manifest = parse_manifest(*bytes);
    if (!manifest) return report("manifest_invalid", repo, digest.str(), manifest.error().message);
    std::vector<Digest> referenced{manifest->config.digest};
    for (const auto& layer : manifest->layers) referenced.push_back(layer.digest);
    for (const auto& blob : referenced) {
      if (!usable(blob)) {
        report("blob_missing", repo, blob.str(),
               "manifest " + digest.str() + " references it; pushing the image again restores it");
      } else if (!store_.has_blob_link(repo, blob)) {
        found("blob_link_missing", repo, blob.str(),
              "manifest " + digest.str() + " references it but the repository does not link it",
              [&] { return static_cast<bool>(store_.link_blob(repo, blob)); });
      }
    }
  }

  void check_tags(const std::string& repo) {
    auto tags = store_.list_tags(repo);
    if (!tags) return;
    for (const auto& tag : *tags) {
      auto digest = store_.resolve_tag(repo, tag);
      if (digest && store_.has_manifest(repo, *digest)) continue;
      found("tag_dangling", repo, tag,
            digest ? "names " + digest->str() + ", which the repository does not hold"
                   : "the tag file is unreadable",
            [&] { return static_cast<bool>(store_.delete_tag(repo, tag)); });
    }
  }

  void check_uploads() {
    const fs::path dir = store_.root() / "uploads";
    const std::int64_t cutoff = options_.now_unix - options_.upload_age.count();
    std::error_code ec;
    for (const auto& name : sorted_entries(dir)) {
      const fs::path path = dir / name;
      const bool record = name.ends_with(kSessionSuffix);
      const fs::path data =
          record ? dir / name.substr(0, name.size() - kSessionSuffix.size()) : path;
      const bool paired = record ? fs::exists(data, ec) : fs::exists(session_record(path), ec);
      if (record && paired) continue;  // judged with its data file
      const std::int64_t mtime = mtime_of(path);
      if (paired && mtime >= cutoff) continue;  // resumable: the server recovers it
      const auto size = record ? 0 : fs::file_size(path, ec);
      const std::string why =
          !paired ? (record ? "a session record without its data" : "upload data without a session")
                  : "untouched for " + std::to_string(options_.now_unix - mtime) + " s (" +
                        std::to_string(ec ? 0 : size) + " bytes)";
      found("stale_upload", "", data.filename().string(), why, [&] {
        std::error_code rm;
        fs::remove(data, rm);
        fs::remove(session_record(data), rm);
        return !rm;
      });
    }
  }

  void check_temp_files() {
    const fs::path dir = store_.root() / "tmp";
    for (const auto& name : sorted_entries(dir)) {
      found("temp_file", "", name, "left by an interrupted write", [&] {
        std::error_code ec;
        fs::remove(dir / name, ec);
        return !ec;
      });
    }
  }

  BlobStore& store_;
  const StoreCheckOptions& options_;
  std::set<Digest> corrupt_;
  std::vector<StoreFinding> findings_;
};

}  // namespace

Result<std::vector<StoreFinding>> check_store(BlobStore& store, const StoreCheckOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(store.root() / "blobs" / "sha256", ec)) {
    return fail(
        Error::unavailable("the registry store at " + store.root().string() + " cannot be read"));
  }
  // Repairs delete and link: no sweep or push may run between check and fix.
  std::unique_lock exclusive(store.reachability_mutex(), std::defer_lock);
  if (options.repair) exclusive.lock();
  return StoreChecker(store, options).run();
}

}  // namespace orsa::oci
