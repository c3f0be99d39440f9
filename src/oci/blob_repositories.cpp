#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <tuple>
#include <unordered_set>

#include "blob_store_impl.hpp"
#include "core/slug.hpp"
#include "core/strings.hpp"

namespace orsa::oci {

NamespaceUsage BlobStore::namespace_usage(std::string_view owner) const {
  NamespaceUsage usage;
  if (!validate_slug(owner, "owner")) return usage;
  const fs::path dir = impl_->root / "repositories" / std::string(owner);
  std::vector<std::string> hexes;
  for (const auto& project : sorted_entries(dir)) {
    for (const char* kind : {"blobs", "manifests"}) {
      for (auto& name : sorted_entries(dir / project / kind)) hexes.push_back(std::move(name));
    }
  }
  std::ranges::sort(hexes);
  const auto [first, last] = std::ranges::unique(hexes);
  hexes.erase(first, last);
  for (const auto& hex : hexes) {
    if (auto digest = Digest::parse("sha256:" + hex)) {
      if (auto size = blob_size(*digest)) usage.stored_bytes += *size;
    }
  }
  const std::string prefix = std::string(owner) + "/";
  std::lock_guard lock(impl_->uploads_mu);
  for (const auto& [id, upload] : impl_->uploads) {
    // The size is read without the session's lock: an estimate is enough here.
    if (upload->owner.repo.starts_with(prefix)) usage.upload_bytes += upload->size;
  }
  return usage;
}

std::vector<std::string> BlobStore::list_namespaces() const {
  std::vector<std::string> out;
  for (auto& owner : sorted_entries(impl_->root / "repositories")) {
    if (validate_slug(owner, "owner")) out.push_back(std::move(owner));
  }
  return out;
}

Result<void> BlobStore::link_blob(RepoName repo, const Digest& digest) {
  if (auto ok = validate_repo_name(repo); !ok) return ok;
  if (!has_blob(digest)) return fail(blob_unknown());
  std::error_code ec;
  fs::create_directories(impl_->repo_dir(repo) / "blobs", ec);
  if (ec) return fail(Error::internal("cannot create the repository: " + ec.message()));
  touch(impl_->blob(digest));
  return write_atomic(impl_->tmp(), impl_->blob_link(repo, digest), {});
}

Result<std::vector<std::pair<Digest, std::int64_t>>> BlobStore::list_blob_links(
    RepoName repo) const {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  std::vector<std::pair<Digest, std::int64_t>> out;
  const fs::path dir = impl_->repo_dir(repo) / "blobs";
  for (const auto& name : sorted_entries(dir)) {
    if (auto digest = Digest::parse("sha256:" + name))
      out.emplace_back(*digest, mtime_of(dir / name));
  }
  return out;
}

Result<void> BlobStore::unlink_blob(RepoName repo, const Digest& digest) {
  if (auto ok = validate_repo_name(repo); !ok) return ok;
  if (::unlink(impl_->blob_link(repo, digest).c_str()) == 0) return {};
  if (errno == ENOENT) return fail(blob_unknown());
  return fail(io_error("cannot delete a blob link"));
}

bool BlobStore::has_blob_link(RepoName repo, const Digest& digest) const {
  if (!validate_repo_name(repo)) return false;
  std::error_code ec;
  return fs::is_regular_file(impl_->blob_link(repo, digest), ec) && has_blob(digest);
}

Result<void> BlobStore::link_manifest(RepoName repo, const Digest& digest,
                                      std::string_view media_type) {
  if (auto ok = validate_repo_name(repo); !ok) return ok;
  std::lock_guard lock(impl_->meta_mu);
  std::error_code ec;
  fs::create_directories(impl_->repo_dir(repo) / "manifests", ec);
  if (ec) return fail(Error::internal("cannot create the repository: " + ec.message()));
  return write_atomic(impl_->tmp(), impl_->link(repo, digest), media_type);
}

bool BlobStore::has_manifest(RepoName repo, const Digest& digest) const {
  if (!validate_repo_name(repo)) return false;
  std::error_code ec;
  return fs::is_regular_file(impl_->link(repo, digest), ec);
}

Result<std::string> BlobStore::manifest_media_type(RepoName repo, const Digest& digest) const {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  UniqueFd fd(::open(impl_->link(repo, digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return fail(manifest_unknown());
  std::string text(256, '\0');
  const ssize_t n = ::read(fd.get(), text.data(), text.size());
  if (n < 0) return fail(io_error("cannot read a manifest link"));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

Result<void> BlobStore::unlink_manifest(RepoName repo, const Digest& digest) {
  if (auto ok = validate_repo_name(repo); !ok) return ok;
  std::lock_guard lock(impl_->meta_mu);
  if (::unlink(impl_->link(repo, digest).c_str()) != 0) {
    if (errno == ENOENT) return fail(manifest_unknown());
    return fail(io_error("cannot delete a manifest"));
  }
  const fs::path tags = impl_->repo_dir(repo) / "tags";
  for (const auto& name : sorted_entries(tags)) {
    // Tag files are tiny; a read error just leaves that tag in place.
    UniqueFd fd(::open((tags / name).c_str(), O_RDONLY | O_CLOEXEC));
    std::string text(80, '\0');
    const ssize_t n = fd.ok() ? ::read(fd.get(), text.data(), text.size()) : -1;
    if (n > 0 && std::string_view(text.data(), static_cast<std::size_t>(n)) == digest.str()) {
      ::unlink((tags / name).c_str());
    }
  }
  return {};
}

Result<void> BlobStore::set_tag(RepoName repo, std::string_view tag, const Digest& digest) {
  if (auto ok = validate_repo_name(repo); !ok) return ok;
  if (auto ok = validate_tag(tag); !ok) return ok;
  std::lock_guard lock(impl_->meta_mu);
  std::error_code ec;
  fs::create_directories(impl_->repo_dir(repo) / "tags", ec);
  if (ec) return fail(Error::internal("cannot create the repository: " + ec.message()));
  return write_atomic(impl_->tmp(), impl_->tag(repo, tag), digest.str());
}

Result<Digest> BlobStore::resolve_tag(RepoName repo, std::string_view tag) const {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  if (auto ok = validate_tag(tag); !ok) return fail(ok.error());
  UniqueFd fd(::open(impl_->tag(repo, tag).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return fail(manifest_unknown());
  std::string text(80, '\0');
  const ssize_t n = ::read(fd.get(), text.data(), text.size());
  if (n <= 0) return fail(manifest_unknown());
  text.resize(static_cast<std::size_t>(n));
  auto digest = Digest::parse(text);
  if (!digest) return fail(Error::internal("a tag of the repository is corrupt"));
  return digest;
}

Result<void> BlobStore::delete_tag(RepoName repo, std::string_view tag) {
  if (auto ok = validate_repo_name(repo); !ok) return ok;
  if (auto ok = validate_tag(tag); !ok) return ok;
  std::lock_guard lock(impl_->meta_mu);
  if (::unlink(impl_->tag(repo, tag).c_str()) == 0) return {};
  if (errno == ENOENT) return fail(manifest_unknown());
  return fail(io_error("cannot delete a tag"));
}

Result<std::vector<std::string>> BlobStore::list_tags(RepoName repo) const {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  std::vector<std::string> tags = sorted_entries(impl_->repo_dir(repo) / "tags");
  std::erase_if(tags, [](const std::string& t) { return !validate_tag(t); });
  return tags;
}

Result<std::vector<Digest>> BlobStore::list_manifests(RepoName repo) const {
  if (auto ok = validate_repo_name(repo); !ok) return fail(ok.error());
  std::vector<Digest> out;
  for (const auto& name : sorted_entries(impl_->repo_dir(repo) / "manifests")) {
    if (auto digest = Digest::parse("sha256:" + name)) out.push_back(*digest);
  }
  return out;
}

std::vector<std::string> BlobStore::list_repositories() const {
  std::vector<std::string> out;
  const fs::path root = impl_->root / "repositories";
  for (const auto& owner : sorted_entries(root)) {
    for (const auto& project : sorted_entries(root / owner)) {
      const std::string name = concat({owner, "/", project});
      if (!validate_repo_name(name)) continue;
      if (!sorted_entries(root / owner / project / "manifests").empty()) out.push_back(name);
    }
  }
  return out;
}

std::vector<std::string> BlobStore::list_all_repositories() const {
  std::vector<std::string> out;
  const fs::path root = impl_->root / "repositories";
  for (const auto& owner : sorted_entries(root)) {
    for (const auto& project : sorted_entries(root / owner)) {
      std::string name = concat({owner, "/", project});
      if (validate_repo_name(name)) out.push_back(std::move(name));
    }
  }
  return out;
}

std::shared_mutex& BlobStore::reachability_mutex() const {
  return impl_->reach_mu;
}

Result<void> remove_tag_and_unshared_manifest(BlobStore& store, RepoName repo, std::string_view tag,
                                              const Digest& digest) {
  if (auto ok = store.delete_tag(repo, tag); !ok && ok.error().code != ErrorCode::kNotFound) {
    return fail(ok.error());
  }
  auto tags = store.list_tags(repo);
  if (!tags) return {};
  for (const auto& other : *tags) {
    auto named = store.resolve_tag(repo, other);
    if (named && *named == digest) return {};
  }
  // Already gone is as good as removed; the collector sweeps what is left.
  std::ignore = store.unlink_manifest(repo, digest);
  return {};
}

}  // namespace orsa::oci
