#include "balancer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace orsa::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<GaugePtr> replicas(std::size_t n) {
  std::vector<GaugePtr> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(std::make_shared<UpstreamGauge>());
  return out;
}

TEST(Balancer, NoReplicasNoPick) {
  EXPECT_FALSE(pick_replica({}, 0, Clock::now(), 0));
}

TEST(Balancer, PicksTheReplicaWithFewestCallsInFlight) {
  auto r = replicas(3);
  r[0]->in_flight = 4;
  r[1]->in_flight = 1;
  r[2]->in_flight = 2;
  for (std::uint64_t rotation = 0; rotation < 6; ++rotation) {
    EXPECT_EQ(pick_replica(r, 0, Clock::now(), rotation), 1u) << rotation;
  }
}

TEST(Balancer, EqualReplicasTakeTurns) {
  auto r = replicas(3);
  std::vector<int> picks(3);
  for (std::uint64_t rotation = 0; rotation < 300; ++rotation) {
    ++picks.at(*pick_replica(r, 0, Clock::now(), rotation));
  }
  EXPECT_EQ(picks, (std::vector<int>{100, 100, 100}));
}

TEST(Balancer, TriedReplicasAreSkippedUntilNoneIsLeft) {
  auto r = replicas(2);
  r[1]->in_flight = 9;
  EXPECT_EQ(pick_replica(r, 0b01, Clock::now(), 0), 1u);
  EXPECT_FALSE(pick_replica(r, 0b11, Clock::now(), 0));
}

TEST(Balancer, ConsecutiveFailuresEjectForTheEjectionTime) {
  const BalancerPolicy policy{.eject_after = 3, .ejection = 5s};
  auto r = replicas(2);
  const auto now = Clock::now();
  EXPECT_FALSE(record_failure(*r[0], now, policy));
  EXPECT_FALSE(record_failure(*r[0], now, policy));
  EXPECT_TRUE(record_failure(*r[0], now, policy));
  // Out of rotation, though it is the least busy.
  r[1]->in_flight = 7;
  for (std::uint64_t rotation = 0; rotation < 4; ++rotation) {
    EXPECT_EQ(pick_replica(r, 0, now + 4s, rotation), 1u);
  }
  // Back after the ejection; one more failure ejects it again at once.
  EXPECT_EQ(pick_replica(r, 0, now + 6s, 0), 0u);
  EXPECT_TRUE(record_failure(*r[0], now + 6s, policy));
  EXPECT_EQ(pick_replica(r, 0, now + 7s, 0), 1u);
}

TEST(Balancer, ASuccessEndsTheStreak) {
  const BalancerPolicy policy{.eject_after = 2, .ejection = 5s};
  auto r = replicas(1);
  const auto now = Clock::now();
  EXPECT_FALSE(record_failure(*r[0], now, policy));
  record_success(*r[0]);
  EXPECT_FALSE(record_failure(*r[0], now, policy));
  EXPECT_TRUE(record_failure(*r[0], now, policy));
  record_success(*r[0]);
  EXPECT_EQ(r[0]->consecutive_failures.load(), 0u);
  EXPECT_EQ(r[0]->ejected_until_ns.load(), 0);
}

TEST(Balancer, WhenAllAreEjectedTheOneBackFirstIsTried) {
  const BalancerPolicy policy{.eject_after = 1, .ejection = 5s};
  auto r = replicas(3);
  const auto now = Clock::now();
  record_failure(*r[0], now + 2s, policy);
  record_failure(*r[1], now, policy);
  record_failure(*r[2], now + 1s, policy);
  EXPECT_EQ(pick_replica(r, 0, now + 3s, 0), 1u);
  EXPECT_EQ(pick_replica(r, 0b010, now + 3s, 0), 2u);
}

}  // namespace
}  // namespace orsa::gateway
