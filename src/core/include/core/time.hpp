#pragma once

#include <cstdint>
#include <string>

namespace orsa {

/// RFC 3339 UTC timestamp, e.g. "2026-11-27T17:45:54Z".
std::string format_rfc3339(std::int64_t unix_seconds);

}  // namespace orsa
