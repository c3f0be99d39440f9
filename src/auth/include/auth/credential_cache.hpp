#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace orsa::auth {

/// Remembers successful HTTP Basic password logins for a short time, so a
/// registry client that sends the same credentials on every request pays for
/// one argon2 verification a minute instead of one per request. Keys are a
/// salted SHA-256 of (login, password); values are only user ids, so the
/// caller still reads the user row (disabled, role) on every request.
/// Bounded; thread-safe.
class CredentialCache {
 public:
  static constexpr std::int64_t kDefaultTtlS = 60;
  static constexpr std::size_t kDefaultCapacity = 1024;

  explicit CredentialCache(const Clock& clock, std::int64_t ttl_s = kDefaultTtlS,
                           std::size_t capacity = kDefaultCapacity);

  /// The user id of a remembered, unexpired (login, password) pair.
  std::optional<std::string> find(std::string_view login, std::string_view password) const;
  /// Remembers a verified pair; evicts the oldest entry when full.
  void remember(std::string_view login, std::string_view password, std::string user_id);
  std::size_t size() const;

 private:
  struct Entry {
    std::string user_id;
    std::int64_t expires_at = 0;
  };
  std::string key_of(std::string_view login, std::string_view password) const;

  const Clock& clock_;
  std::int64_t ttl_s_;
  std::size_t capacity_;
  std::string salt_;  // per process: keys reveal nothing outside it
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace orsa::auth
