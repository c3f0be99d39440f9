#pragma once

// OpenID Connect pieces that need no network and no database: the discovery
// document, the provider's key set (JWKS), ID token verification, and the
// one-time values of the authorization code flow (state, nonce, PKCE).
// JWS decoding is done here with OpenSSL because libjwt cannot take JWKs.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::auth::oidc {

/// Largest discovery document, JWKS or token response accepted from a provider.
inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;
/// Largest ID token accepted (compact serialization).
inline constexpr std::size_t kMaxIdTokenBytes = 64 * 1024;
/// Clock difference tolerated between the provider and this server.
inline constexpr std::int64_t kClockSkewSeconds = 60;

/// The endpoints of a provider, from `/.well-known/openid-configuration`.
struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;  // optional: empty when not offered
};

/// True for an https:// URL, or an http:// one on loopback (a provider run
/// beside ORSA for development): nothing else may carry a client secret,
/// a code or the keys that vouch for a sign-in.
bool is_secure_url(std::string_view url);

/// Parses a discovery document; fails unless its `issuer` is exactly
/// `expected_issuer` (a provider may not speak for another issuer) and the
/// endpoints needed by the code flow are present and secure (is_secure_url).
Result<ProviderMetadata> parse_discovery(std::string_view body, std::string_view expected_issuer);

/// The URL of the discovery document for an issuer.
std::string discovery_url(std::string_view issuer);

/// A provider's public keys, by key id. RSA (RS256) and EC P-256 (ES256).
class KeySet {
 public:
  KeySet();
  ~KeySet();
  KeySet(KeySet&&) noexcept;
  KeySet& operator=(KeySet&&) noexcept;

  /// Parses a JWKS document. Keys of other types or uses ("enc") are skipped;
  /// fails when no usable signing key remains.
  static Result<KeySet> parse(std::string_view body);

  bool contains(std::string_view kid) const;
  std::size_t size() const;

  struct Key;  // defined where OpenSSL is included
  /// The key with this id, or null.
  const Key* find(std::string_view kid) const;

 private:
  std::map<std::string, std::shared_ptr<Key>, std::less<>> keys_;
};

/// What a verified ID token says about the user.
struct IdTokenClaims {
  std::string issuer;
  std::string subject;
  std::string email;
  bool email_verified = false;
  std::string preferred_username;
  std::string name;
  std::int64_t expires_at = 0;
  /// Every claim, as JSON text, for role mapping (e.g. a "groups" claim).
  std::string raw_json;
};

/// What an ID token must match.
struct TokenExpectations {
  std::string issuer;
  std::string client_id;
  std::string nonce;  // the nonce issued with this login; required
  std::int64_t now = 0;
};

/// Verifies a compact JWS ID token against `keys`: algorithm RS256 or ES256
/// (never `none` or HS*), signature by `kid`, `iss`, `aud` (string, or array
/// containing the client id with `azp` equal to it when several), `exp` and
/// `iat` with kClockSkewSeconds, and `nonce`. A token whose `kid` is not in
/// `keys` fails with ErrorCode::kNotFound so the caller can refetch the JWKS.
Result<IdTokenClaims> verify_id_token(std::string_view token, const KeySet& keys,
                                      const TokenExpectations& expect);

/// Keeps a provider's key set and fetches it again when a token names an
/// unknown key (key rotation), at most once per `min_refetch_seconds`, so a
/// stream of forged `kid`s cannot make this server hammer the provider.
class KeySetCache {
 public:
  using Fetch = std::function<Result<std::string>()>;
  using Clock = std::function<std::int64_t()>;
  KeySetCache(Fetch fetch, Clock clock, std::int64_t min_refetch_seconds = 60);

  /// Verifies `token`, refetching the key set once if its `kid` is unknown.
  /// Thread-safe: callbacks of several sign-ins verify at once, and a key
  /// set replaced by a refetch lives on until the checks using it end.
  Result<IdTokenClaims> verify(std::string_view token, const TokenExpectations& expect);
  /// How many times the key set was fetched.
  int fetches() const;

 private:
  using Keys = std::shared_ptr<const KeySet>;
  Keys current() const;
  Result<Keys> refresh();  // fetches outside the lock

  Fetch fetch_;
  Clock clock_;
  std::int64_t min_refetch_seconds_;
  mutable std::mutex mu_;  // guards the three below
  Keys keys_;
  std::int64_t last_fetch_ = 0;
  int fetches_ = 0;
};

/// The one-time values of one login attempt.
struct LoginSecrets {
  std::string state;           // binds the callback to this attempt (CSRF)
  std::string nonce;           // binds the ID token to this attempt (replay)
  std::string code_verifier;   // PKCE secret, sent at the token exchange
  std::string code_challenge;  // S256 of the verifier, sent to the provider
};

/// Fresh random state, nonce and PKCE verifier (32 bytes each, base64url).
LoginSecrets new_login_secrets();

/// PKCE S256: base64url(SHA-256(verifier)), RFC 7636.
std::string pkce_challenge(std::string_view code_verifier);

/// Unpadded base64url decoding; fails on any other character.
Result<std::string> base64url_decode(std::string_view text);

}  // namespace orsa::auth::oidc
