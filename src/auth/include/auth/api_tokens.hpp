#pragma once

#include <string>
#include <string_view>

namespace orsa::auth {

inline constexpr std::string_view kApiTokenPrefix = "orsa_";

struct ApiTokenSecret {
  std::string secret;  // "orsa_" + base64url(32 random bytes): shown once
  std::string hash;    // sha256 hex: what the store keeps
};

/// A new random API token and its hash.
ApiTokenSecret generate_api_token();

/// sha256 hex of a presented token (the secret has 256 bits of entropy, so a
/// fast hash is enough; a slow KDF would only slow every request).
std::string hash_api_token(std::string_view secret);

/// True when the bearer value has the API token shape (vs. a session JWT).
bool is_api_token(std::string_view bearer);

/// Consumer keys (a project's service and runs, no account): "orsa_ck_" +
/// base64url(32 random bytes), hashed as API tokens are.
inline constexpr std::string_view kConsumerKeyPrefix = "orsa_ck_";

/// A new random consumer key and its hash.
ApiTokenSecret generate_consumer_key();

/// True when the value has the consumer key shape (never an API token's).
bool is_consumer_key(std::string_view value);

}  // namespace orsa::auth
