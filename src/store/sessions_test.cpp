#include <gtest/gtest.h>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class SessionStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(SessionStoreTest);

TEST_P(SessionStoreTest, RevokedSessionsAreRememberedUntilTheyExpire) {
  auto& sessions = store_->sessions();
  EXPECT_FALSE(sessions.is_revoked("ses_a").value());
  ASSERT_TRUE(sessions.revoke("ses_a", "usr_a", kStart + 100));
  ASSERT_TRUE(sessions.revoke("ses_a", "usr_a", kStart + 100));  // twice is fine
  EXPECT_TRUE(sessions.is_revoked("ses_a").value());
  EXPECT_FALSE(sessions.is_revoked("ses_b").value());

  // A later revocation drops the records of sessions that expired meanwhile.
  clock_.advance(100);
  ASSERT_TRUE(sessions.revoke("ses_b", "usr_a", kStart + 500));
  EXPECT_FALSE(sessions.is_revoked("ses_a").value());
  EXPECT_TRUE(sessions.is_revoked("ses_b").value());
}

}  // namespace
}  // namespace orsa::store
