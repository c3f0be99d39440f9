#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "workers/base_bootstrap.hpp"

namespace orsa::workers {
namespace {

using State = BaseGate::State;

TEST(BaseGate, IsOpenWithoutABootstrap) {
  const BaseGate gate;
  EXPECT_EQ(gate.wait(std::chrono::seconds(5), [] { return true; }), State::kReady);
}

TEST(BaseGate, AWaiterIsReleasedWhenTheBaseIsReady) {
  BaseGate gate;
  gate.set(State::kBuilding);
  std::atomic<bool> waiting = false;
  std::thread opener([&] {
    while (!waiting) std::this_thread::yield();
    gate.set(State::kReady);
  });
  const auto state = gate.wait(std::chrono::seconds(30), [&] {
    waiting = true;
    return true;
  });
  opener.join();
  EXPECT_EQ(state, State::kReady);
}

TEST(BaseGate, AFailedBaseReleasesWaitersWithItsReason) {
  BaseGate gate;
  gate.set(State::kBuilding);
  std::thread failer([&] { gate.set(State::kFailed, "no Debian mirror"); });
  const auto state = gate.wait(std::chrono::seconds(30), [] { return true; });
  failer.join();
  EXPECT_EQ(state, State::kFailed);
  EXPECT_EQ(gate.reason(), "no Debian mirror");
}

TEST(BaseGate, AWaiterThatGivesUpLeavesAtOnce) {
  BaseGate gate;
  gate.set(State::kBuilding);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(gate.wait(std::chrono::seconds(30), [] { return false; }), State::kBuilding);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(BaseGate, WaitingEndsAtTheLimit) {
  BaseGate gate;
  gate.set(State::kBuilding);
  EXPECT_EQ(gate.wait(std::chrono::seconds(1), [] { return true; }), State::kBuilding);
}

}  // namespace
}  // namespace orsa::workers
