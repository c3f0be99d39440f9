#include "testing/eventually.hpp"

namespace orsa::testing {
namespace {

::testing::AssertionResult with_state(::testing::AssertionResult result,
                                      const std::function<std::string()>& describe) {
  if (describe) result << "; last state: " << describe();
  return result;
}

}  // namespace

::testing::AssertionResult eventually(SteadyDuration budget, const std::function<bool()>& predicate,
                                      std::string_view what,
                                      const std::function<std::string()>& describe) {
  const Deadline deadline(budget);
  int attempts = 0;
  while (true) {
    ++attempts;
    if (predicate()) return ::testing::AssertionSuccess();
    if (deadline.expired()) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  return with_state(::testing::AssertionFailure()
                        << "waited " << deadline.budget_ms() << " ms for " << what << " ("
                        << attempts << " checks), it never held",
                    describe);
}

::testing::AssertionResult holds_for(SteadyDuration span, const std::function<bool()>& predicate,
                                     std::string_view what,
                                     const std::function<std::string()>& describe) {
  const Deadline deadline(span);
  while (!deadline.expired()) {
    if (!predicate()) {
      return with_state(::testing::AssertionFailure()
                            << what << " stopped holding within " << deadline.budget_ms() << " ms",
                        describe);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace orsa::testing
