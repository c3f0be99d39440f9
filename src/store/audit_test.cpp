#include <gtest/gtest.h>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class AuditStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(AuditStoreTest);

TEST_P(AuditStoreTest, AuditIsNewestFirstWithNullableActor) {
  const auto alice = user("alice");
  ASSERT_TRUE(store_->audit().record(
      {{}, 0, std::nullopt, "login_failed", "user:alice", "10.0.0.1", "bad password"}));
  clock_.advance(10);
  ASSERT_TRUE(store_->audit().record(
      {{}, 0, alice.id, "login", "user:" + alice.id, "10.0.0.1", "password"}));
  ASSERT_TRUE(store_->audit().record(
      {"aud_explicit", kStart + 5, alice.id, "token_create", "token:x", "::1", ""}));

  auto events = store_->audit().list(10);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].action, "login");
  EXPECT_EQ((*events)[0].at, kStart + 10);
  EXPECT_EQ((*events)[0].actor_id, alice.id);
  EXPECT_TRUE((*events)[0].id.starts_with("aud_"));
  EXPECT_EQ((*events)[1].id, "aud_explicit");
  EXPECT_EQ((*events)[1].detail, "");
  EXPECT_EQ((*events)[2].action, "login_failed");
  EXPECT_FALSE((*events)[2].actor_id);
  EXPECT_EQ((*events)[2].ip, "10.0.0.1");
  EXPECT_EQ((*events)[2].detail, "bad password");

  EXPECT_EQ(store_->audit().list(1).value().size(), 1u);
  EXPECT_TRUE(store_->audit().list(0).value().empty());
}

}  // namespace
}  // namespace orsa::store
