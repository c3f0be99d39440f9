#include "auth/sessions.hpp"

#include <jwt.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/sodium.hpp"
#include "core/strings.hpp"

namespace orsa::auth {
namespace {

constexpr const char* kIssuer = "orsa";
constexpr const char* kSessionType = "session";
constexpr const char* kPushType = "push";
constexpr const char* kPullType = "pull";
constexpr std::string_view kPullScopeSuffix = ":pull";
constexpr std::size_t kSessionIdBytes = 16;
constexpr const char* kRegistryAudience = "orsa-registry";
constexpr const char* kJobType = "job";
constexpr const char* kJobAudience = "orsa-jobs";
constexpr std::size_t kMaxJobNameLength = 128;
constexpr std::string_view kScopePrefix = "repository:";
constexpr std::string_view kPushScopeSuffix = ":push,pull";
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
  ensure_sodium();
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
  ensure_sodium();
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

// Signs the grants that `add` puts on a new HS256 token. libjwt fails only
// on allocation failure or an empty key (a wiring bug): both are bugs.
template <class AddGrants>
std::string sign_token(const std::string& key, AddGrants add) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::bad_alloc();
  JwtPtr jwt(raw);
  int rc = add(jwt.get());
  rc =
      rc ? rc
         : jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key.data()),
                       static_cast<int>(key.size()));
  if (rc != 0) throw std::runtime_error("cannot build token");
  std::unique_ptr<char, FreeDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::runtime_error("cannot sign token");
  return std::string(encoded.get());
}

// Checks shape, HS256 signature and algorithm; the decoded token or null.
JwtPtr decode_verified(const std::string& key, std::string_view token) {
  if (token.size() > kMaxTokenLength || !has_jws_shape(token)) return nullptr;
  if (!signature_matches(key, token)) return nullptr;
  const std::string terminated(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, terminated.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 0) {
    return nullptr;
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return nullptr;
  return jwt;
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
        Error::internal("cannot stat session key " + path.string() + ": " + errno_message(errno)));
  }
  // Instances sharing one directory may start at once: the first key made
  // wins (link() never replaces a file) and the others read that one.
  std::string key = random_bytes(kKeyBytes);
  const std::filesystem::path made = path.string() + ".new-" + random_hex(8);
  if (auto written = write_file_atomic(made, base64url_encode(key) + "\n", 0600); !written) {
    return fail(written.error());
  }
  const int linked = ::link(made.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(made.c_str());
  if (linked == 0) return key;
  if (link_errno == EEXIST && ::stat(path.c_str(), &st) == 0) return read_existing_key(path, st);
  return fail(Error::internal("cannot create session key " + path.string() + ": " +
                              errno_message(link_errno)));
}

std::string derive_token_key(std::string_view master_key, std::string_view purpose) {
  return hmac_sha256(master_key, "orsa token key v1: " + std::string(purpose));
}

IssuedSession SessionSigner::issue(std::string_view user_id, std::int64_t epoch) const {
  SessionClaims claims;
  claims.user_id = std::string(user_id);
  claims.session_id = random_hex(kSessionIdBytes);
  claims.epoch = epoch;
  claims.csrf = random_hex(kCsrfBytes);
  claims.issued_at = clock_.now_unix();
  claims.expires_at = claims.issued_at + ttl_.count();
  std::string token = sign_token(key_, [&](jwt_t* jwt) {
    int rc = jwt_add_grant(jwt, "iss", kIssuer);
    rc = rc ? rc : jwt_add_grant(jwt, "typ", kSessionType);
    rc = rc ? rc : jwt_add_grant(jwt, "sub", claims.user_id.c_str());
    rc = rc ? rc : jwt_add_grant_int(jwt, "iat", claims.issued_at);
    rc = rc ? rc : jwt_add_grant_int(jwt, "exp", claims.expires_at);
    rc = rc ? rc : jwt_add_grant(jwt, "sid", claims.session_id.c_str());
    rc = rc ? rc : jwt_add_grant_int(jwt, "ep", claims.epoch);
    return rc ? rc : jwt_add_grant(jwt, "csrf", claims.csrf.c_str());
  });
  return {std::move(token), std::move(claims)};
}

