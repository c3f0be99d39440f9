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
  std::string session_id;  // `sid`: what logout revokes
  std::int64_t epoch = 0;  // `ep`: the user's session epoch when issued
};

struct IssuedSession {
  std::string token;  // compact JWT
  SessionClaims claims;
};

/// The signing key of one token type, derived from the master key
/// (HMAC-SHA256 of the purpose), so a token of one type can never verify as
/// another even if its claims were made to look alike.
std::string derive_token_key(std::string_view master_key, std::string_view purpose);

/// Issues and verifies session tokens: HS256 JWTs (libjwt) with `typ`
/// "session", `sub`, `iat`, `exp`, `csrf`, a session id `sid` and the user's
/// session epoch `ep` (checked against the store by the caller, so logout
/// and password changes revoke sessions).
class SessionSigner {
 public:
  SessionSigner(std::string key, std::chrono::seconds ttl, const Clock& clock);

  /// Reads the signing key from `path`, creating 32 random bytes with mode
  /// 0600 on first start.
  static Result<std::string> load_or_create_key(const std::filesystem::path& path);

  IssuedSession issue(std::string_view user_id, std::int64_t epoch = 0) const;
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
  bool push = true;  // false: a pull token (`typ` "pull", scope "…:pull")
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
  /// A pull-only token (`typ` "pull"): what the container runtime pulls with.
  std::string issue_pull(std::string_view user_id, std::string_view repository) const;
  /// kUnauthenticated for a bad signature, another token type, expiry or garbage.
  Result<PushClaims> verify(std::string_view token) const;

 private:
  std::string issue_typed(std::string_view user_id, std::string_view repository, bool push) const;

  std::string key_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
};

/// What a valid job token says (ADR 0021): the one job whose files it opens.
struct JobClaims {
  std::string job;  // the job's directory name under the run worker's work root
  std::uint64_t max_output_bytes = 0;
  std::int64_t expires_at = 0;
};

/// Issues and verifies job tokens: HS256 JWTs with the session key, typed
/// "job" for the audience "orsa-jobs", so a job token is neither a session
/// nor a registry token, and neither of those opens a job's files.
class JobTokenSigner {
 public:
  JobTokenSigner(std::string key, const Clock& clock);

  /// A token for `job` (one path segment of [A-Za-z0-9_-]) that may upload
  /// up to `max_output_bytes` per file, valid for `ttl`.
  Result<std::string> issue(std::string_view job, std::uint64_t max_output_bytes,
                            std::chrono::seconds ttl) const;
  /// kUnauthenticated for a bad signature, another token type, expiry or garbage.
  Result<JobClaims> verify(std::string_view token) const;

 private:
  std::string key_;
  const Clock& clock_;
};

}  // namespace orsa::auth
