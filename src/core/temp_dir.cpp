#include "core/temp_dir.hpp"

#include <string>

#include "core/random.hpp"

namespace orsa {

TempDir::TempDir(std::string_view prefix)
    : path_(std::filesystem::temp_directory_path() / (std::string(prefix) + "-" + random_hex(8))) {
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;  // best effort: a destructor must not throw
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace orsa
