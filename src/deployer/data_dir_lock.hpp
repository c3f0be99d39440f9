#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace orsa::deployer {

/// One orsa-deployer per data dir: an open-file-description lock on
/// <data dir>/orsa-deployer.lock, which holds the owner's pid. The kernel
/// releases it when the process ends in any way (kill -9 included), so a
/// crash never leaves a stale lock. `orsa-deployer check --repair` takes it
/// too, so a server cannot start while a repair runs, nor the reverse.
class DataDirLock {
 public:
  /// Takes the lock; kConflict naming the holder's pid when it is taken.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);
  /// The pid of the process holding the lock, if one does (taking nothing).
  static std::optional<pid_t> holder(const std::filesystem::path& data_dir);

 private:
  explicit DataDirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace orsa::deployer
