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

/// Limits failed login attempts per key (IP + normalised login): after
/// `max_failures` failures inside `window`, check() answers kRateLimited with
/// the seconds to wait in Error::detail until the window has passed.
/// A success clears the key. Memory is bounded: stale keys are pruned, and
/// under a flood of live keys the oldest windows are forgotten.
class LoginRateLimiter {
 public:
  /// Upper bound on the keys held at any time.
  static constexpr std::size_t kMaxTrackedKeys = 100'000;

  LoginRateLimiter(const Clock& clock, int max_failures = 5,
                   std::chrono::seconds window = std::chrono::minutes(15));

  Result<void> check(std::string_view key);
  void record_failure(std::string_view key);
  void record_success(std::string_view key);

  /// Number of keys currently tracked (for metrics and tests).
  std::size_t tracked_keys();

 private:
  struct Entry {
    int failures = 0;
    std::int64_t window_start = 0;
  };
  void prune_locked(std::int64_t now);

  const Clock& clock_;
  int max_failures_;
  std::int64_t window_s_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t prune_at_;  // size at which the next insert prunes first
};

}  // namespace orsa::auth
