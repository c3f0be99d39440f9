#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace orsa {

/// Wall-clock time source, injected so tests can control time.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Seconds since the Unix epoch (UTC).
  virtual std::int64_t now_unix() const = 0;
};

/// The real clock.
class SystemClock final : public Clock {
 public:
  std::int64_t now_unix() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start) : now_(start) {}
  std::int64_t now_unix() const override { return now_.load(); }
  void advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace orsa
