#pragma once

// The client of ORSA's REST API over libcurl: JSON calls, raw bodies, and
// server-sent event streams, each under a deadline.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/sse.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace orsa::cli {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string request_id;  // X-Request-Id
  std::string content_type;
};

/// The server's error answer as an Error whose message reads as one line:
/// the server's message, then the status and the request id. The server's
/// 400 is filed as kUnprocessable (a usage error is the command line's).
Error error_from_response(const ApiResponse& response);

/// Percent-encodes each segment of a path, keeping the slashes.
std::string escape_path(std::string_view path);

/// Percent-encodes a query parameter value.
std::string escape_query(std::string_view value);

/// Fetches a JSON document at a path of the server (ApiClient::call's GET).
using PageGetter = std::function<Result<Json>(const std::string& path)>;

/// Every item of a paged list (the array under `key` of each page),
/// following `next_cursor` from `path` (no query of its own) on; kTooLarge
/// rather than more than `max_items`, so a list cannot grow without bound.
Result<Json> fetch_all_pages(const PageGetter& get, const std::string& path, std::string_view key,
                             std::size_t max_items = 100'000);

class ApiClient {
 public:
  /// `server` is the origin ("http://host:port"); `token` may be empty.
  ApiClient(std::string server, std::string token,
            std::chrono::milliseconds timeout = std::chrono::seconds(60));

  const std::string& server() const { return server_; }
  const std::string& token() const { return token_; }

  /// Sends a request to `url` (absolute) and reads the whole answer, within
  /// the client's timeout. Transport failures are kUnavailable; any status is a value.
  Result<ApiResponse> send(std::string_view method, const std::string& url,
                           std::string_view body = {}, const HeaderPairs& headers = {}) const;

  /// A JSON call to a path of the server: the body (if not null) sent as
  /// JSON; a 2xx answer parsed (null for an empty one); any other an error.
  Result<Json> call(std::string_view method, const std::string& path, const Json& body = nullptr,
                    const HeaderPairs& headers = {}) const;

  /// Follows a text/event-stream at a path of the server, handing each event
  /// to `on_event` until it returns false or the server ends the stream.
  /// A stream silent for `stall_timeout` (the server sends heartbeats every
  /// 15 s) or cut off is an error, so a vanished server never hangs the client;
  /// so is one still open after `total` (0: as long as the server keeps it).
  Result<void> stream(const std::string& path, const std::function<bool(const SseEvent&)>& on_event,
                      std::chrono::milliseconds total = std::chrono::milliseconds(0),
                      std::chrono::milliseconds stall_timeout = std::chrono::seconds(45)) const;

  /// The timeout of a single request.
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  HeaderPairs auth_headers(HeaderPairs headers) const;

  std::string server_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace orsa::cli
