#include "auth/sessions.hpp"

#include <jwt.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "auth/sodium_init.hpp"
#include "core/files.hpp"
#include "core/random.hpp"

namespace orsa::auth {
namespace {

constexpr const char* kIssuer = "orsa";
constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kCsrfBytes = 16;  // 32 hex characters
// Tolerated clock skew for `iat` between replicas.
constexpr std::int64_t kMaxIssuedInFuture = 60;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct FreeDeleter {
  void operator()(char* s) const { std::free(s); }
};

// Every rejection looks the same so a caller learns nothing about why.
std::unexpected<Error> invalid_session() {
  return fail(Error::unauthenticated("invalid or expired session"));
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Compact JWS shape: three non-empty base64url segments. Also rules out an
// embedded NUL that would make libjwt see a different string than we did.
bool has_jws_shape(std::string_view token) {
  if (std::count(token.begin(), token.end(), '.') != 2) return false;
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == 0 || second == first + 1 || second + 1 == token.size()) return false;
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return c == '.' || is_base64url_char(c); });
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  detail::ensure_sodium();
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

// Our own constant-time check of the HS256 signature, before libjwt parses
// anything: it does not depend on libjwt's comparison being timing-safe and
// rejects every other algorithm (including "none") outright.
bool signature_matches(std::string_view key, std::string_view token) {
  const auto last_dot = token.rfind('.');
  const auto expected = base64url_encode(hmac_sha256(key, token.substr(0, last_dot)));
  return constant_time_equal(token.substr(last_dot + 1), expected);
}

std::optional<std::string> string_grant(jwt_t* jwt, const char* name) {
  const char* value = jwt_get_grant(jwt, name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::optional<std::int64_t> int_grant(jwt_t* jwt, const char* name) {
  errno = 0;
  const long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::optional<std::string> decode_key(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  detail::ensure_sodium();
  std::string raw(text.size(), '\0');
  std::size_t raw_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), text.data(),
                        text.size(), nullptr, &raw_len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  raw.resize(raw_len);
  return raw;
}

Result<std::string> read_existing_key(const std::filesystem::path& path, const struct stat& st) {
  const std::string name = path.string();
  if (!S_ISREG(st.st_mode)) {
    return fail(Error::invalid_argument("session key " + name + " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return fail(Error::invalid_argument(
        "session key " + name + " is readable by group or others; run `chmod 600 " + name + "`"));
  }
  auto text = read_file(path);
  if (!text) return fail(text.error());
  auto key = decode_key(*text);
  if (!key) {
    return fail(Error::invalid_argument("session key " + name + " is not valid base64url"));
  }
  if (key->size() < kKeyBytes) {
    return fail(Error::invalid_argument("session key " + name + " is shorter than " +
                                        std::to_string(kKeyBytes) + " bytes"));
  }
  return std::move(*key);
}

}  // namespace

SessionSigner::SessionSigner(std::string key, std::chrono::seconds ttl, const Clock& clock)
    : key_(std::move(key)), ttl_(ttl), clock_(clock) {}

// The key file holds the base64url (unpadded) encoding of the key plus a
// newline, so it survives copy-paste and text tools; it must be mode 0600.
Result<std::string> SessionSigner::load_or_create_key(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return read_existing_key(path, st);
  if (errno != ENOENT) {
    return fail(
        Error::internal("cannot stat session key " + path.string() + ": " + std::strerror(errno)));
  }
  std::string key = random_bytes(kKeyBytes);
  if (auto written = write_file_atomic(path, base64url_encode(key) + "\n", 0600); !written) {
    return fail(written.error());
  }
  return key;
}

IssuedSession SessionSigner::issue(std::string_view user_id) const {
  SessionClaims claims;
  claims.user_id = std::string(user_id);
  claims.csrf = random_hex(kCsrfBytes);
  claims.issued_at = clock_.now_unix();
  claims.expires_at = claims.issued_at + ttl_.count();

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::bad_alloc();
  JwtPtr jwt(raw);
  // libjwt fails here only on allocation failure or an empty key (a wiring
  // bug): both are bugs, not recoverable conditions.
  int rc = jwt_add_grant(jwt.get(), "iss", kIssuer);
  rc = rc ? rc : jwt_add_grant(jwt.get(), "sub", claims.user_id.c_str());
  rc = rc ? rc : jwt_add_grant_int(jwt.get(), "iat", claims.issued_at);
  rc = rc ? rc : jwt_add_grant_int(jwt.get(), "exp", claims.expires_at);
  rc = rc ? rc : jwt_add_grant(jwt.get(), "csrf", claims.csrf.c_str());
  rc = rc ? rc
          : jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                        reinterpret_cast<const unsigned char*>(key_.data()),
                        static_cast<int>(key_.size()));
  if (rc != 0) throw std::runtime_error("cannot build session token");
  std::unique_ptr<char, FreeDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::runtime_error("cannot sign session token");
  return {std::string(encoded.get()), std::move(claims)};
}

Result<SessionClaims> SessionSigner::verify(std::string_view token) const {
  if (token.size() > kMaxTokenLength || !has_jws_shape(token)) return invalid_session();
  if (!signature_matches(key_, token)) return invalid_session();

  const std::string terminated(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, terminated.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                 static_cast<int>(key_.size())) != 0) {
    return invalid_session();
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return invalid_session();

  const auto issuer = string_grant(jwt.get(), "iss");
  const auto subject = string_grant(jwt.get(), "sub");
  const auto csrf = string_grant(jwt.get(), "csrf");
  const auto issued_at = int_grant(jwt.get(), "iat");
  const auto expires_at = int_grant(jwt.get(), "exp");
  if (!issuer || *issuer != kIssuer || !subject || !csrf || !issued_at || !expires_at) {
    return invalid_session();
  }
  const std::int64_t now = clock_.now_unix();
  if (*expires_at <= now || *issued_at > now + kMaxIssuedInFuture) return invalid_session();
  return SessionClaims{*subject, *csrf, *issued_at, *expires_at};
}

}  // namespace orsa::auth
