// The referrers API of the distribution spec v1.1: which manifests of a
// repository name a given manifest as their `subject` (signatures, SBOMs,
// attestations attached to an image).
//
// The answer is computed from the linked manifests themselves rather than
// kept in a separate index: deleting a referrer, or the collector unlinking
// one, can then never leave a stale entry behind, and a crash between two
// writes cannot make the index and the manifests disagree. The price is one
// read of each manifest of the repository per request, which ORSA's
// repositories (one project's images) keep small.

#include <algorithm>

#include "core/json.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"

namespace orsa::oci {
namespace {

// A manifest's subject, the artifact type the referrers list shows for it and
// its annotations; nullopt for a document that names no subject.
struct ReferrerFields {
  Digest subject;
  std::string artifact_type;
  std::map<std::string, std::string> annotations;
};

std::optional<ReferrerFields> referrer_fields(std::string_view bytes) {
  auto kind = manifest_kind(bytes);
  if (!kind) return std::nullopt;
  if (*kind == ManifestKind::kImageManifest) {
    auto manifest = parse_manifest(bytes);
    if (!manifest) return std::nullopt;
    const auto& subject = manifest->subject;
    if (!subject) return std::nullopt;
    // The spec: an image manifest without artifactType is listed under its
    // config's media type.
    std::string type =
        manifest->artifact_type.empty() ? manifest->config.media_type : manifest->artifact_type;
    return ReferrerFields{subject->digest, std::move(type), std::move(manifest->annotations)};
  }
  auto index = parse_index(bytes);
  if (!index) return std::nullopt;
  const auto& subject = index->subject;
  if (!subject) return std::nullopt;
  return ReferrerFields{subject->digest, std::move(index->artifact_type),
                        std::move(index->annotations)};
}

Json descriptor_of(const Digest& digest, std::string_view media_type, std::int64_t size,
                   const ReferrerFields& fields) {
  Json out = Json::object();
  out["mediaType"] = media_type;
  out["digest"] = digest.str();
  out["size"] = size;
  if (!fields.artifact_type.empty()) out["artifactType"] = fields.artifact_type;
  if (!fields.annotations.empty()) out["annotations"] = fields.annotations;
  return out;
}

}  // namespace

std::optional<Digest> subject_of(std::string_view manifest_bytes) {
  auto fields = referrer_fields(manifest_bytes);
  if (!fields) return std::nullopt;
  return fields->subject;
}

Result<std::string> Registry::referrers(RepoName repo, std::string_view subject,
                                        std::string_view artifact_type) const {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  auto wanted = Digest::parse(subject);
  if (!wanted) {
    return fail(
        with_registry_code(Error::invalid_argument(wanted.error().message), "DIGEST_INVALID"));
  }
  Json manifests = Json::array();
  auto linked = store_.list_manifests(repo);
  // An unknown repository has no referrers; the spec answers an empty list.
  if (linked) {
    std::ranges::sort(*linked);
    for (const Digest& digest : *linked) {
      auto bytes = store_.read_blob(digest);
      if (!bytes) continue;  // unlinked by a concurrent delete since the listing
      auto fields = referrer_fields(*bytes);
      if (!fields || fields->subject != *wanted) continue;
      if (!artifact_type.empty() && fields->artifact_type != artifact_type) continue;
      auto media_type = store_.manifest_media_type(repo, digest);
      if (!media_type) continue;
      manifests.push_back(
          descriptor_of(digest, *media_type, static_cast<std::int64_t>(bytes->size()), *fields));
    }
  }
  Json index = Json::object();
  index["schemaVersion"] = 2;
  index["mediaType"] = kOciIndex;
  index["manifests"] = std::move(manifests);
  return index.dump();
}

}  // namespace orsa::oci
