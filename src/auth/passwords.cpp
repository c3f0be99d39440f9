#include "auth/passwords.hpp"

#include <sodium.h>

#include <array>

#include "core/random.hpp"
#include "core/sodium.hpp"

namespace orsa::auth {
namespace {

// 18 random bytes encode to exactly 24 unpadded base64url characters.
constexpr std::size_t kGeneratedPasswordBytes = 18;

}  // namespace

// Lengths are counted in bytes: the minimum is a floor on guessability and the
// maximum bounds the work an attacker can make us do per request.
Result<void> validate_password(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return fail(Error::invalid_argument("password must be at least " +
                                        std::to_string(kMinPasswordLength) + " characters"));
  }
  if (password.size() > kMaxPasswordLength) {
    return fail(Error::invalid_argument("password must be at most " +
                                        std::to_string(kMaxPasswordLength) + " characters"));
  }
  return {};
}

Result<std::string> hash_password(std::string_view password) {
  if (password.size() > kMaxPasswordLength) {
    return fail(Error::invalid_argument("password must be at most " +
                                        std::to_string(kMaxPasswordLength) + " characters"));
  }
  ensure_sodium();
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  // argon2id explicitly, not crypto_pwhash_str's default, so a libsodium
  // upgrade cannot silently change the algorithm.
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(),
                                 crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
    // The only failure mode is running out of memory for the argon2 arena.
    return fail(Error::unavailable("password hashing is temporarily unavailable"));
  }
  return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
  // libsodium wants a NUL-terminated string shorter than STRBYTES; anything
  // else (including an embedded NUL) cannot be one of our hashes.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      hash.find('\0') != std::string_view::npos) {
    return false;
  }
  ensure_sodium();
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string generate_password() {
  return base64url_encode(random_bytes(kGeneratedPasswordBytes));
}

}  // namespace orsa::auth
