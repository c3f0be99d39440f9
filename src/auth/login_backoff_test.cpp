#include "auth/login_backoff.hpp"

#include <gtest/gtest.h>

namespace orsa::auth {
namespace {

TEST(LoginBackoff, DelaysDoubleInsteadOfLockingOut) {
  ManualClock clock(1'000);
  LoginBackoff backoff(clock, 3, std::chrono::seconds(10), std::chrono::seconds(60));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(backoff.check("user:1").has_value()) << i;
    backoff.record_failure("user:1");
  }
  auto limited = backoff.check("user:1");
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(limited.error().retry_after_s, 10);
  clock.advance(10);
  EXPECT_TRUE(backoff.check("user:1").has_value());  // heard again: a delay, not a lockout
  backoff.record_failure("user:1");
  EXPECT_EQ(backoff.check("user:1").error().retry_after_s, 20);
  EXPECT_EQ(backoff.delay_after(5), 40);
  EXPECT_EQ(backoff.delay_after(50), 60);  // capped
  clock.advance(20);
  backoff.record_success("user:1");
  backoff.record_failure("user:1");
  EXPECT_TRUE(backoff.check("user:1").has_value());
  EXPECT_TRUE(backoff.check("user:2").has_value());
}

TEST(LoginBackoff, OldFailuresAreForgotten) {
  ManualClock clock(1'000);
  LoginBackoff backoff(clock, 2, std::chrono::seconds(10), std::chrono::seconds(60));
  backoff.record_failure("k");
  backoff.record_failure("k");
  EXPECT_FALSE(backoff.check("k").has_value());
  clock.advance(2 * 24 * 3600);
  backoff.record_failure("k");  // counts as the first of a new run
  EXPECT_TRUE(backoff.check("k").has_value());
}

}  // namespace
}  // namespace orsa::auth
