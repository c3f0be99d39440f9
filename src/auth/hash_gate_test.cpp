#include "auth/hash_gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/passwords.hpp"

namespace orsa::auth {
namespace {

TEST(HashGate, NeverRunsMoreThanItsCap) {
  HashGate gate(2);
  const std::string hash = hash_password("correct horse battery").value();
  std::atomic<int> peak{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) peak = std::max(peak.load(), gate.running());
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto ok = gate.verify(hash, "correct horse battery", HashGate::Wait::kQueue);
      EXPECT_TRUE(ok.has_value() && *ok);
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  watcher.join();
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(gate.running(), 0);
}

TEST(HashGate, CallersThatMustNotWaitAreTurnedAway) {
  HashGate gate(1);
  const std::string hash = hash_password("correct horse battery").value();
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto ok = gate.verify(hash, "wrong", HashGate::Wait::kNever);
      if (!ok) {
        EXPECT_EQ(ok.error().code, ErrorCode::kRateLimited);
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  // Four at once on one slot: some were refused rather than queued (the
  // first always gets the slot).
  EXPECT_GE(refused.load(), 1);
  EXPECT_LE(refused.load(), 3);
}

}  // namespace
}  // namespace orsa::auth
