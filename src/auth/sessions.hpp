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

/// What a valid registry push token says.
struct PushClaims {
  std::string user_id;     // on whose behalf (the build's requester)
  std::string repository;  // "<owner>/<project>": the only repository it opens
  std::int64_t expires_at = 0;
};

/// Issues and verifies builder push tokens: HS256 JWTs signed with the
/// session key but typed apart from sessions (`typ` "push", `aud`
/// "orsa-registry", `scope` "repository:<owner>/<project>:push,pull"), so a
/// push token is never a session and a session never a push token.
class PushTokenSigner {
 public:
  static constexpr std::chrono::seconds kDefaultTtl{15 * 60};

  PushTokenSigner(std::string key, const Clock& clock, std::chrono::seconds ttl = kDefaultTtl);

  /// A token for `user_id` scoped to `repository` ("<owner>/<project>").
  std::string issue(std::string_view user_id, std::string_view repository) const;
  /// kUnauthenticated for a bad signature, another token type, expiry or garbage.
  Result<PushClaims> verify(std::string_view token) const;

 private:
  std::string key_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
};

}  // namespace orsa::auth
