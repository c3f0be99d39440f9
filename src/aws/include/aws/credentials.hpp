#pragma once

// Where ORSA's AWS credentials come from: the standard chain of the AWS SDKs,
// in their order: the environment, the shared credentials and config files
// (a named profile), the ECS task role endpoint, EC2 instance metadata.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::aws {

/// Secrets: never logged, never part of an error message.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;               // temporary credentials only
  std::optional<std::int64_t> expires_at;  // unix seconds; temporary credentials only
  std::string source;                      // "environment", "profile default", … (for logs)
};

/// Reads a variable of the environment (tests pass their own).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_environment();

/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; kNotFound when unset.
Result<Credentials> environment_credentials(const EnvLookup& env);

/// The profile (AWS_PROFILE, else "default") of the shared credentials file
/// (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) or, failing that,
/// of the config file (AWS_CONFIG_FILE, else ~/.aws/config, "[profile NAME]");
/// kNotFound when neither has keys for it. Profiles that name a process,
/// SSO or a role to assume are refused with kInvalidArgument: ORSA runs no
/// program a file names, and assumes roles only when told to.
Result<Credentials> profile_credentials(const EnvLookup& env);

/// The region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`.
std::optional<std::string> configured_region(const EnvLookup& env);

/// The ECS task role: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
/// http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (a loopback
/// or ECS address only: the answer is a secret) with
/// AWS_CONTAINER_AUTHORIZATION_TOKEN; kNotFound when neither is set.
Result<Credentials> container_credentials(const EnvLookup& env, std::chrono::milliseconds timeout);

/// The EC2 instance profile through IMDSv2 (a session token first, then the
/// role's credentials) at `endpoint` (AWS_EC2_METADATA_SERVICE_ENDPOINT,
/// else http://169.254.169.254); kNotFound when no role is attached.
Result<Credentials> instance_credentials(const EnvLookup& env, std::chrono::milliseconds timeout);

/// The chain: environment, profile, container, instance; the first that
/// has credentials wins (a source that has them but fails stops the chain:
/// falling through to another identity would hide the failure). Temporary
/// credentials are kept until five minutes before they expire.
class CredentialChain {
 public:
  explicit CredentialChain(EnvLookup env = process_environment(),
                           std::chrono::milliseconds timeout = std::chrono::seconds(2));
  /// Thread-safe.
  Result<Credentials> get();

 private:
  Result<Credentials> resolve() const;

  EnvLookup env_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

}  // namespace orsa::aws
