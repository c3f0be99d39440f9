#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "source/repos.hpp"

namespace orsa::services {

/// Project templates compiled into the binary from templates/<name>/starter/.
class TemplateCatalog {
 public:
  /// Names of the available templates, sorted.
  static std::vector<std::string> names();
  /// The starter files of a template; kInvalidArgument listing the known names.
  static Result<std::vector<source::File>> starter_files(std::string_view name);
};

}  // namespace orsa::services
