#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace orsa::services {

/// A log as a follower sees it (a build's, a run's): lines so far, then more
/// until the end.
class LogFollower {
 public:
  virtual ~LogFollower() = default;
  /// Waits up to `wait` for news; returns the complete lines that arrived
  /// since the last call (history first). Sets `ended` once the work is
  /// final and every line was returned. Returns early when woken.
  virtual std::vector<std::string> next(std::chrono::milliseconds wait, bool& ended) = 0;
  /// Makes a blocked next() return (the client went away).
  virtual void wake() = 0;
};

}  // namespace orsa::services
