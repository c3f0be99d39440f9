#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace orsa::workers {

/// A running run's solver log as a file that others read while it grows:
/// the first `head_bytes` go to the file as they arrive; after that only the
/// last `tail_bytes` are kept in memory, and finish() appends a line saying
/// how much was dropped, then that tail. So the file only ever grows (a
/// follower's offset stays valid) and a model printing without end cannot
/// fill the disk or the memory.
class RunLogFile {
 public:
  /// Creates (truncating) the file at `path`.
  static Result<RunLogFile> create(const std::filesystem::path& path, std::int64_t head_bytes,
                                   std::int64_t tail_bytes);

  /// Appends one line (a newline is added).
  void append_line(std::string_view line);
  /// Writes the dropped-bytes line and the tail, if anything was dropped.
  /// Appending after it is a bug.
  Result<void> finish();

  std::int64_t dropped_bytes() const { return dropped_; }

 private:
  RunLogFile(UniqueFd fd, std::int64_t head_bytes, std::int64_t tail_bytes)
      : fd_(std::move(fd)), head_bytes_(head_bytes), tail_bytes_(tail_bytes) {}
  void write_all(std::string_view bytes);

  UniqueFd fd_;
  std::int64_t head_bytes_;
  std::int64_t tail_bytes_;
  std::int64_t written_ = 0;
  std::int64_t dropped_ = 0;  // bytes past the head that the tail no longer holds
  std::string tail_;
  bool past_head_ = false;
  bool write_failed_ = false;
};

}  // namespace orsa::workers
