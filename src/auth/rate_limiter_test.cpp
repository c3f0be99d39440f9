#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orsa::auth {
namespace {

constexpr std::int64_t kStart = 1'700'000'000;

void fail_times(LoginRateLimiter& limiter, std::string_view key, int n) {
  for (int i = 0; i < n; ++i) limiter.record_failure(key);
}

TEST(LoginRateLimiter, BlocksAfterMaxFailuresWithRetryAfter) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 5, std::chrono::seconds(900));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.check("ip|alice")) << i;
    limiter.record_failure("ip|alice");
    clock.advance(10);
  }
  // Window opened at kStart with the first failure; 50 s have passed.
  const auto r = limiter.check("ip|alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(r.error().message, "too many failed login attempts; try again later");
  EXPECT_EQ(r.error().retry_after_s, 850);
}

TEST(LoginRateLimiter, WindowExpiryResets) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 5, std::chrono::seconds(900));
  fail_times(limiter, "k", 5);
  clock.advance(899);
  const auto r = limiter.check("k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().retry_after_s, 1);
  clock.advance(1);
  EXPECT_TRUE(limiter.check("k"));
  // A new window starts from scratch: four more failures are still allowed.
  fail_times(limiter, "k", 4);
  EXPECT_TRUE(limiter.check("k"));
  limiter.record_failure("k");
  EXPECT_FALSE(limiter.check("k"));
}

TEST(LoginRateLimiter, FailureAfterExpiredWindowOpensNewWindow) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 2, std::chrono::seconds(60));
  limiter.record_failure("k");
  clock.advance(61);
  limiter.record_failure("k");  // old window is over: counts as the first
  EXPECT_TRUE(limiter.check("k"));
  limiter.record_failure("k");
  const auto r = limiter.check("k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().retry_after_s, 60);
}

TEST(LoginRateLimiter, SuccessResets) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 3, std::chrono::seconds(60));
  fail_times(limiter, "k", 3);
  EXPECT_FALSE(limiter.check("k"));
  limiter.record_success("k");
  EXPECT_TRUE(limiter.check("k"));
  fail_times(limiter, "k", 2);
  EXPECT_TRUE(limiter.check("k"));
}

TEST(LoginRateLimiter, KeysAreIndependent) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 3, std::chrono::seconds(60));
  fail_times(limiter, "a", 3);
  fail_times(limiter, "b", 2);
  EXPECT_FALSE(limiter.check("a"));
  EXPECT_TRUE(limiter.check("b"));
  EXPECT_TRUE(limiter.check("c"));
  limiter.record_success("b");
  EXPECT_FALSE(limiter.check("a"));
}

TEST(LoginRateLimiter, PruningDropsOnlyExpiredWindows) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 1, std::chrono::seconds(60));
  limiter.record_failure("victim");
  // Passing the first prune threshold (10000 keys) drops nothing still live.
  for (int i = 0; i < 12'000; ++i) limiter.record_failure("stale" + std::to_string(i));
  clock.advance(30);
  for (int i = 0; i < 10; ++i) limiter.record_failure("fresh" + std::to_string(i));
  EXPECT_EQ(limiter.tracked_keys(), 12'011u);
  EXPECT_FALSE(limiter.check("victim"));
  clock.advance(31);  // the first 12001 windows are over, the fresh ones are not
  // The next prune runs when the map has doubled since the last one.
  for (int i = 0; i < 7'989; ++i) limiter.record_failure("new" + std::to_string(i));
  EXPECT_EQ(limiter.tracked_keys(), 20'000u);
  limiter.record_failure("late");
  EXPECT_EQ(limiter.tracked_keys(), 10u + 7'989u + 1u);
  EXPECT_TRUE(limiter.check("victim"));
  EXPECT_FALSE(limiter.check("fresh9"));
  EXPECT_FALSE(limiter.check("late"));
}

TEST(LoginRateLimiter, FloodOfLiveKeysIsBoundedAndForgetsOldestFirst) {
  ManualClock clock(kStart);
  LoginRateLimiter limiter(clock, 1, std::chrono::hours(1));
  limiter.record_failure("oldest");
  clock.advance(1);
  for (std::size_t i = 1; i < LoginRateLimiter::kMaxTrackedKeys; ++i) {
    limiter.record_failure("k" + std::to_string(i));
  }
  EXPECT_EQ(limiter.tracked_keys(), LoginRateLimiter::kMaxTrackedKeys);
  EXPECT_FALSE(limiter.check("oldest"));
  limiter.record_failure("victim");
  EXPECT_EQ(limiter.tracked_keys(), LoginRateLimiter::kMaxTrackedKeys / 2 + 1);
  EXPECT_TRUE(limiter.check("oldest"));
  EXPECT_FALSE(limiter.check("victim"));
}

}  // namespace
}  // namespace orsa::auth
