#pragma once

#include <string>
#include <utility>
#include <vector>

namespace orsa::testing {

/// Builds a .tar.gz in memory from (path, content) pairs; entries with a
/// `symlink:` content prefix become symlinks to the rest.
std::string make_tar_gz(const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace orsa::testing
