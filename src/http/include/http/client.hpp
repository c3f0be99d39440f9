#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "http/message.hpp"

namespace orsa::http {

struct ClientResponse {
  int status = 0;
  Headers headers;  // for repeated headers (Set-Cookie) the last one wins; see set_cookies
  std::vector<std::string> set_cookies;
  std::string body;
};

/// A small blocking HTTP client on libcurl (one easy handle per call, so it
/// is thread-safe). Transport failures are errors; any HTTP status is a value.
class Client {
 public:
  /// A response body longer than `max_body_bytes` fails the request with
  /// kTooLarge (for documents from other servers: provider metadata, keys).
  explicit Client(std::chrono::milliseconds timeout = std::chrono::seconds(30),
                  std::size_t max_body_bytes = std::numeric_limits<std::size_t>::max());

  /// Sends one request and reads the whole response.
  Result<ClientResponse> request(
      std::string_view method, const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      std::string_view body = {}) const;

 private:
  std::chrono::milliseconds timeout_;
  std::size_t max_body_bytes_;
};

}  // namespace orsa::http
