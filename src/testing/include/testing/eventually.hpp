#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace orsa::testing {

using SteadyDuration = std::chrono::steady_clock::duration;

/// How often eventually() and its relatives look again.
inline constexpr auto kPollInterval = std::chrono::milliseconds(10);

/// A point in time a wait gives up at.
class Deadline {
 public:
  explicit Deadline(SteadyDuration budget)
      : budget_(budget), end_(std::chrono::steady_clock::now() + budget) {}
  bool expired() const { return std::chrono::steady_clock::now() >= end_; }
  SteadyDuration budget() const { return budget_; }
  /// The budget in milliseconds, for failure messages.
  long long budget_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(budget_).count();
  }

 private:
  SteadyDuration budget_;
  std::chrono::steady_clock::time_point end_;
};

/// Calls `produce` until it returns a value or `budget` has passed; the
/// value, or nullopt on time-out. Waits on the condition instead of sleeping
/// for a guessed time.
template <class Produce>
auto eventually_value(SteadyDuration budget, Produce produce) -> decltype(produce()) {
  const Deadline deadline(budget);
  while (true) {
    if (auto value = produce()) return value;
    if (deadline.expired()) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

/// Polls `predicate` until it holds or `budget` has passed. The failure says
/// what was awaited and for how long, plus the last state `describe` reports
/// (when given): `ASSERT_TRUE(eventually(5s, [&] { ... }, "the build to finish"))`.
::testing::AssertionResult eventually(SteadyDuration budget, const std::function<bool()>& predicate,
                                      std::string_view what = "the condition",
                                      const std::function<std::string()>& describe = {});

/// Runs `predicate` for the whole of `span` and fails at the first time it
/// does not hold: for "nothing happens" checks, which have no condition to
/// wait on.
::testing::AssertionResult holds_for(SteadyDuration span, const std::function<bool()>& predicate,
                                     std::string_view what = "the condition",
                                     const std::function<std::string()>& describe = {});

}  // namespace orsa::testing
