#include "cli/sse.hpp"

namespace orsa::cli {

void SseParser::feed(std::string_view bytes) {
  for (const char c : bytes) {
    if (c == '\n' && after_cr_) {  // the LF of a CRLF already ended the line
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      on_line(line_);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::on_line(std::string_view line) {
  if (line.empty()) {
    if (has_data_) on_event_(current_);  // as the standard says: no data, no event
    current_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment (heartbeats)
  const auto colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = value.empty() ? "message" : std::string(value);
  } else if (field == "id") {
    current_.id = std::string(value);
  }  // other fields (retry, …) are ignored, as the standard says
}

}  // namespace orsa::cli
