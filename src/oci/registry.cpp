#include "oci/registry.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <shared_mutex>

#include "core/json.hpp"
#include "oci/gc.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace orsa::oci {
namespace {

Error manifest_unknown_error() {
  return with_registry_code(Error::not_found("manifest unknown to repository"), "MANIFEST_UNKNOWN");
}

Error range_invalid() {
  return with_registry_code(Error::invalid_argument("requested range is not satisfiable"),
                            "RANGE_INVALID");
}

Error manifest_invalid(std::string_view why) {
  return with_registry_code(Error::invalid_argument("manifest invalid: " + std::string(why)),
                            "MANIFEST_INVALID");
}

Error manifest_blob_unknown(const Digest& digest) {
  return with_registry_code(Error::invalid_argument("manifest references " + digest.str() +
                                                    ", which is not in the repository"),
                            "MANIFEST_BLOB_UNKNOWN");
}

// A digest from a URL or query: an unparsable one is the client's DIGEST_INVALID.
Result<Digest> parse_digest(std::string_view text) {
  auto digest = Digest::parse(text);
  if (!digest)
    return fail(
        with_registry_code(Error::invalid_argument(digest.error().message), "DIGEST_INVALID"));
  return digest;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::string_view strip_parameters(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

bool is_manifest_media_type(std::string_view type) {
  return type == kOciManifest || type == kOciIndex || type == kDockerManifest ||
         type == kDockerManifestList;
}

// Entries after `last`, at most `n`; entries must be sorted.
Page page_of(std::vector<std::string> entries, std::optional<std::size_t> n,
             std::string_view last) {
  Page page;
  auto begin = last.empty() ? entries.begin()
                            : std::upper_bound(entries.begin(), entries.end(), last,
                                               [](std::string_view l, const std::string& e) {
                                                 return l < std::string_view(e);
                                               });
  const std::size_t limit = std::min(n.value_or(entries.size()), kMaxPageSize);
  const std::size_t available = static_cast<std::size_t>(entries.end() - begin);
  const std::size_t take = std::min(limit, available);
  page.entries.assign(std::make_move_iterator(begin),
                      std::make_move_iterator(begin + static_cast<std::ptrdiff_t>(take)));
  if (take < available && !page.entries.empty()) page.next_last = page.entries.back();
  return page;
}

}  // namespace

Result<ByteRange> parse_range_header(std::string_view header, std::int64_t size) {
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix) || header.find(',') != std::string_view::npos) {
    return fail(range_invalid());
  }
  const std::string_view spec = header.substr(kPrefix.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return fail(range_invalid());
  const auto first = parse_int(spec.substr(0, dash));
  const auto last = parse_int(spec.substr(dash + 1));
  ByteRange range;
  if (!first) {
    // "bytes=-n": the last n bytes.
    if (dash != 0 || !last || *last == 0 || size == 0) return fail(range_invalid());
    range.first = size - std::min(*last, size);
    range.last = size - 1;
    return range;
  }
  if (*first >= size) return fail(range_invalid());
  if (dash + 1 < spec.size() && !last) return fail(range_invalid());
  range.first = *first;
  range.last = last ? std::min(*last, size - 1) : size - 1;
  if (range.last < range.first) return fail(range_invalid());
  return range;
}

Result<ByteRange> parse_content_range(std::string_view header) {
  if (header.starts_with("bytes ")) header.remove_prefix(6);
  if (header.starts_with("bytes=")) header.remove_prefix(6);
  const auto dash = header.find('-');
  const auto first = parse_int(header.substr(0, dash));
  const auto last =
      dash == std::string_view::npos ? std::nullopt : parse_int(header.substr(dash + 1));
  if (!first || !last || *last < *first) {
    return fail(with_registry_code(
        Error::invalid_argument("Content-Range must be '<first>-<last>'"), "BLOB_UPLOAD_INVALID"));
  }
  return ByteRange{*first, *last};
}

bool is_digest_reference(std::string_view reference) {
  return reference.find(':') != std::string_view::npos;
}

Registry::Registry(BlobStore& store, QuotaLookup quota_for)
    : store_(store), quota_for_(std::move(quota_for)) {}

std::optional<std::int64_t> Registry::quota(std::string_view owner) const {
  if (!quota_for_) return std::nullopt;
  return quota_for_(owner);
}

Result<void> Registry::check_quota(RepoName repo, std::int64_t adding) const {
  const std::string_view owner = repo.substr(0, repo.find('/'));
  const auto limit = quota(owner);
  if (!limit) return {};
  const NamespaceUsage usage = store_.namespace_usage(owner);
  if (usage.total() + adding <= *limit) return {};
  return fail(with_registry_code(
      Error::permission_denied("registry storage quota exceeded: '" + std::string(owner) +
                               "' uses " + std::to_string(usage.total()) + " of its quota of " +
                               std::to_string(*limit) + " bytes and this request adds " +
                               std::to_string(adding) + "; delete images to free space"),
      "DENIED"));
}

Result<std::int64_t> Registry::blob_size(RepoName repo, std::string_view digest) const {
  auto d = parse_digest(digest);
  if (!d) return fail(d.error());
  if (!store_.has_blob_link(repo, *d)) {
    return fail(with_registry_code(Error::not_found("blob unknown to registry"), "BLOB_UNKNOWN"));
  }
  return store_.blob_size(*d);
}

Result<std::string> Registry::read_blob(RepoName repo, std::string_view digest,
                                        ByteRange range) const {
  auto size = blob_size(repo, digest);
  if (!size) return fail(size.error());
  return store_.read_blob_range(*parse_digest(digest), range.first, range.length());
}

Result<std::string> Registry::start_upload(RepoName repo, std::string_view user) {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  return store_.start_upload(UploadOwner{std::string(repo), std::string(user)});
}

Result<Digest> Registry::put_blob(RepoName repo, std::string_view digest, std::string_view bytes) {
  auto expected = parse_digest(digest);
  if (!expected) return fail(expected.error());
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  if (auto ok = check_quota(repo, static_cast<std::int64_t>(bytes.size())); !ok) {
    return fail(ok.error());
  }
  std::shared_lock reachable(store_.reachability_mutex());
  auto stored = store_.put_blob(bytes, *expected);
  if (!stored) return fail(stored.error());
  if (auto ok = store_.link_blob(repo, *stored); !ok) return fail(ok.error());
  return stored;
}

Result<Digest> Registry::put_blob_file(RepoName repo, std::string_view digest,
                                       const std::filesystem::path& file) {
  auto expected = parse_digest(digest);
  if (!expected) return fail(expected.error());
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return fail(Error::internal("the uploaded blob is missing"));
  if (auto ok = check_quota(repo, static_cast<std::int64_t>(size)); !ok) return fail(ok.error());
  std::shared_lock reachable(store_.reachability_mutex());
  auto stored = store_.adopt_file(file, *expected);
  if (!stored) return fail(stored.error());
  if (auto ok = store_.link_blob(repo, *stored); !ok) return fail(ok.error());
  return stored;
}

Result<void> Registry::check_upload_owner(RepoName repo, std::string_view id) const {
  auto owner = store_.upload_owner(id);
  // Another repository's session is as unknown as a made-up id.
  if (!owner || owner->repo != repo) {
    return fail(with_registry_code(Error::not_found("blob upload unknown to registry"),
                                   "BLOB_UPLOAD_UNKNOWN"));
  }
  return {};
}

Result<std::int64_t> Registry::append_upload(RepoName repo, std::string_view id,
                                             std::string_view chunk,
                                             std::optional<std::int64_t> offset) {
  if (auto ok = check_upload_owner(repo, id); !ok) return fail(ok.error());
  if (auto ok = check_quota(repo, static_cast<std::int64_t>(chunk.size())); !ok) {
    return fail(ok.error());
  }
  return store_.append_upload(id, chunk, offset);
}

Result<std::int64_t> Registry::append_upload_file(RepoName repo, std::string_view id,
                                                  const std::filesystem::path& chunk,
                                                  std::optional<std::int64_t> offset) {
  if (auto ok = check_upload_owner(repo, id); !ok) return fail(ok.error());
  std::error_code ec;
  const auto size = std::filesystem::file_size(chunk, ec);
  if (ec) return fail(Error::internal("the uploaded chunk is missing"));
  if (auto ok = check_quota(repo, static_cast<std::int64_t>(size)); !ok) return fail(ok.error());
  return store_.append_upload_file(id, chunk, offset);
}

Result<std::int64_t> Registry::upload_size(RepoName repo, std::string_view id) const {
  if (auto ok = check_upload_owner(repo, id); !ok) return fail(ok.error());
  return store_.upload_size(id);
}

Result<Digest> Registry::finish_upload(RepoName repo, std::string_view id, std::string_view digest,
                                       std::string_view final_chunk) {
  if (auto ok = check_upload_owner(repo, id); !ok) return fail(ok.error());
  auto expected = parse_digest(digest);
  if (!expected) return fail(expected.error());
  if (auto ok = check_quota(repo, static_cast<std::int64_t>(final_chunk.size())); !ok) {
    return fail(ok.error());
  }
  std::shared_lock reachable(store_.reachability_mutex());
  auto stored = store_.finish_upload(id, *expected, final_chunk);
  if (!stored) return fail(stored.error());
  if (auto ok = store_.link_blob(repo, *stored); !ok) return fail(ok.error());
  return stored;
}

Result<Digest> Registry::finish_upload_file(RepoName repo, std::string_view id,
                                            std::string_view digest,
                                            const std::filesystem::path& final_chunk) {
  if (auto ok = check_upload_owner(repo, id); !ok) return fail(ok.error());
  auto expected = parse_digest(digest);
  if (!expected) return fail(expected.error());
  std::error_code ec;
  const auto size = std::filesystem::file_size(final_chunk, ec);
  if (ec) return fail(Error::internal("the uploaded chunk is missing"));
  if (auto ok = check_quota(repo, static_cast<std::int64_t>(size)); !ok) return fail(ok.error());
  std::shared_lock reachable(store_.reachability_mutex());
  auto stored = store_.finish_upload_file(id, *expected, final_chunk);
  if (!stored) return fail(stored.error());
  if (auto ok = store_.link_blob(repo, *stored); !ok) return fail(ok.error());
  return stored;
}

Result<void> Registry::cancel_upload(RepoName repo, std::string_view id) {
  if (auto ok = check_upload_owner(repo, id); !ok) return ok;
  return store_.cancel_upload(id);
}

Result<MountOutcome> Registry::mount_blob(RepoName repo, std::string_view digest, RepoName from,
                                          bool may_read_from, std::string_view user) {
  auto d = parse_digest(digest);
  if (!d) return fail(d.error());
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  {
    std::shared_lock reachable(store_.reachability_mutex());
    if (may_read_from && store_.has_blob_link(from, *d)) {
      // A mount adds the blob to this namespace's usage unless it already serves it.
      if (!store_.has_blob_link(repo, *d)) {
        if (auto ok = check_quota(repo, store_.blob_size(*d).value_or(0)); !ok) {
          return fail(ok.error());
        }
      }
      if (auto ok = store_.link_blob(repo, *d); !ok) return fail(ok.error());
      return MountOutcome{true, {}};
    }
  }
  // The spec's fallback: the client uploads as if it had not asked to mount.
  auto id = start_upload(repo, user);
  if (!id) return fail(id.error());
  return MountOutcome{false, std::move(*id)};
}

Result<StoredManifest> Registry::get_manifest(RepoName repo, std::string_view reference) const {
  Digest digest = Digest::of("");
  if (is_digest_reference(reference)) {
    auto d = parse_digest(reference);
    if (!d) return fail(d.error());
    digest = *d;
  } else {
    // A malformed tag names no manifest (distribution spec: 404 on reads);
    // only writes report TAG_INVALID. resolve_tag checks it again before
    // the tag becomes a file name.
    if (!validate_tag(reference)) return fail(manifest_unknown_error());
    auto d = store_.resolve_tag(repo, reference);
    if (!d) return fail(d.error());
    digest = *d;
  }
  auto media_type = store_.manifest_media_type(repo, digest);
  if (!media_type) return fail(media_type.error());
  auto bytes = store_.read_blob(digest);
  if (!bytes) return fail(manifest_unknown_error());
  return StoredManifest{std::move(*bytes), digest, std::move(*media_type)};
}

Result<void> Registry::check_references(RepoName repo, std::string_view bytes,
                                        std::string_view content_type,
                                        std::string& media_type) const {
  auto kind = manifest_kind(bytes, content_type);
  if (!kind) return fail(manifest_invalid(kind.error().message));
  std::vector<Digest> blobs;
  std::vector<Digest> manifests;
  if (*kind == ManifestKind::kImageManifest) {
    auto manifest = parse_manifest(bytes);
    if (!manifest) return fail(manifest_invalid(manifest.error().message));
    media_type = manifest->media_type;
    blobs.push_back(manifest->config.digest);
    for (const auto& layer : manifest->layers) blobs.push_back(layer.digest);
  } else {
    auto index = parse_index(bytes);
    if (!index) return fail(manifest_invalid(index.error().message));
    media_type = index->media_type;
    for (const auto& m : index->manifests) manifests.push_back(m.digest);
  }
  for (const auto& d : blobs) {
    if (!store_.has_blob_link(repo, d)) return fail(manifest_blob_unknown(d));
  }
  for (const auto& d : manifests) {
    if (!store_.has_manifest(repo, d)) return fail(manifest_blob_unknown(d));
  }
  // Without a mediaType in the document, the parsers assume OCI; a Docker
  // client's declared Content-Type is the better answer for pullers then.
  const Json doc = Json::parse(bytes, nullptr, false);
  const std::string_view declared = strip_parameters(content_type);
  if (!doc.contains("mediaType") && is_manifest_media_type(declared)) {
    media_type = std::string(declared);
  }
  return {};
}

Result<Digest> Registry::put_manifest(RepoName repo, std::string_view reference,
                                      std::string_view bytes, std::string_view content_type) {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  const std::int64_t limit = store_.limits().max_manifest_bytes;
  if (static_cast<std::int64_t>(bytes.size()) > limit) {
    return fail(with_registry_code(
        Error::too_large("manifest exceeds the limit of " + std::to_string(limit) + " bytes"),
        "SIZE_INVALID"));
  }
  Digest digest = Digest::of(bytes);
  const bool by_digest = is_digest_reference(reference);
  if (by_digest) {
    auto expected = parse_digest(reference);
    if (!expected) return fail(expected.error());
    if (*expected != digest) {
      return fail(with_registry_code(
          Error::invalid_argument("manifest digest " + digest.str() +
                                  " does not match the reference " + expected->str()),
          "DIGEST_INVALID"));
    }
  } else if (auto ok = validate_tag(reference); !ok) {
    return fail(ok.error());
  }
  std::string media_type;
  // From the reference check to the link, a sweep must not delete what the
  // check found (oci/gc.hpp).
  std::shared_lock reachable(store_.reachability_mutex());
  if (auto ok = check_references(repo, bytes, content_type, media_type); !ok)
    return fail(ok.error());
  if (auto stored = store_.put_blob(bytes, digest); !stored) return fail(stored.error());
  if (auto ok = store_.link_blob(repo, digest); !ok) return fail(ok.error());
  if (auto ok = store_.link_manifest(repo, digest, media_type); !ok) return fail(ok.error());
  if (!by_digest) {
    if (auto ok = store_.set_tag(repo, reference, digest); !ok) return fail(ok.error());
  }
  return digest;
}

Result<void> Registry::delete_manifest(RepoName repo, std::string_view reference) {
  if (!is_digest_reference(reference)) return store_.delete_tag(repo, reference);
  auto digest = parse_digest(reference);
  if (!digest) return fail(digest.error());
  return store_.unlink_manifest(repo, *digest);
}

Result<void> Registry::delete_blob(RepoName repo, std::string_view digest) {
  auto d = parse_digest(digest);
  if (!d) return fail(d.error());
  // Exclusive: no manifest push may check its references between the check
  // below and the unlink, or it could link a manifest whose blob just left.
  std::unique_lock exclusive(store_.reachability_mutex());
  if (!store_.has_blob_link(repo, *d)) {
    return fail(with_registry_code(Error::not_found("blob unknown to registry"), "BLOB_UNKNOWN"));
  }
  auto referenced = referenced_in(store_, repo);
  if (!referenced) return fail(referenced.error());
  if (referenced->contains(*d)) {
    return fail(with_registry_code(
        Error::invalid_argument("blob " + d->str() + " is part of a manifest of " +
                                std::string(repo) + "; delete the manifest first"),
        "UNSUPPORTED"));
  }
  return store_.unlink_blob(repo, *d);
}

Result<Page> Registry::list_tags(RepoName repo, std::optional<std::size_t> n,
                                 std::string_view last) const {
  auto tags = store_.list_tags(repo);
  if (!tags) return fail(tags.error());
  return page_of(std::move(*tags), n, last);
}

Page Registry::catalog(const std::function<bool(std::string_view)>& visible,
                       std::optional<std::size_t> n, std::string_view last) const {
  std::vector<std::string> names = store_.list_repositories();
  std::erase_if(names, [&](const std::string& name) { return !visible(name); });
  return page_of(std::move(names), n, last);
}

}  // namespace orsa::oci
