#include "core/files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/random.hpp"
#include "core/strings.hpp"

namespace orsa {

// One allocation of the file's size and plain reads: a stream buffer grown
// by doubling costs a copy and fresh page faults per step on large files.
Result<std::string> read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::not_found("cannot open " + path.string()));
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<std::size_t>(st.st_size));
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      if (n < 0) return fail(Error::internal("cannot read " + path.string()));
      return out;
    }
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                               unsigned mode) {
  // Built with append: GCC 12 reports a false -Wrestrict for chained
  // operator+ on std::string in release builds.
  std::string tmp_name = ".";
  tmp_name.append(path.filename().string()).append(".tmp-").append(random_hex(6));
  const auto tmp = path.parent_path() / tmp_name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return fail(Error::internal("cannot create " + tmp.string() + ": " + errno_message(errno)));
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = errno_message(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(Error::internal("cannot write " + tmp.string() + ": " + why));
    }
    written += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);  // O_CREAT's mode is filtered by the umask; be exact
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_message(errno);
    ::unlink(tmp.c_str());
    return fail(Error::internal("cannot rename to " + path.string() + ": " + why));
  }
  return {};
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::internal("cannot open a spooled file: " + errno_message(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return MappedFile(nullptr, 0);
  }
  void* data = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) return fail(Error::internal("cannot map a spooled file"));
  return MappedFile(data, static_cast<std::size_t>(st.st_size));
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

std::string_view MappedFile::bytes() const {
  return data_ == nullptr ? std::string_view()
                          : std::string_view(static_cast<const char*>(data_), size_);
}

}  // namespace orsa
