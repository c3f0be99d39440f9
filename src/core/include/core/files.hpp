#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa {

/// Reads a whole file.
Result<std::string> read_file(const std::filesystem::path& path);

/// Writes `bytes` to `path` atomically (temp file in the same directory,
/// fsync, rename) with permission bits `mode`.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                               unsigned mode = 0644);

/// A file mapped read-only: its bytes as a view, backed by the page cache
/// rather than the heap. Move-only; unmapped on destruction.
class MappedFile {
 public:
  /// Maps the whole file (an empty file gives an empty view).
  static Result<MappedFile> open(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const;

 private:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace orsa
