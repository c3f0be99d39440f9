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

}  // namespace orsa
