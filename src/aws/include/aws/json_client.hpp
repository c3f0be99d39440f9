#pragma once

// A client of the AWS services that speak the JSON protocols (ECS, ECR,
// CloudWatch Logs): one signed POST per operation, retries with jittered
// exponential backoff on throttling, 5xx and broken connections, and errors
// that carry AWS's error code and request id.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace orsa::aws {

/// Where a service answers and how it names its operations.
struct ServiceEndpoint {
  std::string signing_name;   // "ecr"
  std::string region;         // "us-east-1"
  std::string url;            // "https://api.ecr.us-east-1.amazonaws.com", or an override
  std::string target_prefix;  // "AmazonEC2ContainerRegistry_V20150921"
  std::string json_version = "1.1";
};

/// https://<prefix>.<region>.amazonaws.com (".com.cn" in the China regions).
std::string default_url(std::string_view endpoint_prefix, std::string_view region);

/// What a service's model says about its wire: its signing name, target
/// prefix, JSON version and the host prefix of its endpoints.
struct ServiceProtocol {
  std::string_view signing_name;
  std::string_view target_prefix;
  std::string_view json_version;
  std::string_view endpoint_prefix;
};

/// Credentials for each call (a chain refreshes temporary ones).
using CredentialSource = std::function<Result<Credentials>()>;

struct JsonClientOptions {
  ServiceEndpoint endpoint;
  CredentialSource credentials;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  int max_attempts = 4;  // the first and three retries
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{std::chrono::seconds(5)};
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  std::function<std::int64_t()> now;  // unix seconds; empty → the system clock
};

/// `options` for `protocol`'s service: its names set, its default URL in
/// the region unless one is given.
JsonClientOptions for_service(JsonClientOptions options, const ServiceProtocol& protocol);

/// An error answer, as AWS reports it.
struct ServiceError {
  int status = 0;
  std::string code;  // "RepositoryNotFoundException"
  std::string message;
  std::string request_id;
};

/// Our vocabulary for an AWS error: not-found codes kNotFound, already-exists
/// kConflict, validation kInvalidArgument, refused credentials
/// kUnauthenticated, access denied kPermissionDenied, throttling
/// kRateLimited, 5xx kUnavailable. The message names the operation, the
/// AWS code and the request id (for AWS support), never a credential.
Error to_error(const ServiceError& e, std::string_view operation);

/// Whether AWS asks to slow down (such errors are retried).
bool is_throttling(const ServiceError& e);

class JsonClient {
 public:
  explicit JsonClient(JsonClientOptions options);

  /// Calls `operation` ("CreateRepository") with `input`; the output document.
  Result<Json> call(std::string_view operation, const Json& input) const;

 private:
  struct Answer {
    int status = 0;
    std::string body;
    std::string request_id;
  };
  Result<Answer> send_once(std::string_view operation, const std::string& body) const;
  std::chrono::milliseconds backoff(int attempt) const;

  JsonClientOptions options_;
};

}  // namespace orsa::aws