Result<SessionClaims> SessionSigner::verify(std::string_view token) const {
  const JwtPtr jwt = decode_verified(key_, token);
  if (!jwt) return invalid_session();
  const auto issuer = string_grant(jwt.get(), "iss");
  const auto type = string_grant(jwt.get(), "typ");
  const auto subject = string_grant(jwt.get(), "sub");
  const auto csrf = string_grant(jwt.get(), "csrf");
  const auto issued_at = int_grant(jwt.get(), "iat");
  const auto expires_at = int_grant(jwt.get(), "exp");
  const auto session_id = string_grant(jwt.get(), "sid");
  const auto epoch = int_grant(jwt.get(), "ep");
  // Every token names its type: an untyped or otherwise typed one is no session.
  const bool is_session = type && *type == kSessionType;
  if (!issuer || *issuer != kIssuer || !is_session || !subject || !csrf || !issued_at ||
      !expires_at || !session_id || !epoch || jwt_get_grant(jwt.get(), "aud") != nullptr) {
    return invalid_session();
  }
  const std::int64_t now = clock_.now_unix();
  if (*expires_at <= now || *issued_at > now + kMaxIssuedInFuture) return invalid_session();
  return SessionClaims{*subject, *csrf, *issued_at, *expires_at, *session_id, *epoch};
}

namespace {

// What every typed token (push, pull, job) carries besides its own claims.
struct TypedClaims {
  std::string type;
  std::string subject;
  std::int64_t expires_at = 0;
};

// The common claims of a verified token for `audience`: issuer ORSA, a type,
// a subject, issued not in the future and not expired. None otherwise.
std::optional<TypedClaims> typed_claims(jwt_t* jwt, std::string_view audience, std::int64_t now) {
  const auto issuer = string_grant(jwt, "iss");
  const auto type = string_grant(jwt, "typ");
  const auto aud = string_grant(jwt, "aud");
  const auto subject = string_grant(jwt, "sub");
  const auto issued_at = int_grant(jwt, "iat");
  const auto expires_at = int_grant(jwt, "exp");
  if (!issuer || *issuer != kIssuer || !type || !aud || *aud != audience || !subject ||
      !issued_at || !expires_at) {
    return std::nullopt;
  }
  if (*expires_at <= now || *issued_at > now + kMaxIssuedInFuture) return std::nullopt;
  return TypedClaims{*type, *subject, *expires_at};
}

}  // namespace

PushTokenSigner::PushTokenSigner(std::string key, const Clock& clock, std::chrono::seconds ttl)
    : key_(std::move(key)), clock_(clock), ttl_(ttl) {}

std::string PushTokenSigner::issue(std::string_view user_id, std::string_view repository) const {
  return issue_typed(user_id, repository, true);
}

std::string PushTokenSigner::issue_pull(std::string_view user_id,
                                        std::string_view repository) const {
  return issue_typed(user_id, repository, false);
}

std::string PushTokenSigner::issue_typed(std::string_view user_id, std::string_view repository,
                                         bool push) const {
  const std::int64_t now = clock_.now_unix();
  const std::string subject(user_id);
  std::string scope(kScopePrefix);
  scope.append(repository).append(push ? kPushScopeSuffix : kPullScopeSuffix);
  return sign_token(key_, [&](jwt_t* jwt) {
    int rc = jwt_add_grant(jwt, "iss", kIssuer);
    rc = rc ? rc : jwt_add_grant(jwt, "typ", push ? kPushType : kPullType);
    rc = rc ? rc : jwt_add_grant(jwt, "aud", kRegistryAudience);
    rc = rc ? rc : jwt_add_grant(jwt, "sub", subject.c_str());
    rc = rc ? rc : jwt_add_grant(jwt, "scope", scope.c_str());
    rc = rc ? rc : jwt_add_grant_int(jwt, "iat", now);
    return rc ? rc : jwt_add_grant_int(jwt, "exp", now + ttl_.count());
  });
}

