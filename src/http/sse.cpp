#include "http/sse.hpp"

#include <string>
#include <string_view>

namespace orsa::http {
namespace {

// Appends `prefix` + line for each line of `text`; CR, LF and CRLF each end
// a line, as an event stream parser reads them.
void append_lines(std::string& out, std::string_view prefix, std::string_view text) {
  std::size_t at = 0;
  for (;;) {
    const std::size_t end = text.find_first_of("\r\n", at);
    out += prefix;
    out += text.substr(at, end == std::string_view::npos ? end : end - at);
    out += '\n';
    if (end == std::string_view::npos) return;
    at = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
}

// A single-line field value: line breaks (and NUL, which voids an id) would
// change the frame, so they are dropped.
std::string single_line(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  }
  return out;
}

}  // namespace

std::string sse_event(std::string_view data, SseFields fields) {
  std::string out;
  out.reserve(data.size() + 16);
  if (!fields.event.empty()) out += "event: " + single_line(fields.event) + "\n";
  if (!fields.id.empty()) out += "id: " + single_line(fields.id) + "\n";
  append_lines(out, "data: ", data);
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out;
  append_lines(out, ": ", text);
  out += '\n';
  return out;
}

std::string sse_heartbeat() {
  return sse_comment("heartbeat");
}

Response sse_response() {
  Response res = text_response(200, "", "text/event-stream");
  res.set_header("Cache-Control", "no-cache");
  // nginx and similar proxies would otherwise hold events back in a buffer.
  res.set_header("X-Accel-Buffering", "no");
  return res;
}

}  // namespace orsa::http
