#pragma once

#include <any>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace orsa::http {

/// Header names compare case-insensitively.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

/// A fully read HTTP request as handlers see it (transport-independent).
struct Request {
  std::string method;                        // "GET", "POST", …
  std::string target;                        // raw request target
  std::string path;                          // percent-decoded path, no query
  std::map<std::string, std::string> query;  // percent-decoded query parameters
  Headers headers;
  std::string body;
  // Set instead of `body` on routes that spool their body to disk: the file
  // holding it, removed by the server once the handler returns.
  std::filesystem::path body_file;
  std::string remote_ip;                      // peer address of the TCP connection
  std::string request_id;                     // X-Request-Id, given or generated
  std::map<std::string, std::string> params;  // path parameters filled by the Router
  // What the route's admission step decided about the caller (e.g. the
  // authenticated principal), carried to its handler.
  std::any context;

  /// A header value, if present.
  std::optional<std::string_view> header(std::string_view name) const;
  /// A cookie value from the Cookie header, if present.
  std::optional<std::string_view> cookie(std::string_view name) const;
  /// A path parameter ("" if the route has none of that name).
  std::string_view param(std::string_view name) const;
  /// A query parameter, if present.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

/// The sending side of a streamed response body, handed to its producer.
/// Thread-safe; the producer runs on its own thread.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  /// Sends one chunk and waits until it is on the wire (under the server's
  /// write deadline); false once the client is gone or the server stops.
  virtual bool write(std::string_view chunk) = 0;
  /// True once writes fail.
  virtual bool closed() const = 0;
  /// Calls `wake` once, from any thread, when the stream closes (at once if
  /// it already has), so a producer blocked waiting for data can return.
  virtual void on_close(std::function<void()> wake) = 0;
};

/// Produces a streamed body: writes chunks until done, then returns. Must
/// return soon after a write fails or on_close fires.
using StreamProducer = std::function<void(BodyWriter& out)>;

/// A response built by a handler; the server adds Date, Content-Length,
/// X-Request-Id and connection headers.
struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, `body` is ignored: the server sends the headers, runs this on a
  // dedicated thread and sends what it writes with chunked transfer-encoding
  // (SSE, large blobs), then closes the connection.
  StreamProducer stream;

  /// Replaces any header of that name.
  void set_header(std::string_view name, std::string value);
  /// Appends a header (e.g. a second Set-Cookie).
  void add_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

/// The HTTP status for an error code (kNotFound → 404, …).
int status_for(ErrorCode code);

/// `{"error":{"code":…,"message":…}}` with the mapped status; adds
/// Retry-After for kRateLimited and `current_head` for conflicts with detail.
Response error_response(const Error& error);

/// A response with the given body and content type.
Response text_response(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");

/// A JSON response from already serialised JSON text.
Response json_text_response(int status, std::string json_text);

}  // namespace orsa::http
