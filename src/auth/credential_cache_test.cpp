#include "auth/credential_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orsa::auth {
namespace {

constexpr std::int64_t kStart = 1'700'000'000;

TEST(CredentialCache, RemembersOnlyTheExactPair) {
  ManualClock clock(kStart);
  CredentialCache cache(clock);
  EXPECT_FALSE(cache.find("alice", "secret"));
  cache.remember("alice", "secret", "usr_a");
  EXPECT_EQ(cache.find("alice", "secret"), "usr_a");
  EXPECT_FALSE(cache.find("alice", "Secret"));
  EXPECT_FALSE(cache.find("bob", "secret"));
  // Length-prefixed parts: moving a character across the boundary is another key.
  EXPECT_FALSE(cache.find("alices", "ecret"));
}

TEST(CredentialCache, EntriesExpire) {
  ManualClock clock(kStart);
  CredentialCache cache(clock, 60);
  cache.remember("alice", "secret", "usr_a");
  clock.advance(59);
  EXPECT_EQ(cache.find("alice", "secret"), "usr_a");
  clock.advance(1);
  EXPECT_FALSE(cache.find("alice", "secret"));
}

TEST(CredentialCache, StaysWithinCapacityEvictingTheOldest) {
  ManualClock clock(kStart);
  CredentialCache cache(clock, 60, 3);
  for (int i = 0; i < 3; ++i) {
    cache.remember("user" + std::to_string(i), "pw", "usr_" + std::to_string(i));
    clock.advance(1);
  }
  cache.remember("user3", "pw", "usr_3");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.find("user0", "pw"));
  EXPECT_EQ(cache.find("user3", "pw"), "usr_3");
  EXPECT_EQ(cache.find("user1", "pw"), "usr_1");
}

TEST(CredentialCache, ExpiredEntriesMakeRoomFirst) {
  ManualClock clock(kStart);
  CredentialCache cache(clock, 10, 2);
  cache.remember("old", "pw", "usr_old");
  clock.advance(5);
  cache.remember("mid", "pw", "usr_mid");
  clock.advance(6);  // "old" expired, "mid" not
  cache.remember("new", "pw", "usr_new");
  EXPECT_EQ(cache.find("mid", "pw"), "usr_mid");
  EXPECT_EQ(cache.find("new", "pw"), "usr_new");
}

}  // namespace
}  // namespace orsa::auth
