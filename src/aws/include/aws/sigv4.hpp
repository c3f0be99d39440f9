#pragma once

// AWS Signature Version 4 for requests to AWS services (not S3's variant):
// every path segment URI-encoded twice, the query sorted and RFC 3986-encoded,
// the payload's SHA-256 signed. Pure functions of the request and a time, so
// tests can pin both.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"

namespace orsa::aws {

using Params = std::vector<std::pair<std::string, std::string>>;

/// One request as it will be sent: `path` unencoded ("/" for the root),
/// `query` as decoded name/value pairs (any order), `headers` as sent
/// (names in any case; host is added from `host`).
struct HttpRequest {
  std::string method = "POST";
  std::string host;  // "ecr.us-east-1.amazonaws.com" or "127.0.0.1:4566"
  std::string path = "/";
  Params query;
  Params headers;
  std::string_view body;
};

struct Scope {
  std::string region;   // "us-east-1"
  std::string service;  // the signing name: "ecs", "ecr", "logs", "sts"
};

/// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - _ . ~)
/// stay, '/' too when `keep_slash`, everything else is %XX (upper hex).
std::string uri_encode(std::string_view text, bool keep_slash);

/// "20150830T123600Z" for unix seconds.
std::string amz_date(std::int64_t unix_seconds);

/// The canonical request of the signing process (exposed for tests).
std::string canonical_request(const HttpRequest& request, const Params& signed_headers,
                              std::string_view payload_hash);

/// The headers to add to `request` so that AWS accepts it at `unix_seconds`:
/// X-Amz-Date, X-Amz-Security-Token (with a session token), Authorization.
/// The secret key never leaves this function.
Params sign(const HttpRequest& request, const Credentials& credentials, const Scope& scope,
            std::int64_t unix_seconds);

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace orsa::aws
