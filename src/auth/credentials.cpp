#include "auth/credentials.hpp"

#include <cstdint>

#include "auth/api_tokens.hpp"
#include "core/strings.hpp"

namespace orsa::auth {
namespace {

// API token use is recorded at most this often, so that authenticated reads
// do not each turn into a database write.
constexpr std::int64_t kTokenTouchIntervalS = 60;

Error invalid_credentials() {
  return Error::unauthenticated("invalid username, email or password");
}

Error signed_out() {
  return Error::unauthenticated("invalid or expired session");
}

}  // namespace

CredentialResolver::CredentialResolver(CredentialDirectory& directory, const SessionSigner& signer,
                                       const PushTokenSigner& push_signer, const Clock& clock,
                                       PasswordCheck check_password)
    : directory_(directory),
      signer_(signer),
      push_signer_(push_signer),
      clock_(clock),
      check_password_(std::move(check_password)),
      basic_cache_(clock) {}

Result<DirectoryUser> CredentialResolver::active_user(std::string_view user_id) {
  auto user = directory_.find_user_by_id(user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return fail(Error::unauthenticated("invalid credentials"));
    }
    return fail(user.error());
  }
  // Checked on every request, so disabling a user revokes all their
  // sessions and tokens at once.
  if (user->disabled) return fail(Error::unauthenticated("this account is disabled"));
  return user;
}

Result<Principal> CredentialResolver::active_principal(std::string_view user_id,
                                                       bool via_api_token) {
  auto user = active_user(user_id);
  if (!user) return fail(user.error());
  return Principal{user->id, user->username, user->role, via_api_token, ""};
}

Result<Principal> CredentialResolver::authenticate_bearer(std::string_view bearer) {
  if (!is_api_token(bearer)) {
    auto session = authenticate_session(bearer);
    if (!session) return fail(session.error());
    return session->first;
  }
  auto token = directory_.find_token_by_hash(hash_api_token(bearer));
  if (!token) {
    if (token.error().code == ErrorCode::kNotFound) {
      return fail(Error::unauthenticated("invalid or revoked API token"));
    }
    return fail(token.error());
  }
  const std::int64_t now = clock_.now_unix();
  const auto& expires_at = token->expires_at;
  if (expires_at && *expires_at <= now) {
    return fail(Error::unauthenticated("API token has expired"));
  }
  const auto& last_used_at = token->last_used_at;
  if (!last_used_at || *last_used_at + kTokenTouchIntervalS <= now) {
    directory_.touch_token(token->id, now);
  }
  auto principal = active_principal(token->user_id, true);
  if (!principal) return fail(principal.error());
  // A stored list that does not parse grants nothing.
  principal->scopes = parse_scopes(token->scopes).value_or(0);
  principal->expires_at = token->expires_at;
  return principal;
}

Result<std::pair<Principal, std::string>> CredentialResolver::authenticate_session(
    std::string_view jwt) {
  auto claims = signer_.verify(jwt);
  if (!claims) return fail(claims.error());
  auto user = active_user(claims->user_id);
  if (!user) return fail(user.error());
  // A password change raised the epoch; a logout listed the session id.
  if (claims->epoch != user->session_epoch) return fail(signed_out());
  auto revoked = directory_.is_session_revoked(claims->session_id);
  if (!revoked) return fail(revoked.error());
  if (*revoked) return fail(signed_out());
  Principal principal{user->id, user->username, user->role, false, ""};
  principal.expires_at = claims->expires_at;
  return std::pair{std::move(principal), std::move(claims->csrf)};
}

Result<Principal> CredentialResolver::authenticate_basic(std::string_view login,
                                                         std::string_view password,
                                                         std::string_view ip) {
  if (is_api_token(password)) {
    auto principal = authenticate_bearer(password);
    if (!principal) return fail(principal.error());
    // The username must name the token's owner, so a leaked token cannot be
    // replayed under a misleading name in logs and audit.
    auto named = directory_.find_user_by_login(ascii_lower(login));
    if (!named || named->id != principal->user_id) return fail(invalid_credentials());
    return principal;
  }
  const std::string key = ascii_lower(login);
  // A JWT as the password: the runtime's pull token or the builder's push
  // token (Docker's X-Registry-Auth carries only user and password), or a
  // session from /auth/login (`skopeo --creds ada:$TOKEN`).
  if (password.starts_with("eyJ")) {
    if (auto token = push_signer_.verify(password)) {
      auto principal = registry_token_principal(*token);
      if (!principal) return fail(principal.error());
      if (principal->username != key) return fail(invalid_credentials());
      return principal;
    }
    if (auto session = authenticate_session(password)) {
      if (session->first.username != key) return fail(invalid_credentials());
      return std::move(session->first);
    }
    // Not a token of ours: maybe a password that happens to start so.
  }
  if (auto user_id = basic_cache_.find(key, password)) return active_principal(*user_id, false);
  auto user_id = check_password_(key, password, ip);
  if (!user_id) {
    // A disabled account is a failed login here: the registry speaks 401.
    if (user_id.error().code == ErrorCode::kPermissionDenied) {
      return fail(Error::unauthenticated(user_id.error().message));
    }
    return fail(user_id.error());
  }
  basic_cache_.remember(key, password, *user_id);
  return active_principal(*user_id, false);
}

Result<Principal> CredentialResolver::registry_token_principal(const PushClaims& claims) {
  auto principal = active_principal(claims.user_id, true);
  if (!principal) return fail(principal.error());
  principal->repository_scope = claims.repository;
  principal->repository_pull_only = !claims.push;
  principal->expires_at = claims.expires_at;
  return principal;
}

Result<Principal> CredentialResolver::authenticate_registry_bearer(std::string_view bearer) {
  if (is_api_token(bearer)) return authenticate_bearer(bearer);
  if (auto token = push_signer_.verify(bearer)) return registry_token_principal(*token);
  return authenticate_bearer(bearer);
}

}  // namespace orsa::auth
