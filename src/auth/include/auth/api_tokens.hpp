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

}  // namespace orsa::auth
