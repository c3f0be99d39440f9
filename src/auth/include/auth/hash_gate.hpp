#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::auth {

/// Caps the argon2 computations running at once (each takes 64 MiB and about
/// 100 ms of a core), so a flood of logins cannot take every core and the
/// memory with it. Thread-safe.
class HashGate {
 public:
  /// Half the cores, one at least and two at most: hashing may take part of
  /// the machine, never all of it.
  static int default_slots();

  explicit HashGate(int max_running = default_slots());

  /// Whether a caller queues for a slot or is turned away at once.
  enum class Wait {
    kQueue,  // on the credential pool, which exists to wait here
    kNever,  // on the shared worker pool: waiting would hold up cheap requests
  };

  /// verify_password inside a slot; kRateLimited (retry in 1 s) when no slot
  /// is free and `wait` is kNever.
  Result<bool> verify(std::string_view hash, std::string_view password, Wait wait);
  /// hash_password inside a slot (same rules).
  Result<std::string> hash(std::string_view password, Wait wait);

  /// Hashes running now (for tests and metrics).
  int running();

 private:
  Result<void> acquire(Wait wait);
  void release();

  int max_running_;
  int running_ = 0;
  std::mutex mutex_;
  std::condition_variable freed_;
};

}  // namespace orsa::auth
