#include "oci/digest.hpp"

#include <sodium.h>

#include <algorithm>

#include "core/random.hpp"

namespace orsa::oci {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
constexpr std::size_t kSha256HexLength = 64;

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// The algorithm part of a digest, per the OCI grammar: [a-z0-9]+([+._-][a-z0-9]+)*.
bool is_algorithm_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '_' ||
         c == '-';
}

const unsigned char* as_bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(Error::invalid_argument("digest '" + std::string(text) +
                                        "' must have the form 'sha256:<64 hex digits>'"));
  }
  const std::string_view algorithm = text.substr(0, colon);
  if (!std::all_of(algorithm.begin(), algorithm.end(), is_algorithm_char)) {
    return fail(
        Error::invalid_argument("digest '" + std::string(text) + "' has a malformed algorithm"));
  }
  if (algorithm != "sha256") {
    return fail(Error::invalid_argument("unsupported digest algorithm '" + std::string(algorithm) +
                                        "' (only sha256)"));
  }
  const std::string_view hex = text.substr(colon + 1);
  if (hex.size() != kSha256HexLength) {
    return fail(Error::invalid_argument("digest '" + std::string(text) +
                                        "' must have 64 hex digits after 'sha256:'"));
  }
  if (!std::all_of(hex.begin(), hex.end(), is_lower_hex)) {
    return fail(Error::invalid_argument("digest '" + std::string(text) +
                                        "' must use lower-case hex digits only"));
  }
  return Digest(std::string(text));
}

Digest Digest::of(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

Digest Digest::from_raw_sha256(std::string_view raw32) {
  return Digest(std::string(kSha256Prefix) + hex_encode(raw32));
}

struct Sha256::State {
  crypto_hash_sha256_state state;
};

// libsodium's sha256 is portable C with no runtime CPU dispatch, so it needs
// no sodium_init().
Sha256::Sha256() : state_(std::make_unique<State>()) {
  crypto_hash_sha256_init(&state_->state);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view bytes) {
  crypto_hash_sha256_update(&state_->state, as_bytes(bytes), bytes.size());
}

Digest Sha256::finish() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_->state, out);
  return Digest::from_raw_sha256(std::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

}  // namespace orsa::oci
