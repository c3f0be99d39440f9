#pragma once

#include <filesystem>
#include <string_view>

namespace orsa {

/// A fresh directory under the system temp dir, removed with everything in
/// it when the object goes away (tests, scratch space for builds).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "orsa");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace orsa
