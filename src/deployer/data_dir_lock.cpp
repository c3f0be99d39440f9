#include "data_dir_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace orsa::deployer {
namespace {

constexpr const char* kLockFile = "orsa-deployer.lock";

std::filesystem::path lock_path(const std::filesystem::path& data_dir) {
  return data_dir / kLockFile;
}

struct flock whole_file(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  return lock;
}

std::optional<pid_t> read_pid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return std::nullopt;
  try {
    return static_cast<pid_t>(std::stol(std::string(text, static_cast<std::size_t>(n))));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  // O_CLOEXEC: a child (podman, a builder) must not keep the lock alive.
  UniqueFd fd(::open(lock_path(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.ok()) {
    return fail(Error::unavailable("cannot open " + lock_path(data_dir).string()));
  }
  struct flock lock = whole_file(F_WRLCK);
  if (::fcntl(fd.get(), F_OFD_SETLK, &lock) != 0) {
    const auto pid = read_pid(fd.get());
    return fail(Error::conflict("another orsa-deployer" +
                                (pid ? " (pid " + std::to_string(*pid) + ")" : std::string()) +
                                " is using the data dir " + data_dir.string()));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return fail(Error::unavailable("cannot write " + lock_path(data_dir).string()));
  }
  return DataDirLock(std::move(fd));
}

std::optional<pid_t> DataDirLock::holder(const std::filesystem::path& data_dir) {
  UniqueFd fd(::open(lock_path(data_dir).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return std::nullopt;
  struct flock lock = whole_file(F_WRLCK);
  if (::fcntl(fd.get(), F_OFD_GETLK, &lock) != 0 || lock.l_type == F_UNLCK) return std::nullopt;
  return read_pid(fd.get()).value_or(-1);
}

}  // namespace orsa::deployer
