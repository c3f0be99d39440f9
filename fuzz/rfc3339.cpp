// RFC 3339 times and dates as the usage report's `from` and `to` and a
// consumer key's `expires_at` arrive: any bytes give a time or nothing,
// never a crash; a time it accepts is in years 0000–9999 (give or take the
// offset) and reads back the same once written out.

#include <string>

#include "../fuzz/check.hpp"
#include "core/time.hpp"

namespace {

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, widened by a day for offsets.
constexpr std::int64_t kFirst = -62'167'219'200 - 86'400;
constexpr std::int64_t kLast = 253'402'300'799 + 86'400;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = orsa::fuzz::as_text(data, size);
  const auto parsed = orsa::parse_rfc3339(text);
  if (!parsed) return 0;
  ORSA_FUZZ_CHECK(*parsed >= kFirst && *parsed <= kLast);
  const std::string written = orsa::format_rfc3339(*parsed);
  if (written != "0000-01-01T00:00:00Z" || *parsed == kFirst + 86'400) {
    ORSA_FUZZ_CHECK(orsa::parse_rfc3339(written) == parsed);
  }
  return 0;
}
