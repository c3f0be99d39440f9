#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace orsa::auth {

/// What a valid session token says.
struct SessionClaims {
  std::string user_id;
  std::string csrf;  // double-submit token; must equal the X-CSRF-Token header
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

struct IssuedSession {
  std::string token;  // compact JWT
  SessionClaims claims;
};

/// Issues and verifies stateless session tokens: HS256 JWTs (libjwt) with
/// `sub`, `iat`, `exp` and a `csrf` claim.
class SessionSigner {
 public:
  SessionSigner(std::string key, std::chrono::seconds ttl, const Clock& clock);

  /// Reads the signing key from `path`, creating 32 random bytes with mode
  /// 0600 on first start.
  static Result<std::string> load_or_create_key(const std::filesystem::path& path);

  IssuedSession issue(std::string_view user_id) const;
  /// kUnauthenticated for a bad signature, wrong algorithm, expiry or garbage.
  Result<SessionClaims> verify(std::string_view token) const;

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  std::string key_;
  std::chrono::seconds ttl_;
  const Clock& clock_;
};

}  // namespace orsa::auth
