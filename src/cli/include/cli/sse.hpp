#pragma once

// A parser of server-sent event streams (text/event-stream), fed bytes as
// they arrive from the network in chunks of any size.

#include <functional>
#include <string>
#include <string_view>

namespace orsa::cli {

/// One dispatched event: its name ("message" when the stream gave none) and
/// its data lines joined with LF.
struct SseEvent {
  std::string event = "message";
  std::string data;
  std::string id;
};

/// Splits a byte stream into events. Lines end with LF, CR or CRLF (a CRLF
/// split across two chunks counts once); comments (":…") are skipped; a blank
/// line dispatches the event collected so far if it had a data line.
class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;

  explicit SseParser(Handler on_event) : on_event_(std::move(on_event)) {}

  /// Feeds the next bytes; calls the handler for each event they complete.
  void feed(std::string_view bytes);

  /// Bytes of an unfinished line held back (bounded by the caller's limit).
  std::size_t pending_bytes() const { return line_.size() + current_.data.size(); }

 private:
  void on_line(std::string_view line);

  Handler on_event_;
  std::string line_;
  SseEvent current_;
  bool has_data_ = false;
  bool after_cr_ = false;
};

}  // namespace orsa::cli