Result<PushClaims> PushTokenSigner::verify(std::string_view token) const {
  const auto invalid = [] { return fail(Error::unauthenticated("invalid or expired push token")); };
  const JwtPtr jwt = decode_verified(key_, token);
  if (!jwt) return invalid();
  const auto claims = typed_claims(jwt.get(), kRegistryAudience, clock_.now_unix());
  const auto scope = string_grant(jwt.get(), "scope");
  if (!claims || !scope) return invalid();
  const bool push = claims->type == kPushType;
  if (!push && claims->type != kPullType) return invalid();
  const std::string_view s = *scope;
  // The scope must say what the type says: a pull token cannot claim pushes.
  const std::string_view suffix = push ? kPushScopeSuffix : kPullScopeSuffix;
  if (!s.starts_with(kScopePrefix) || !s.ends_with(suffix) ||
      s.size() <= kScopePrefix.size() + suffix.size()) {
    return invalid();
  }
  std::string repository(
      s.substr(kScopePrefix.size(), s.size() - kScopePrefix.size() - suffix.size()));
  return PushClaims{claims->subject, std::move(repository), claims->expires_at, push};
}

namespace {

// One path segment of the jobs listener, and a directory name of its own.
bool is_job_name(std::string_view job) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  };
  return !job.empty() && job.size() <= kMaxJobNameLength && std::ranges::all_of(job, allowed);
}

}  // namespace

JobTokenSigner::JobTokenSigner(std::string key, const Clock& clock)
    : key_(std::move(key)), clock_(clock) {}

Result<std::string> JobTokenSigner::issue(std::string_view job, std::uint64_t max_output_bytes,
                                          std::chrono::seconds ttl) const {
  if (!is_job_name(job)) return fail(Error::invalid_argument("invalid job name"));
  if (ttl.count() <= 0) return fail(Error::invalid_argument("a job token needs a lifetime"));
  const std::int64_t now = clock_.now_unix();
  const std::string subject(job);
  const auto max_output = static_cast<long>(max_output_bytes);
  if (max_output < 0) return fail(Error::invalid_argument("output limit out of range"));
  return sign_token(key_, [&](jwt_t* jwt) {
    int rc = jwt_add_grant(jwt, "iss", kIssuer);
    rc = rc ? rc : jwt_add_grant(jwt, "typ", kJobType);
    rc = rc ? rc : jwt_add_grant(jwt, "aud", kJobAudience);
    rc = rc ? rc : jwt_add_grant(jwt, "sub", subject.c_str());
    rc = rc ? rc : jwt_add_grant_int(jwt, "max", max_output);
    rc = rc ? rc : jwt_add_grant_int(jwt, "iat", now);
    return rc ? rc : jwt_add_grant_int(jwt, "exp", now + ttl.count());
  });
}

Result<JobClaims> JobTokenSigner::verify(std::string_view token) const {
  const auto invalid = [] { return fail(Error::unauthenticated("invalid or expired job token")); };
  const JwtPtr jwt = decode_verified(key_, token);
  if (!jwt) return invalid();
  const auto claims = typed_claims(jwt.get(), kJobAudience, clock_.now_unix());
  const auto max_output = int_grant(jwt.get(), "max");
  if (!claims || claims->type != kJobType || !is_job_name(claims->subject) || !max_output ||
      *max_output < 0) {
    return invalid();
  }
  return JobClaims{claims->subject, static_cast<std::uint64_t>(*max_output), claims->expires_at};
}

}  // namespace orsa::auth
