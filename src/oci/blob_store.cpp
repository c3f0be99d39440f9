#include "oci/blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "core/random.hpp"
#include "core/slug.hpp"
#include "core/strings.hpp"
#include "core/unique_fd.hpp"

namespace orsa::oci {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kIoChunk = 1 << 20;
constexpr std::size_t kUploadIdBytes = 16;
constexpr std::string_view kSessionSuffix = ".session";
constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";
constexpr std::string_view kEmptyIndex = R"({"schemaVersion":2,"manifests":[]})";

using SteadyClock = std::chrono::steady_clock;

// Messages go to API callers: they name the operation, never a server path.
Error io_error(std::string_view what) {
  return Error::internal(std::string(what) + ": " + errno_message(errno));
}

Error blob_unknown() {
  return with_registry_code(Error::not_found("blob unknown to registry"), "BLOB_UNKNOWN");
}

Error upload_unknown() {
  return with_registry_code(Error::not_found("blob upload unknown to registry"),
                            "BLOB_UPLOAD_UNKNOWN");
}

Error manifest_unknown() {
  return with_registry_code(Error::not_found("manifest unknown to repository"), "MANIFEST_UNKNOWN");
}

Error too_big(std::string_view what, std::int64_t limit) {
  return with_registry_code(Error::too_large(std::string(what) + " exceeds the limit of " +
                                             std::to_string(limit) + " bytes"),
                            "SIZE_INVALID");
}

Error digest_mismatch(const Digest& expected, const Digest& actual) {
  return with_registry_code(
      Error::invalid_argument("content digest " + actual.str() + " does not match the expected " +
                              expected.str()),
      "DIGEST_INVALID");
}

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error("cannot write to the registry store"));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Writes `bytes` to a fresh temp file in `tmp_dir`, fsyncs it and renames it
// over `dest`, so readers see the old content or the new, never a part.
Result<void> write_atomic(const fs::path& tmp_dir, const fs::path& dest, std::string_view bytes) {
  const fs::path tmp = tmp_dir / random_hex(12);
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.ok()) return fail(io_error("cannot create a file in the registry store"));
    if (auto ok = write_all(fd.get(), bytes); !ok) {
      ::unlink(tmp.c_str());
      return ok;
    }
    ::fsync(fd.get());
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    const Error error = io_error("cannot move a file into the registry store");
    ::unlink(tmp.c_str());
    return fail(error);
  }
  return {};
}

Result<Digest> hash_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return fail(io_error("cannot open the file to store"));
  Sha256 hasher;
  std::string buf(kIoChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error("cannot read the file to store"));
    if (n == 0) break;
    hasher.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  return hasher.finish();
}

// Moves `file` to `dest`; an existing blob of the same digest has the same
// bytes, so losing a race is harmless. A file on another file system (a
// spooled request body) is copied next to `dest` first, then renamed.
Result<void> move_into_place(const fs::path& file, const fs::path& dest) {
  if (::rename(file.c_str(), dest.c_str()) == 0) return {};
  if (errno == EXDEV) {
    const fs::path near = dest.parent_path() / (".incoming-" + random_hex(8));
    std::error_code ec;
    fs::copy_file(file, near, ec);
    if (!ec && ::rename(near.c_str(), dest.c_str()) == 0) return {};
    fs::remove(near, ec);
  }
  const Error error = io_error("cannot move a blob into the registry store");
  return fail(error);
}

// Marks a file as just written: an upload's file keeps the time of its last
// chunk through the rename, and a sweep keeps only blobs younger than its start.
void touch(const fs::path& path) {
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

std::int64_t mtime_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtime);
}

