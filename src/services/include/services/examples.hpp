#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "source/repos.hpp"

namespace orsa::services {

/// An example project as listed: its folder name and its README's first
/// heading and first paragraph.
struct ExampleInfo {
  std::string name;
  std::string title;
  std::string summary;
};

/// Example projects compiled into the binary from examples/<name>/.
class ExampleCatalog {
 public:
  /// The examples, sorted by name.
  static std::vector<ExampleInfo> list();
  /// The files of an example; kInvalidArgument listing the known names.
  static Result<std::vector<source::File>> files(std::string_view name);
  /// Title and summary of a README: the first "# " heading and the first
  /// paragraph after it (its lines joined by spaces).
  static ExampleInfo describe(std::string_view name, std::string_view readme);
};

}  // namespace orsa::services
