#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::runtime::detail {

/// A complete HTTP response.
struct HttpReply {
  int status = 0;
  std::string body;
};

/// How a streamed response ended.
struct StreamEnd {
  int status = 0;
  std::string error_body;  // the body when status >= 300 (bounded); else empty
  bool stopped = false;    // a handler asked to stop; the transfer was aborted
};

/// Callbacks of a streamed request. Both return false to stop the transfer.
struct StreamHandlers {
  std::function<bool(std::string_view chunk)> on_data;  // body bytes of a < 300 response
  std::function<bool()> on_tick;                        // every kTickInterval, data or not
};

/// Which failed attempts a call may repeat within the reconnect window.
enum class Retry {
  kIfNotSent,   // only a refused connection: nothing was sent
  kIfNoAnswer,  // also a connection dropped before any answer (the engine
                // died mid-call): for calls that may be repeated (GET, pull)
};

/// Blocking HTTP/1.1 over a unix socket with libcurl (one handle per call, so
/// it is thread-safe). Transport failures are kUnavailable; statuses are values.
/// A refused connection is tried again for `reconnect_window` (an engine being
/// restarted): nothing was sent, so that is safe for every method; GET and
/// HEAD, and calls made with Retry::kIfNoAnswer, are also repeated when the
/// connection dropped before any answer.
class UnixHttp {
 public:
  static constexpr std::chrono::milliseconds kTickInterval{250};

  UnixHttp(std::string socket_path, std::chrono::milliseconds connect_timeout,
           std::chrono::milliseconds reconnect_window = std::chrono::milliseconds(0));

  /// Sends one request and reads the whole body (kTooLarge beyond `max_body`).
  Result<HttpReply> request(std::string_view method, const std::string& target,
                            std::string_view body, const std::vector<std::string>& headers,
                            std::chrono::milliseconds timeout,
                            std::size_t max_body = 16 * 1024 * 1024) const;

  /// Sends one request and hands the body to `handlers` as it arrives. A zero
  /// `timeout` means no total deadline (the handlers decide when to stop).
  Result<StreamEnd> stream(std::string_view method, const std::string& target,
                           std::string_view body, const std::vector<std::string>& headers,
                           std::chrono::milliseconds timeout, const StreamHandlers& handlers,
                           Retry retry = Retry::kIfNotSent) const;

  const std::string& socket_path() const { return socket_path_; }

 private:
  Result<StreamEnd> stream_once(std::string_view method, const std::string& target,
                                std::string_view body, const std::vector<std::string>& headers,
                                std::chrono::milliseconds timeout, const StreamHandlers& handlers,
                                bool& refused, bool& unanswered) const;

  std::string socket_path_;
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds reconnect_window_;
};

}  // namespace orsa::runtime::detail
