#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orsa {

/// RFC 3339 UTC timestamp, e.g. "2026-11-27T17:45:54Z".
std::string format_rfc3339(std::int64_t unix_seconds);

/// Unix seconds of an RFC 3339 timestamp ("2026-11-27T17:45:54Z", with an
/// optional fraction, which is dropped, and "Z" or a "+01:00" offset) or of
/// a date alone ("2026-11-27", midnight UTC). None for anything else,
/// including impossible dates (February 30th) and years outside 0000–9999.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace orsa
