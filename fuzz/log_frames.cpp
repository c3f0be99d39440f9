// Docker's multiplexed log stream as the runtime reads it from podman (what a
// tenant's container prints ends up here): the decoder fed the whole input at
// once must emit exactly the lines it emits when fed in fragments of any
// size; a sink that stops early must stop it. Also the RFC 3339 timestamps
// that lead each line.

#include "runtime/log_frames.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "../fuzz/check.hpp"

namespace {

using orsa::runtime::LogFrameDecoder;
using orsa::runtime::LogLine;

struct Decoded {
  bool ok = true;
  std::vector<LogLine> lines;
};

LogFrameDecoder::Limits small_limits() {
  return {.max_frame_bytes = 4096, .max_line_bytes = 256};
}

Decoded decode(std::string_view bytes, bool timestamps, std::size_t fragment) {
  LogFrameDecoder decoder(timestamps, small_limits());
  Decoded out;
  const auto sink = [&out](const LogLine& line) {
    ORSA_FUZZ_CHECK(line.text.size() <= small_limits().max_line_bytes);
    out.lines.push_back(line);
    return true;
  };
  for (std::size_t pos = 0; pos < bytes.size(); pos += fragment) {
    auto fed = decoder.feed(bytes.substr(pos, fragment), sink);
    if (!fed) {
      out.ok = false;
      return out;
    }
  }
  out.ok = decoder.finish(sink).has_value();
  return out;
}

bool same_lines(const std::vector<LogLine>& a, const std::vector<LogLine>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].stream != b[i].stream || a[i].at_ns != b[i].at_ns || a[i].text != b[i].text) {
      return false;
    }
  }
  return true;
}

/// A sink that asks to stop after `n` lines must get no more.
void stop_after(std::string_view bytes, bool timestamps, std::size_t n) {
  LogFrameDecoder decoder(timestamps, small_limits());
  std::size_t seen = 0;
  const auto sink = [&seen, n](const LogLine&) {
    ORSA_FUZZ_CHECK(seen < n + 1);
    ++seen;
    return seen <= n;
  };
  auto fed = decoder.feed(bytes, sink);
  if (fed && *fed) (void)decoder.finish(sink);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [control, bytes] = orsa::fuzz::split_control(data, size);
  const bool timestamps = (control & 1) != 0;
  const std::size_t fragment = 1 + (control >> 1);
  (void)orsa::runtime::parse_rfc3339(bytes.substr(0, 64));
  const Decoded whole = decode(bytes, timestamps, bytes.size() + 1);
  const Decoded pieces = decode(bytes, timestamps, fragment);
  ORSA_FUZZ_CHECK(whole.ok == pieces.ok);
  // On an error, lines before it may differ in how far they got; on success all must match.
  if (whole.ok) ORSA_FUZZ_CHECK(same_lines(whole.lines, pieces.lines));
  stop_after(bytes, timestamps, control % 4);
  return 0;
}
