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

  EXPECT_EQ((*events)[0].actor_username, "alice");
  EXPECT_FALSE((*events)[2].actor_username);

  EXPECT_EQ(store_->audit().list(1).value().size(), 1u);
  EXPECT_TRUE(store_->audit().list(0).value().empty());
}

TEST_P(AuditStoreTest, ListNamesEachActorAndKeepsTheIdOfAnUnknownOne) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  // A username given to record() is not trusted: the list joins the users.
  AuditEvent forged{{}, 0, alice.id, "project_commit", "project:alice/knap", "::1", ""};
  forged.actor_username = "mallory";
  ASSERT_TRUE(store_->audit().record(forged));
  clock_.advance(1);
  ASSERT_TRUE(store_->audit().record({{}, 0, bob.id, "build_create", "build:b", "::1", ""}));
  clock_.advance(1);
  ASSERT_TRUE(store_->audit().record({{}, 0, "usr_gone", "login", "user:usr_gone", "::1", ""}));

  auto events = store_->audit().list(10);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].actor_id, "usr_gone");
  EXPECT_FALSE((*events)[0].actor_username);
  EXPECT_EQ((*events)[1].actor_username, "bob");
  EXPECT_EQ((*events)[2].actor_username, "alice");
}

}  // namespace
}  // namespace orsa::store
