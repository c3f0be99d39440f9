#pragma once

// Helpers shared by the source module's .cpp files; not part of its API.

#include <string>
#include <string_view>

namespace orsa::source::internal {

/// Quotes a caller-supplied path for an error message: control bytes become
/// \xNN and long paths are cut, so the message stays printable and short.
std::string quote(std::string_view path);

}  // namespace orsa::source::internal
