#include "runs/run_data.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/random.hpp"
#include "core/strings.hpp"

namespace orsa::runs {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kIoChunk = 1 << 16;

// Messages go to API callers: they name the operation, never a server path.
Error io_error(std::string_view what) {
  return Error::internal("run data: " + std::string(what) + ": " + errno_message(errno));
}

Error over_limit(std::string_view what, std::int64_t limit) {
  return Error::too_large(std::string(what) + " exceeds the limit of " + std::to_string(limit) +
                          " bytes");
}

Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error("cannot write"));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

// --- Pin ---------------------------------------------------------------

RunData::Pin::Pin(Pin&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      digest_(std::move(other.digest_)),
      size_(other.size_) {}

RunData::Pin& RunData::Pin::operator=(Pin&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    digest_ = std::move(other.digest_);
    size_ = other.size_;
  }
  return *this;
}

RunData::Pin::~Pin() {
  reset();
}

void RunData::Pin::reset() noexcept {
  if (owner_ != nullptr) owner_->unpin(digest_);
  owner_ = nullptr;
}

// --- Writer ------------------------------------------------------------

RunData::Writer::Writer(RunData* owner, fs::path temp, UniqueFd fd, std::int64_t limit,
                        std::string what)
    : owner_(owner),
      temp_(std::move(temp)),
      fd_(std::move(fd)),
      hasher_(std::make_unique<oci::Sha256>()),
      limit_(limit),
      what_(std::move(what)) {}

RunData::Writer::~Writer() {
  discard();
}

void RunData::Writer::discard() noexcept {
  if (!fd_.ok()) return;
  fd_.reset();
  std::error_code ec;
  fs::remove(temp_, ec);
}

Result<void> RunData::Writer::append(std::string_view bytes) {
  if (!fd_.ok()) return fail(Error::internal("run data: write after an error or commit"));
  if (static_cast<std::int64_t>(bytes.size()) > limit_ - size_) {
    discard();
    return fail(over_limit(what_, limit_));
  }
  if (auto ok = write_all(fd_.get(), bytes); !ok) {
    discard();
    return ok;
  }
  hasher_->update(bytes);
  size_ += static_cast<std::int64_t>(bytes.size());
  return {};
}

Result<RunData::Pin> RunData::Writer::commit() {
  if (!fd_.ok()) return fail(Error::internal("run data: commit after an error or commit"));
  if (::fsync(fd_.get()) != 0) {
    const Error error = io_error("cannot sync");
    discard();
    return fail(error);
  }
  fd_.reset();
  const auto digest = hasher_->finish();
  // Pinned before the file is in place, so a concurrent release skips it.
  owner_->pin(digest.str());
  Pin pin(owner_, digest.str(), size_);
  const fs::path dest = owner_->blob_path(digest);
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    fs::remove(temp_, ec);  // the same bytes are stored already
    return pin;
  }
  if (::rename(temp_.c_str(), dest.c_str()) != 0) {
    const Error error = io_error("cannot move into place");
    fs::remove(temp_, ec);
    return fail(error);
  }
  return pin;
}

// --- RunData -----------------------------------------------------------

Result<std::unique_ptr<RunData>> RunData::open(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root / "sha256", ec);
  if (!ec) fs::create_directories(root / "tmp", ec);
  if (ec)
    return fail(Error::unavailable("run data: cannot create its directories: " + ec.message()));
  // Writes a crash interrupted: never referenced, never renamed.
  for (fs::directory_iterator it(root / "tmp", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
  return std::unique_ptr<RunData>(new RunData(root));
}

fs::path RunData::blob_path(const oci::Digest& digest) const {
  return root_ / "sha256" / std::string(digest.hex());
}

Result<RunData::Writer> RunData::writer(std::int64_t limit, std::string_view what) {
  fs::path temp = root_ / "tmp" / random_hex(12);
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.ok()) return fail(io_error("cannot create a file"));
  return Writer(this, std::move(temp), std::move(fd), limit, std::string(what));
}

Result<RunData::Pin> RunData::put(std::string_view bytes, std::int64_t limit,
                                  std::string_view what) {
  // Refused before anything touches the disk.
  if (static_cast<std::int64_t>(bytes.size()) > limit) return fail(over_limit(what, limit));
  auto w = writer(limit, what);
  if (!w) return fail(w.error());
  if (auto ok = w->append(bytes); !ok) return fail(ok.error());
  return w->commit();
}

Result<RunData::Pin> RunData::put_file(const fs::path& source, std::int64_t limit,
                                       std::string_view what) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in.ok()) return fail(io_error("cannot open " + std::string(what)));
  auto w = writer(limit, what);
  if (!w) return fail(w.error());
  std::string buf(kIoChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(io_error("cannot read " + std::string(what)));
    if (n == 0) break;
    if (auto ok = w->append(std::string_view(buf.data(), static_cast<std::size_t>(n))); !ok) {
      return fail(ok.error());
    }
  }
  return w->commit();
}

Result<fs::path> RunData::path_of(std::string_view digest) const {
  auto parsed = oci::Digest::parse(digest);
  if (!parsed) return fail(parsed.error());
  fs::path path = blob_path(*parsed);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return fail(Error::not_found("run data not found"));
  return path;
}

Result<MappedFile> RunData::open_blob(std::string_view digest) const {
  auto path = path_of(digest);
  if (!path) return fail(path.error());
  return MappedFile::open(*path);
}

void RunData::pin(const std::string& digest) {
  std::lock_guard lock(mu_);
  ++pins_[digest];
}

void RunData::unpin(const std::string& digest) noexcept {
  std::lock_guard lock(mu_);
  const auto it = pins_.find(digest);
  if (it != pins_.end() && --it->second == 0) pins_.erase(it);
}

// Under the lock, so that no write can pin and place the blob between the
// check and the unlink.
Result<bool> RunData::remove_unless_used(const std::string& digest,
                                         const ReferenceCheck& referenced) {
  auto parsed = oci::Digest::parse(digest);
  if (!parsed) return false;
  std::lock_guard lock(mu_);
  if (pins_.contains(digest)) return false;
  auto used = referenced(digest);
  if (!used) return fail(used.error());
  if (*used) return false;
  std::error_code ec;
  return fs::remove(blob_path(*parsed), ec);
}

Result<std::size_t> RunData::release(const std::vector<std::string>& digests,
                                     const ReferenceCheck& referenced) {
  std::size_t removed = 0;
  for (const auto& digest : digests) {
    auto gone = remove_unless_used(digest, referenced);
    if (!gone) return fail(gone.error());
    if (*gone) ++removed;
  }
  return removed;
}

Result<std::size_t> RunData::sweep(const ReferenceCheck& referenced) {
  std::vector<std::string> all;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / "sha256", ec), end; !ec && it != end; it.increment(ec)) {
    all.push_back("sha256:" + it->path().filename().string());
  }
  if (ec) return fail(Error::internal("run data: cannot list blobs: " + ec.message()));
  return release(all, referenced);
}

}  // namespace orsa::runs
