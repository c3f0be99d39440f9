#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "http/client.hpp"
#include "testing/archives.hpp"  // make_tar_gz, for the suites that upload sources

namespace orsa::testing {

struct ApiResponse {
  int status = 0;
  std::string body;
  Json json;  // parsed body when it is JSON, else null
  http::Headers headers;
  std::vector<std::string> set_cookies;

  /// error.code of an error body ("" if none).
  std::string error_code() const;
  std::string error_message() const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// Talks to a running orsa-deployer over real HTTP. Transport failures throw.
class ApiClient {
 public:
  explicit ApiClient(std::string base_url) : base_(std::move(base_url)) {}

  /// A JSON request with an optional bearer token.
  ApiResponse call(const std::string& method, const std::string& path,
                   const std::optional<Json>& body = std::nullopt, const std::string& token = "",
                   HeaderList headers = {}) const;
  /// A request with a raw body.
  ApiResponse raw(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& token = "", HeaderList headers = {}) const;

  /// Registers a developer and returns their session token.
  std::string register_user(const std::string& username,
                            const std::string& password = "password-1234") const;
  /// Logs in and returns the session token.
  std::string login(const std::string& username, const std::string& password) const;

  const std::string& base_url() const { return base_; }

 private:
  std::string base_;
  http::Client client_;
};

}  // namespace orsa::testing
