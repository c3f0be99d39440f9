#include "auth/api_tokens.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "core/random.hpp"
#include "core/sodium.hpp"

namespace orsa::auth {
namespace {

constexpr std::size_t kSecretBytes = 32;
// Unpadded base64url of 32 bytes is ceil(32 * 4 / 3) = 43 characters.
constexpr std::size_t kEncodedSecretLength = 43;
constexpr std::size_t kApiTokenLength = kApiTokenPrefix.size() + kEncodedSecretLength;
constexpr std::size_t kConsumerKeyLength = kConsumerKeyPrefix.size() + kEncodedSecretLength;

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

ApiTokenSecret generate_api_token() {
  std::string secret(kApiTokenPrefix);
  secret += base64url_encode(random_bytes(kSecretBytes));
  std::string hash = hash_api_token(secret);
  return {std::move(secret), std::move(hash)};
}

std::string hash_api_token(std::string_view secret) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

namespace {

bool has_shape(std::string_view value, std::string_view prefix, std::size_t length) {
  if (value.size() != length || !value.starts_with(prefix)) return false;
  const auto body = value.substr(prefix.size());
  return std::all_of(body.begin(), body.end(), is_base64url_char);
}

}  // namespace

bool is_api_token(std::string_view bearer) {
  return has_shape(bearer, kApiTokenPrefix, kApiTokenLength);
}

ApiTokenSecret generate_consumer_key() {
  std::string secret(kConsumerKeyPrefix);
  secret += base64url_encode(random_bytes(kSecretBytes));
  std::string hash = hash_api_token(secret);
  return {std::move(secret), std::move(hash)};
}

bool is_consumer_key(std::string_view value) {
  return has_shape(value, kConsumerKeyPrefix, kConsumerKeyLength);
}

}  // namespace orsa::auth
