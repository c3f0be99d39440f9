#include "run_log_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace orsa::workers {

Result<RunLogFile> RunLogFile::create(const std::filesystem::path& path, std::int64_t head_bytes,
                                      std::int64_t tail_bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.ok()) {
    return fail(Error::unavailable("cannot create the run's log file " + path.string() + ": " +
                                   std::strerror(errno)));
  }
  return RunLogFile(std::move(fd), head_bytes, tail_bytes);
}

void RunLogFile::write_all(std::string_view bytes) {
  while (!bytes.empty() && !write_failed_) {
    const auto n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    // A full disk loses the rest of the log, not the run.
    if (n <= 0) {
      write_failed_ = true;
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void RunLogFile::append_line(std::string_view line) {
  const auto size = static_cast<std::int64_t>(line.size()) + 1;
  if (!past_head_ && written_ + size <= head_bytes_) {
    std::string bytes(line);
    bytes += '\n';
    write_all(bytes);
    written_ += size;
    return;
  }
  past_head_ = true;
  tail_.append(line);
  tail_ += '\n';
  // Trimmed in batches so that each line costs amortised constant time.
  if (static_cast<std::int64_t>(tail_.size()) > 2 * tail_bytes_) {
    const auto excess = tail_.size() - static_cast<std::size_t>(tail_bytes_);
    tail_.erase(0, excess);
    dropped_ += static_cast<std::int64_t>(excess);
  }
}

Result<void> RunLogFile::finish() {
  if (static_cast<std::int64_t>(tail_.size()) > tail_bytes_) {
    auto excess = tail_.size() - static_cast<std::size_t>(tail_bytes_);
    // The kept tail starts at a whole line.
    if (const auto nl = tail_.find('\n', excess); nl != std::string::npos) excess = nl + 1;
    tail_.erase(0, excess);
    dropped_ += static_cast<std::int64_t>(excess);
  }
  if (dropped_ > 0) {
    write_all("[orsa: " + std::to_string(dropped_) +
              " bytes of the log were dropped here; the log keeps its first " +
              std::to_string(head_bytes_) + " and last " + std::to_string(tail_bytes_) +
              " bytes]\n");
  }
  write_all(tail_);
  tail_.clear();
  if (write_failed_) return fail(Error::unavailable("cannot write the run's log file"));
  return {};
}

}  // namespace orsa::workers
