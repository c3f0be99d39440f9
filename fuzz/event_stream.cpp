// A server-sent event stream as the `orsa` client reads it from a server
// (build, run and deployment logs): the parser fed the whole input at once
// must dispatch exactly the events it dispatches when fed in fragments of
// any size, and no event may hold a byte that ends a line.

#include <string>
#include <string_view>
#include <vector>

#include "../fuzz/check.hpp"
#include "cli/sse.hpp"

namespace {

using orsa::cli::SseEvent;
using orsa::cli::SseParser;

std::vector<SseEvent> parse(std::string_view bytes, std::size_t fragment) {
  std::vector<SseEvent> events;
  SseParser parser([&events](const SseEvent& e) { events.push_back(e); });
  for (std::size_t pos = 0; pos < bytes.size(); pos += fragment)
    parser.feed(bytes.substr(pos, fragment));
  return events;
}

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].id != b[i].id) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [control, bytes] = orsa::fuzz::split_control(data, size);
  const auto whole = parse(bytes, bytes.size() + 1);
  ORSA_FUZZ_CHECK(same(whole, parse(bytes, 1 + control)));
  for (const auto& e : whole) {
    ORSA_FUZZ_CHECK(e.event.find_first_of("\r\n") == std::string::npos);
    ORSA_FUZZ_CHECK(e.id.find_first_of("\r\n") == std::string::npos);
    ORSA_FUZZ_CHECK(e.data.find('\r') == std::string::npos);
  }
  return 0;
}
