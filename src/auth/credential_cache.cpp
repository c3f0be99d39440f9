#include "auth/credential_cache.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "core/random.hpp"
#include "core/sodium.hpp"

namespace orsa::auth {
namespace {

constexpr std::size_t kSaltBytes = 32;

void hash_part(crypto_hash_sha256_state& state, std::string_view part) {
  // Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
  const std::uint64_t size = part.size();
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(&size), sizeof size);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                            part.size());
}

}  // namespace

CredentialCache::CredentialCache(const Clock& clock, std::int64_t ttl_s, std::size_t capacity)
    : clock_(clock),
      ttl_s_(ttl_s),
      capacity_(std::max<std::size_t>(capacity, 1)),
      salt_(random_bytes(kSaltBytes)) {}

std::string CredentialCache::key_of(std::string_view login, std::string_view password) const {
  ensure_sodium();
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  hash_part(state, salt_);
  hash_part(state, login);
  hash_part(state, password);
  std::array<unsigned char, crypto_hash_sha256_BYTES> out{};
  crypto_hash_sha256_final(&state, out.data());
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

std::optional<std::string> CredentialCache::find(std::string_view login,
                                                 std::string_view password) const {
  const std::string key = key_of(login, password);
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires_at <= clock_.now_unix()) return std::nullopt;
  return it->second.user_id;
}

void CredentialCache::remember(std::string_view login, std::string_view password,
                               std::string user_id) {
  std::string key = key_of(login, password);
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_ && !entries_.contains(key)) {
    std::erase_if(entries_, [now](const auto& e) { return e.second.expires_at <= now; });
  }
  if (entries_.size() >= capacity_ && !entries_.contains(key)) {
    const auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.expires_at < b.second.expires_at; });
    entries_.erase(oldest);
  }
  entries_.insert_or_assign(std::move(key), Entry{std::move(user_id), now + ttl_s_});
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace orsa::auth
