#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using namespace std::chrono_literals;
using testing_support::kStart;

class LeaseStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(LeaseStoreTest);

TEST_P(LeaseStoreTest, TheHolderKeepsItUntilItExpiresThenAnotherTakesIt) {
  auto& leases = store_->leases();
  auto first = leases.acquire("reconciler", "node-a", 15s);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->holder, "node-a");
  EXPECT_EQ(first->expires_at, kStart + 15);
  EXPECT_EQ(first->term, 1);

  auto refused = leases.acquire("reconciler", "node-b", 15s);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->holder, "node-a");  // still a's: b learns who has it
  EXPECT_EQ(refused->expires_at, kStart + 15);

  clock_.advance(10);
  auto renewed = leases.acquire("reconciler", "node-a", 15s);
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->expires_at, kStart + 25);
  EXPECT_EQ(renewed->term, 1);  // the same holder: the same term

  clock_.advance(14);  // one second before the renewed expiry
  EXPECT_EQ(leases.acquire("reconciler", "node-b", 15s)->holder, "node-a");
  clock_.advance(1);  // a stopped renewing: expired
  auto taken = leases.acquire("reconciler", "node-b", 15s);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->holder, "node-b");
  EXPECT_EQ(taken->term, 2);
  EXPECT_EQ(taken->expires_at, kStart + 40);
}

TEST_P(LeaseStoreTest, AReleasedLeaseIsTakenAtOnceAndOnlyItsHolderReleasesIt) {
  auto& leases = store_->leases();
  ASSERT_TRUE(leases.acquire("collector", "node-a", 30s));
  ASSERT_TRUE(leases.release("collector", "node-b"));  // not b's: nothing changes
  EXPECT_EQ(leases.acquire("collector", "node-b", 30s)->holder, "node-a");
  ASSERT_TRUE(leases.release("collector", "node-a"));
  auto taken = leases.acquire("collector", "node-b", 30s);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->holder, "node-b");
  EXPECT_EQ(taken->term, 2);
  ASSERT_TRUE(leases.release("missing", "node-a"));  // an unknown lease is not an error
}

TEST_P(LeaseStoreTest, LeasesAreIndependentByName) {
  auto& leases = store_->leases();
  ASSERT_TRUE(leases.acquire("reconciler", "node-a", 15s));
  EXPECT_EQ(leases.acquire("collector", "node-b", 15s)->holder, "node-b");
  EXPECT_EQ(leases.find("collector")->holder, "node-b");
  EXPECT_EQ(leases.find("missing").error().code, ErrorCode::kNotFound);
  auto all = leases.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "collector");
  EXPECT_EQ((*all)[0].holder, "node-b");
  EXPECT_EQ((*all)[1].name, "reconciler");
  EXPECT_EQ((*all)[1].holder, "node-a");
}

TEST_P(LeaseStoreTest, BadRequestsAreRefusedAndChangeNothing) {
  auto& leases = store_->leases();
  EXPECT_EQ(leases.acquire("", "node-a", 15s).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(leases.acquire("reconciler", "", 15s).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(leases.acquire("reconciler", "node-a", 0s).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(leases.list()->empty());
}

// Instances starting together: exactly one of them gets the lease, on every
// engine (the SQL store's single upsert; the fake's mutex).
TEST_P(LeaseStoreTest, OfHoldersRacingForAFreeLeaseExactlyOneWins) {
  auto& leases = store_->leases();
  constexpr int kHolders = 6;
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::thread> racers;
  racers.reserve(kHolders);
  for (int i = 0; i < kHolders; ++i) {
    racers.emplace_back([&, i] {
      const std::string me = "node-" + std::to_string(i);
      auto lease = leases.acquire("reconciler", me, 15s);
      if (!lease)
        ++errors;
      else if (lease->holder == me)
        ++winners;
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(leases.list()->front().term, 1);
}

}  // namespace
}  // namespace orsa::store
