#pragma once

// Server-sent events (text/event-stream) framing, shared by every streamed
// route so no handler formats frames by hand.

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace orsa::http {

/// Optional fields of a server-sent event.
struct SseFields {
  std::string_view event;  // the `event:` name; empty: the default ("message")
  std::string_view id;     // the `id:` field; empty: none
};

/// One event: `event:` and `id:` when given, the data as one `data:` line per
/// line of it (CR, LF and CRLF all end a line, so no byte of the data can end
/// the event early or start another field), then the blank line that
/// dispatches it. Empty data is one empty `data:` line: an event with "".
std::string sse_event(std::string_view data, SseFields fields = {});

/// A comment (`: text`, one per line of it), which clients ignore.
std::string sse_comment(std::string_view text);

/// The comment a stream sends when it has been quiet for a while, so that
/// proxies and clients keep an idle connection open.
std::string sse_heartbeat();

/// A 200 `text/event-stream` response with the headers an event stream needs
/// (no caching, no proxy buffering); the caller sets its `stream`.
Response sse_response();

}  // namespace orsa::http
