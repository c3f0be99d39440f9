#include "oci/gc.hpp"

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "oci/manifest.hpp"

namespace orsa::oci {
namespace {

// The registry only accepts an index whose children are linked in the same
// repository, so they are roots of their own; following them this deep is a
// second line of defence, not the only one.
constexpr int kMaxIndexDepth = 4;

using RepoDigest = std::pair<std::string, Digest>;

struct Marks {
  std::map<std::string, std::set<Digest>, std::less<>>
      by_repo;  // what each repo's manifests reference
  std::set<Digest> all;
  std::set<RepoDigest> roots;  // manifests already marked
};

struct Plan {
  std::vector<std::pair<Digest, std::int64_t>> blobs;  // with sizes
  std::vector<RepoDigest> links;
};

Error unreadable(const std::string& repo, const Digest& digest, const Error& why) {
  return Error::internal("manifest " + digest.str() + " of " + repo +
                         " cannot be read, so nothing was swept: " + why.message);
}

// Marks a manifest and what it references into `out`.
Result<void> mark_manifest(const BlobStore& store, const std::string& repo, const Digest& digest,
                           std::string_view media_type, std::set<Digest>& out, int depth) {
  out.insert(digest);
  auto bytes = store.read_blob(digest);
  // A link whose blob is gone serves nothing, so it protects nothing.
  if (!bytes && bytes.error().code == ErrorCode::kNotFound) return {};
  if (!bytes) return fail(unreadable(repo, digest, bytes.error()));
  auto kind = manifest_kind(*bytes, media_type);
  if (!kind) return fail(unreadable(repo, digest, kind.error()));
  if (*kind == ManifestKind::kImageManifest) {
    auto manifest = parse_manifest(*bytes);
    if (!manifest) return fail(unreadable(repo, digest, manifest.error()));
    out.insert(manifest->config.digest);
    for (const auto& layer : manifest->layers) out.insert(layer.digest);
    return {};
  }
  auto index = parse_index(*bytes);
  if (!index) return fail(unreadable(repo, digest, index.error()));
  if (depth >= kMaxIndexDepth) return {};
  for (const auto& child : index->manifests) {
    if (out.contains(child.digest)) continue;
    if (auto ok = mark_manifest(store, repo, child.digest, child.media_type, out, depth + 1); !ok)
      return ok;
  }
  return {};
}

// Manifests that deleting `tags` would unlink: those whose every tag is listed.
Result<std::set<RepoDigest>> unlinked_by(
    const BlobStore& store, const std::vector<std::pair<std::string, std::string>>& tags) {
  std::set<std::string> repos;
  for (const auto& t : tags) repos.insert(t.first);
  const std::set<std::pair<std::string, std::string>> deleted(tags.begin(), tags.end());
  std::set<RepoDigest> out;
  for (const auto& repo : repos) {
    auto names = store.list_tags(repo);
    if (!names) return fail(names.error());
    std::map<Digest, bool> survives;  // manifest → has a tag that is not deleted
    for (const auto& name : *names) {
      auto digest = store.resolve_tag(repo, name);
      if (!digest) continue;
      survives[*digest] = survives[*digest] || !deleted.contains({repo, name});
    }
    for (const auto& [digest, kept] : survives) {
      if (!kept) out.emplace(repo, digest);
    }
  }
  return out;
}

// Marks every linked manifest not marked yet (all of them on the first call).
Result<void> mark_all(const BlobStore& store, const std::set<RepoDigest>& skip, Marks& marks) {
  for (const auto& repo : store.list_all_repositories()) {
    auto manifests = store.list_manifests(repo);
    if (!manifests) return fail(manifests.error());
    auto& mine = marks.by_repo[repo];
    for (const auto& digest : *manifests) {
      const RepoDigest root{repo, digest};
      if (skip.contains(root) || marks.roots.contains(root)) continue;
      auto media_type = store.manifest_media_type(repo, digest);
      if (!media_type) continue;  // unlinked since the listing
      if (auto ok = mark_manifest(store, repo, digest, *media_type, mine, 0); !ok) return ok;
      marks.roots.insert(root);
    }
    marks.all.insert(mine.begin(), mine.end());
  }
  return {};
}

Plan plan(const BlobStore& store, const Marks& marks, std::int64_t cutoff) {
  Plan out;
  std::set<Digest> doomed;
  for (const auto& [digest, mtime] : store.list_blobs()) {
    if (marks.all.contains(digest) || mtime >= cutoff) continue;
    auto size = store.blob_size(digest);
    if (!size) continue;  // deleted meanwhile
    out.blobs.emplace_back(digest, *size);
    doomed.insert(digest);
  }
  static const std::set<Digest> kNone;
  for (const auto& repo : store.list_all_repositories()) {
    auto links = store.list_blob_links(repo);
    if (!links) continue;
    const auto it = marks.by_repo.find(repo);
    const auto& mine = it == marks.by_repo.end() ? kNone : it->second;
    for (const auto& [digest, mtime] : *links) {
      const bool gone = doomed.contains(digest) || !store.has_blob(digest);
      const bool stale = !mine.contains(digest) && mtime < cutoff;
      if (gone || stale) out.links.emplace_back(repo, digest);
    }
  }
  return out;
}

SweepReport report_of(const Plan& plan) {
  SweepReport report;
  for (const auto& [digest, size] : plan.blobs) {
    report.blobs.push_back(digest);
    report.bytes += size;
  }
  report.links = static_cast<std::int64_t>(plan.links.size());
  return report;
}

SweepReport execute(BlobStore& store, const Plan& plan) {
  SweepReport report;
  for (const auto& [digest, size] : plan.blobs) {
    if (!store.delete_blob(digest)) continue;
    report.blobs.push_back(digest);
    report.bytes += size;
  }
  for (const auto& [repo, digest] : plan.links) {
    if (store.unlink_blob(repo, digest)) ++report.links;
  }
  return report;
}

}  // namespace

Result<std::set<Digest>> referenced_in(const BlobStore& store, RepoName repo) {
  auto manifests = store.list_manifests(repo);
  if (!manifests) return fail(manifests.error());
  std::set<Digest> out;
  const std::string name(repo);
  for (const auto& digest : *manifests) {
    auto media_type = store.manifest_media_type(repo, digest);
    if (!media_type) continue;  // unlinked since the listing
    if (auto ok = mark_manifest(store, name, digest, *media_type, out, 0); !ok) {
      return fail(ok.error());
    }
  }
  return out;
}

Result<SweepReport> sweep_blobs(BlobStore& store, const SweepOptions& options) {
  Marks marks;
  if (options.dry_run) {
    auto skip = unlinked_by(store, options.assume_deleted_tags);
    if (!skip) return fail(skip.error());
    if (auto ok = mark_all(store, *skip, marks); !ok) return fail(ok.error());
    return report_of(plan(store, marks, options.cutoff_unix));
  }
  if (auto ok = mark_all(store, {}, marks); !ok) return fail(ok.error());
  if (options.after_mark) options.after_mark();
  // No writer is between its check and its write now: mark what was linked
  // since, re-read the times, then delete (see gc.hpp).
  std::unique_lock exclusive(store.reachability_mutex());
  if (auto ok = mark_all(store, {}, marks); !ok) return fail(ok.error());
  return execute(store, plan(store, marks, options.cutoff_unix));
}

}  // namespace orsa::oci
