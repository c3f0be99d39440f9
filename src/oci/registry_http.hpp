#pragma once

// The registry client's HTTP vocabulary: requests, responses and bodies as
// libcurl moves them, registry error documents, and name checks.

#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "oci/registry_client.hpp"

namespace orsa::oci {

inline constexpr std::size_t kMaxErrorBody = 64 * 1024;

/// A repository name per the distribution spec; fails with invalid_argument.
Result<void> check_repo(std::string_view repo);
/// A tag or a digest.
Result<void> check_reference(std::string_view reference);
/// Token scopes of a repository.
std::string push_scope(std::string_view repo);
std::string pull_scope(std::string_view repo);
/// `url` with one more query parameter.
std::string with_query(std::string url, std::string_view param);
/// Percent-encodes all but the URL-safe characters.
std::string escape(std::string_view s);

struct Response {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(std::string_view name) const {
    const auto it = headers.find(std::string(name));
    return it == headers.end() ? std::string() : it->second;
  }
};

// A request body: a slice of memory or of an open file, re-readable for retries.
struct Body {
  std::string_view memory;
  int fd = -1;
  std::int64_t offset = 0;
  std::int64_t length = 0;
  std::int64_t pos = 0;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::optional<Body> body;
  std::vector<std::string> scopes;  // token scopes this request needs
  std::int64_t max_body = kMaxErrorBody;
  const BlobSink* sink = nullptr;  // receives a 2xx body instead of Response::body
};

struct Authorization {
  enum class Kind { kNone, kBasic, kBearer } kind = Kind::kNone;
  std::string bearer;
};

struct Transfer {
  Request* request = nullptr;
  Response* response = nullptr;
  CURL* curl = nullptr;
  RegistryClientStats* stats = nullptr;
  std::optional<Error> error;
  bool too_large = false;
};

// libcurl callbacks; `user` is the Transfer.
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user);
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user);
std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user);
int on_seek(void* user, curl_off_t offset, int origin);

// "<what>: HTTP 400 DIGEST_INVALID: provided digest did not match uploaded content";
// detail is the registry's error code.
Error registry_error(std::string_view what, const Response& response);

/// The size of a blob to push; fails when its file cannot be read.
Result<std::int64_t> source_size(const BlobSource& source);

}  // namespace orsa::oci
