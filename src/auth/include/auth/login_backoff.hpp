#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace orsa::auth {

/// Failed logins of one account, wherever they come from: the first
/// `free_failures` cost nothing, then each failure doubles the wait before
/// the next attempt is heard (first_delay, 2×, 4×, … up to max_delay). No
/// hard lockout, so an attacker who knows a username can slow its owner down
/// but never shut them out for longer than max_delay; a success clears it.
/// Memory is bounded (kMaxTrackedKeys). Thread-safe.
class LoginBackoff {
 public:
  static constexpr std::size_t kMaxTrackedKeys = 100'000;

  LoginBackoff(const Clock& clock, int free_failures = 5,
               std::chrono::seconds first_delay = std::chrono::seconds(10),
               std::chrono::seconds max_delay = std::chrono::minutes(15));

  /// kRateLimited with the seconds to wait in Error::detail while a delay runs.
  Result<void> check(std::string_view key);
  void record_failure(std::string_view key);
  void record_success(std::string_view key);

  /// The delay imposed after `failures` consecutive failures.
  std::int64_t delay_after(int failures) const;

 private:
  struct Entry {
    int failures = 0;
    std::int64_t last_failure = 0;
    std::int64_t not_before = 0;
  };
  void prune_locked(std::int64_t now);

  const Clock& clock_;
  int free_failures_;
  std::int64_t first_delay_s_;
  std::int64_t max_delay_s_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace orsa::auth
