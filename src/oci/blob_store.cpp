#include "oci/blob_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "blob_store_impl.hpp"
#include "core/slug.hpp"
#include "core/strings.hpp"

namespace orsa::oci {

Result<void> validate_repo_name(std::string_view repo) {
  const auto slash = repo.find('/');
  const bool ok = slash != std::string_view::npos &&
                  validate_slug(repo.substr(0, slash), "owner") &&
                  validate_slug(repo.substr(slash + 1), "project");
  if (ok) return {};
  return fail(with_registry_code(
      Error::invalid_argument("repository name must be <owner>/<project>, each 1-63 "
                              "characters of a-z, 0-9 and '-'"),
      "NAME_INVALID"));
}

BlobStore::BlobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlobStore::~BlobStore() = default;

Result<std::unique_ptr<BlobStore>> BlobStore::open(fs::path root, BlobStoreLimits limits) {
  auto impl = std::make_unique<Impl>();
  impl->root = std::move(root);
  impl->limits = limits;
  std::error_code ec;
  for (const char* dir : {"blobs/sha256", "repositories", "uploads", "tmp"}) {
    fs::create_directories(impl->root / dir, ec);
    if (ec) return fail(Error::unavailable("cannot create the registry store: " + ec.message()));
  }
  for (const auto& name : sorted_entries(impl->root / "tmp"))
    fs::remove(impl->root / "tmp" / name, ec);
  impl->recover_uploads();
  for (const auto& [name, text] :
       {std::pair{"oci-layout", kLayoutFile}, std::pair{"index.json", kEmptyIndex}}) {
    if (fs::exists(impl->root / name)) continue;
    if (auto ok = write_atomic(impl->tmp(), impl->root / name, text); !ok) return fail(ok.error());
  }
  return std::unique_ptr<BlobStore>(new BlobStore(std::move(impl)));
}

Result<std::unique_ptr<BlobStore>> BlobStore::inspect(fs::path root) {
  std::error_code ec;
  if (!fs::is_directory(root / "blobs" / "sha256", ec)) {
    return fail(Error::not_found("no registry store at " + root.string()));
  }
  auto impl = std::make_unique<Impl>();
  impl->root = std::move(root);
  return std::unique_ptr<BlobStore>(new BlobStore(std::move(impl)));
}

const fs::path& BlobStore::root() const {
  return impl_->root;
}

const BlobStoreLimits& BlobStore::limits() const {
  return impl_->limits;
}

bool BlobStore::has_blob(const Digest& digest) const {
  std::error_code ec;
  return fs::is_regular_file(impl_->blob(digest), ec);
}

Result<std::int64_t> BlobStore::blob_size(const Digest& digest) const {
  std::error_code ec;
  const auto size = fs::file_size(impl_->blob(digest), ec);
  if (ec) return fail(blob_unknown());
  return static_cast<std::int64_t>(size);
}

Result<std::string> BlobStore::read_blob(const Digest& digest) const {
  auto size = blob_size(digest);
  if (!size) return fail(size.error());
  return read_blob_range(digest, 0, *size);
}

Result<std::string> BlobStore::read_blob_range(const Digest& digest, std::int64_t offset,
                                               std::int64_t length) const {
  UniqueFd fd(::open(impl_->blob(digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return fail(blob_unknown());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(io_error("cannot read a blob"));
  if (offset < 0 || length < 0 || offset > st.st_size || length > st.st_size - offset) {
    return fail(with_registry_code(Error::invalid_argument("requested range is outside the blob"),
                                   "RANGE_INVALID"));
  }
  std::string out(static_cast<std::size_t>(length), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd.get(), out.data() + done, out.size() - done,
                              static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(io_error("cannot read a blob"));
    done += static_cast<std::size_t>(n);
  }
  return out;
}

fs::path BlobStore::blob_path(const Digest& digest) const {
  return impl_->blob(digest);
}

Result<Digest> BlobStore::put_blob(std::string_view bytes, const std::optional<Digest>& expected) {
  if (static_cast<std::int64_t>(bytes.size()) > impl_->limits.max_blob_bytes) {
    return fail(too_big("blob", impl_->limits.max_blob_bytes));
  }
  Digest actual = Digest::of(bytes);
  if (expected && *expected != actual) return fail(digest_mismatch(*expected, actual));
  if (has_blob(actual)) {
    touch(impl_->blob(actual));
    return actual;
  }
  if (auto ok = write_atomic(impl_->tmp(), impl_->blob(actual), bytes); !ok) {
    return fail(ok.error());
  }
  return actual;
}

Result<Digest> BlobStore::adopt_file(const fs::path& file, const std::optional<Digest>& expected) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return fail(Error::not_found("the file to store does not exist"));
  if (static_cast<std::int64_t>(size) > impl_->limits.max_blob_bytes) {
    return fail(too_big("blob", impl_->limits.max_blob_bytes));
  }
  auto actual = hash_file(file);
  if (!actual) return fail(actual.error());
  return impl_->store_verified_file(file, *actual, expected);
}

Result<void> BlobStore::delete_blob(const Digest& digest) {
  if (::unlink(impl_->blob(digest).c_str()) == 0) return {};
  if (errno == ENOENT) return fail(blob_unknown());
  return fail(io_error("cannot delete a blob"));
}

std::vector<std::pair<Digest, std::int64_t>> BlobStore::list_blobs() const {
  std::vector<std::pair<Digest, std::int64_t>> out;
  const fs::path dir = impl_->root / "blobs" / "sha256";
  for (const auto& name : sorted_entries(dir)) {
    // Anything that is not a well-formed digest is not ours to report.
    auto digest = Digest::parse("sha256:" + name);
    if (digest) out.emplace_back(*digest, mtime_of(dir / name));
  }
  return out;
}

}  // namespace orsa::oci