std::vector<std::string> sorted_entries(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct Upload {
  std::mutex mu;
  fs::path file;
  UploadOwner owner;
  std::atomic<std::int64_t> size = 0;  // atomic: usage reports read it without `mu`
  // The running hash; empty when it no longer matches the file (a session
  // recovered after a restart, a chunk that failed half-way): the file is
  // hashed again when the upload finishes.
  std::optional<Sha256> hasher = Sha256();
  SteadyClock::time_point touched = SteadyClock::now();
  bool ended = false;
};

fs::path session_record(const fs::path& data_file) {
  fs::path record = data_file;
  record += kSessionSuffix;
  return record;
}

// "<repo>\n<user>\n", the owner record kept next to a session's data.
std::string encode_owner(const UploadOwner& owner) {
  return owner.repo + "\n" + owner.user + "\n";
}

std::optional<UploadOwner> decode_owner(std::string_view text) {
  const auto first = text.find('\n');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('\n', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  UploadOwner owner{std::string(text.substr(0, first)),
                    std::string(text.substr(first + 1, second - first - 1))};
  if (!validate_repo_name(owner.repo)) return std::nullopt;
  return owner;
}

Error too_many_uploads(std::string_view whose) {
  return with_registry_code(
      Error::rate_limited("too many blob uploads in progress " + std::string(whose) +
                              "; finish or cancel one first",
                          60),
      "TOOMANYREQUESTS");
}

// Copies [0, size) of `from` into the end of `to_fd`, feeding `hasher`.
Result<void> copy_file_into(const fs::path& from, int to_fd, std::int64_t size,
                            std::optional<Sha256>& hasher) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.ok()) return fail(io_error("cannot read an uploaded chunk"));
  std::string buf(kIoChunk, '\0');
  std::int64_t left = size;
  while (left > 0) {
    const ssize_t n = ::read(in.get(), buf.data(),
                             static_cast<std::size_t>(std::min<std::int64_t>(left, kIoChunk)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(io_error("cannot read an uploaded chunk"));
    const std::string_view piece(buf.data(), static_cast<std::size_t>(n));
    if (auto ok = write_all(to_fd, piece); !ok) return ok;
    if (hasher) hasher->update(piece);
    left -= n;
  }
  return {};
}

}  // namespace

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

struct BlobStore::Impl {
  fs::path root;
  BlobStoreLimits limits;
  std::mutex uploads_mu;
  std::map<std::string, std::shared_ptr<Upload>, std::less<>> uploads;
  // Serialises manifest links and tags (read-modify-write of tag sets).
  mutable std::mutex meta_mu;
  // See BlobStore::reachability_mutex().
  mutable std::shared_mutex reach_mu;

  fs::path blob(const Digest& d) const { return root / "blobs" / "sha256" / std::string(d.hex()); }
  fs::path tmp() const { return root / "tmp"; }
  fs::path repo_dir(RepoName repo) const { return root / "repositories" / std::string(repo); }
  fs::path link(RepoName repo, const Digest& d) const {
    return repo_dir(repo) / "manifests" / std::string(d.hex());
  }
  fs::path blob_link(RepoName repo, const Digest& d) const {
    return repo_dir(repo) / "blobs" / std::string(d.hex());
  }
  fs::path tag(RepoName repo, std::string_view name) const {
    return repo_dir(repo) / "tags" / std::string(name);
  }

  Result<std::shared_ptr<Upload>> find_upload(std::string_view id) {
    std::lock_guard lock(uploads_mu);
    reap_idle_locked();
    const auto it = uploads.find(id);
    if (it == uploads.end()) return fail(upload_unknown());
    return it->second;
  }

  void forget_upload(std::string_view id) {
    std::lock_guard lock(uploads_mu);
    if (const auto it = uploads.find(id); it != uploads.end()) uploads.erase(it);
  }

  // Ends a session: its data and owner record go. Its mutex is held.
  static void discard(Upload& u) {
    u.ended = true;
    ::unlink(u.file.c_str());
    ::unlink(session_record(u.file).c_str());
  }

  // Drops sessions idle for longer than the limit; uploads_mu held. A session
  // busy with a request right now is not idle.
  std::size_t reap_idle_locked() {
    const auto cutoff = SteadyClock::now() - limits.upload_idle_timeout;
    return std::erase_if(uploads, [&](const auto& entry) {
      std::unique_lock session(entry.second->mu, std::try_to_lock);
      if (!session || entry.second->touched > cutoff) return false;
      discard(*entry.second);
      return true;
    });
  }

  std::size_t open_by(std::string_view user) const {
    return static_cast<std::size_t>(std::ranges::count_if(
        uploads, [&](const auto& entry) { return entry.second->owner.user == user; }));
  }

  // Sessions recorded by an earlier process resume where they were; data
  // without a record (or the reverse) is debris of an interrupted start.
  void recover_uploads() {
    const fs::path dir = root / "uploads";
    std::error_code ec;
    for (const auto& name : sorted_entries(dir)) {
      const fs::path path = dir / name;
      if (name.ends_with(kSessionSuffix)) {
        const fs::path data = dir / name.substr(0, name.size() - kSessionSuffix.size());
        if (!fs::exists(data, ec)) fs::remove(path, ec);
        continue;
      }
      auto text = read_small(session_record(path));
      const auto owner = text ? decode_owner(*text) : std::nullopt;
      const auto size = fs::file_size(path, ec);
      if (!owner || ec) {
        fs::remove(path, ec);
        fs::remove(session_record(path), ec);
        continue;
      }
      auto upload = std::make_shared<Upload>();
      upload->file = path;
      upload->owner = *owner;
      upload->size = static_cast<std::int64_t>(size);
      upload->hasher.reset();
      uploads.emplace(name, std::move(upload));
    }
  }

  static std::optional<std::string> read_small(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) return std::nullopt;
    std::string text(1024, '\0');
    const ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0) return std::nullopt;
    text.resize(static_cast<std::size_t>(n));
    return text;
  }

  // Checks that `length` more bytes at `expected_offset` may be appended.
  Result<void> check_append(const Upload& u, std::int64_t length,
                            std::optional<std::int64_t> expected_offset) const {
    if (u.ended) return fail(upload_unknown());
    if (expected_offset && *expected_offset != u.size) {
      return fail(with_registry_code(
          Error::invalid_argument("chunk starts at " + std::to_string(*expected_offset) +
                                  " but the upload has " + std::to_string(u.size.load()) +
                                  " bytes"),
          "BLOB_UPLOAD_INVALID"));
    }
    if (u.size + length > limits.max_blob_bytes) {
      return fail(too_big("blob upload", limits.max_blob_bytes));
    }
    return {};
  }

  // The session's mutex is held by the caller.
  Result<std::int64_t> append_locked(Upload& u, std::string_view chunk,
                                     std::optional<std::int64_t> expected_offset) {
    if (auto ok = check_append(u, static_cast<std::int64_t>(chunk.size()), expected_offset); !ok) {
      return fail(ok.error());
    }
    u.touched = SteadyClock::now();
    if (chunk.empty()) return u.size.load();
    UniqueFd fd(::open(u.file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!fd.ok()) return fail(io_error("cannot append to a blob upload"));
    if (auto ok = write_all(fd.get(), chunk); !ok) {
      // Keep the file equal to what the hash has seen, so a retry can succeed.
      if (::ftruncate(fd.get(), static_cast<off_t>(u.size.load())) != 0) u.ended = true;
      return fail(ok.error());
    }
    if (u.hasher) u.hasher->update(chunk);
    u.size += static_cast<std::int64_t>(chunk.size());
    return u.size.load();
  }

  // As append_locked, from a file.
  Result<std::int64_t> append_file_locked(Upload& u, const fs::path& chunk,
                                          std::optional<std::int64_t> expected_offset) {
    std::error_code ec;
    const auto length = static_cast<std::int64_t>(fs::file_size(chunk, ec));
    if (ec) return fail(io_error("cannot read an uploaded chunk"));
    if (auto ok = check_append(u, length, expected_offset); !ok) return fail(ok.error());
    u.touched = SteadyClock::now();
    if (length == 0) return u.size.load();
    UniqueFd fd(::open(u.file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!fd.ok()) return fail(io_error("cannot append to a blob upload"));
    if (auto ok = copy_file_into(chunk, fd.get(), length, u.hasher); !ok) {
      // The hash saw part of the chunk: cut the file back and hash it again at the end.
      u.hasher.reset();
      if (::ftruncate(fd.get(), static_cast<off_t>(u.size.load())) != 0) u.ended = true;
      return fail(ok.error());
    }
    u.size += length;
    u.touched = SteadyClock::now();
    return u.size.load();
  }

  Result<Digest> store_verified_file(const fs::path& file, const Digest& actual,
                                     const std::optional<Digest>& expected) {
    if (expected && *expected != actual) return fail(digest_mismatch(*expected, actual));
    if (auto moved = move_into_place(file, blob(actual)); !moved) return fail(moved.error());
    touch(blob(actual));
    return actual;
  }
};

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

Result<Digest> BlobStore::put_blob(std::string_view bytes, std::optional<Digest> expected) {
  if (static_cast<std::int64_t>(bytes.size()) > impl_->limits.max_blob_bytes) {
    return fail(too_big("blob", impl_->limits.max_blob_bytes));
  }
  const Digest actual = Digest::of(bytes);
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

Result<Digest> BlobStore::adopt_file(const fs::path& file, std::optional<Digest> expected) {
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

Result<std::string> BlobStore::start_upload(UploadOwner owner) {
  std::lock_guard lock(impl_->uploads_mu);
  impl_->reap_idle_locked();
  if (impl_->uploads.size() >= impl_->limits.max_open_uploads) {
    return fail(too_many_uploads("on this registry"));
  }
  if (!owner.user.empty() &&
      impl_->open_by(owner.user) >= impl_->limits.max_open_uploads_per_user) {
    return fail(too_many_uploads("for this user (at most " +
                                 std::to_string(impl_->limits.max_open_uploads_per_user) + ")"));
  }
  auto upload = std::make_shared<Upload>();
  std::string id = random_hex(kUploadIdBytes);
  upload->file = impl_->root / "uploads" / id;
  UniqueFd fd(::open(upload->file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.ok()) return fail(io_error("cannot start a blob upload"));
  if (!owner.repo.empty()) {
    if (auto ok = write_atomic(impl_->tmp(), session_record(upload->file), encode_owner(owner));
        !ok) {
      ::unlink(upload->file.c_str());
      return fail(ok.error());
    }
  }
  upload->owner = std::move(owner);
  impl_->uploads.emplace(id, std::move(upload));
  return id;
}

Result<UploadOwner> BlobStore::upload_owner(std::string_view id) const {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  if ((*upload)->ended) return fail(upload_unknown());
  return (*upload)->owner;
}

Result<std::int64_t> BlobStore::append_upload(std::string_view id, std::string_view chunk,
                                              std::optional<std::int64_t> expected_offset) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  return impl_->append_locked(**upload, chunk, expected_offset);
}

Result<std::int64_t> BlobStore::append_upload_file(std::string_view id, const fs::path& chunk,
                                                   std::optional<std::int64_t> expected_offset) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  return impl_->append_file_locked(**upload, chunk, expected_offset);
}

Result<std::int64_t> BlobStore::upload_size(std::string_view id) const {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  if ((*upload)->ended) return fail(upload_unknown());
  return (*upload)->size.load();
}

Result<Digest> BlobStore::finish_upload(std::string_view id, const Digest& expected,
                                        std::string_view final_chunk) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  Upload& u = **upload;
  std::lock_guard lock(u.mu);
  if (auto appended = impl_->append_locked(u, final_chunk, std::nullopt); !appended) {
    return fail(appended.error());
  }
  u.ended = true;
  impl_->forget_upload(id);
  ::unlink(session_record(u.file).c_str());
  Result<Digest> actual = u.hasher ? Result<Digest>(u.hasher->finish()) : hash_file(u.file);
  if (!actual) {
    ::unlink(u.file.c_str());
    return fail(actual.error());
  }
  if (*actual != expected) {
    ::unlink(u.file.c_str());
    return fail(digest_mismatch(expected, *actual));
  }
  {
    UniqueFd fd(::open(u.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.ok()) ::fsync(fd.get());
  }
  auto stored = impl_->store_verified_file(u.file, *actual, expected);
  if (!stored) ::unlink(u.file.c_str());
  return stored;
}

Result<void> BlobStore::cancel_upload(std::string_view id) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  if ((*upload)->ended) return fail(upload_unknown());
  impl_->forget_upload(id);
  Impl::discard(**upload);
  return {};
}

std::size_t BlobStore::reap_idle_uploads() {
  std::lock_guard lock(impl_->uploads_mu);
  return impl_->reap_idle_locked();
}

std::size_t BlobStore::open_uploads(std::string_view user) const {
  std::lock_guard lock(impl_->uploads_mu);
  return impl_->open_by(user);
}

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
      const std::string name = owner + "/" + project;
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
      std::string name = owner + "/" + project;
      if (validate_repo_name(name)) out.push_back(std::move(name));
    }
  }
  return out;
}

std::shared_mutex& BlobStore::reachability_mutex() const {
  return impl_->reach_mu;
}

}  // namespace orsa::oci
