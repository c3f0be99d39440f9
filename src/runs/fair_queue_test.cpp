// The fair queue's rules without threads, clocks or containers.

#include "runs/fair_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace orsa::runs {
namespace {

using Ids = std::vector<std::string>;

QueuedRun run(std::string id, std::string user, std::int64_t seq, std::int64_t priority = 0) {
  return {std::move(id), std::move(user), priority, seq};
}

TEST(FairQueue, RoundRobinAmongUsersWithinTheCaps) {
  // Alice queued three before Bob's first: Bob still gets every other slot.
  const std::vector<QueuedRun> queued = {run("a1", "alice", 1), run("a2", "alice", 2),
                                         run("a3", "alice", 3), run("b1", "bob", 4),
                                         run("b2", "bob", 5)};
  EXPECT_EQ(pick_runs_to_start(queued, {}, {.max_concurrent = 4, .max_per_user = 2}),
            (Ids{"a1", "b1", "a2", "b2"}));
  // The per-user cap leaves slots empty rather than give Alice a third.
  EXPECT_EQ(pick_runs_to_start(queued, {}, {.max_concurrent = 10, .max_per_user = 2}),
            (Ids{"a1", "b1", "a2", "b2"}));
  EXPECT_EQ(pick_runs_to_start(queued, {}, {.max_concurrent = 10, .max_per_user = 3}),
            (Ids{"a1", "b1", "a2", "b2", "a3"}));
  EXPECT_EQ(pick_runs_to_start(queued, {}, {.max_concurrent = 1, .max_per_user = 2}), Ids{"a1"});
}

TEST(FairQueue, RunningRunsCountAgainstBothLimits) {
  const std::vector<QueuedRun> queued = {run("a1", "alice", 1), run("b1", "bob", 2),
                                         run("c1", "carol", 3)};
  // Alice already runs one: Bob and Carol go first; Alice is at her cap.
  EXPECT_EQ(pick_runs_to_start(queued, {{"alice", 2}}, {.max_concurrent = 5, .max_per_user = 2}),
            (Ids{"b1", "c1"}));
  EXPECT_EQ(pick_runs_to_start(queued, {{"alice", 1}}, {.max_concurrent = 5, .max_per_user = 2}),
            (Ids{"b1", "c1", "a1"}));
  // The machine is full.
  EXPECT_TRUE(
      pick_runs_to_start(queued, {{"dave", 2}}, {.max_concurrent = 2, .max_per_user = 2}).empty());
  EXPECT_EQ(pick_runs_to_start(queued, {{"dave", 2}}, {.max_concurrent = 3, .max_per_user = 2}),
            Ids{"a1"});
  EXPECT_TRUE(pick_runs_to_start({}, {}, {.max_concurrent = 3, .max_per_user = 2}).empty());
}

TEST(FairQueue, WithinAUserPriorityThenAge) {
  const std::vector<QueuedRun> queued = {run("low-old", "alice", 1, 0),
                                         run("high-new", "alice", 5, 9),
                                         run("low-new", "alice", 6, 0), run("b1", "bob", 2, 0)};
  // Priority orders Alice's own runs; it does not let her overtake Bob's turn.
  EXPECT_EQ(pick_runs_to_start(queued, {}, {.max_concurrent = 4, .max_per_user = 3}),
            (Ids{"b1", "high-new", "low-old", "low-new"}));
}

TEST(FairQueue, TiesGoToTheLongestWaitingNextRun) {
  const std::vector<QueuedRun> queued = {run("b1", "bob", 7), run("a1", "alice", 9),
                                         run("c1", "carol", 8)};
  EXPECT_EQ(pick_runs_to_start(queued, {}, {.max_concurrent = 3, .max_per_user = 1}),
            (Ids{"b1", "c1", "a1"}));
}

TEST(FairQueue, StartOrderGivesQueuePositionsWithoutCaps) {
  const std::vector<QueuedRun> queued = {run("a1", "alice", 1), run("a2", "alice", 2),
                                         run("a3", "alice", 3), run("b1", "bob", 4)};
  EXPECT_EQ(start_order(queued, {}), (Ids{"a1", "b1", "a2", "a3"}));
  // Bob already runs two: Alice catches up first, then the older run wins the tie.
  EXPECT_EQ(start_order(queued, {{"bob", 2}}), (Ids{"a1", "a2", "a3", "b1"}));
  EXPECT_EQ(start_order(queued, {{"bob", 1}}), (Ids{"a1", "a2", "b1", "a3"}));
  EXPECT_TRUE(start_order({}, {}).empty());
}

TEST(FairQueue, AdmissionCapsQueuedRunsPerUserWithARetryAfter) {
  const AdmissionLimits limits{.max_queued_per_user = 3, .retry_after_s = 17};
  EXPECT_TRUE(admit(0, limits));
  EXPECT_TRUE(admit(2, limits));
  auto refused = admit(3, limits);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().retry_after_s, 17);
  EXPECT_NE(refused.error().message.find("at most 3"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(admit(100, limits));
}

}  // namespace
}  // namespace orsa::runs
