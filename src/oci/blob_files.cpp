#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "blob_store_impl.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"

namespace orsa::oci {

// Messages go to API callers: they name the operation, never a server path.
Error io_error(std::string_view what) {
  const int err = errno;
  if (is_disk_full(err)) {
    return Error::insufficient_storage(std::string(what) + ": the registry's disk is full");
  }
  return Error::internal(std::string(what) + ": " + errno_message(err));
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

void sync_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.ok()) ::fsync(fd.get());
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

}  // namespace orsa::oci
