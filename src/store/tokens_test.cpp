#include <gtest/gtest.h>

#include <string>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class TokenStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(TokenStoreTest);

TEST_P(TokenStoreTest, TokensRoundTripNullableFields) {
  const auto alice = user("alice");
  auto forever = store_->tokens().create({alice.id, "cli", "hash-1", std::nullopt});
  ASSERT_TRUE(forever) << forever.error().message;
  EXPECT_TRUE(forever->id.starts_with("tok_"));
  EXPECT_EQ(forever->created_at, kStart);
  clock_.advance(1);
  auto expiring = store_->tokens().create({alice.id, "ci", "hash-2", kStart + 3600});
  ASSERT_TRUE(expiring);

  auto found = store_->tokens().find_by_hash("hash-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, forever->id);
  EXPECT_EQ(found->user_id, alice.id);
  EXPECT_EQ(found->name, "cli");
  EXPECT_FALSE(found->expires_at);
  EXPECT_FALSE(found->last_used_at);

  auto second = store_->tokens().find_by_hash("hash-2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->expires_at, kStart + 3600);
  EXPECT_FALSE(second->last_used_at);

  ASSERT_TRUE(store_->tokens().touch(forever->id, kStart + 99));
  EXPECT_EQ(store_->tokens().find_by_hash("hash-1").value().last_used_at, kStart + 99);
  EXPECT_FALSE(store_->tokens().find_by_hash("hash-1").value().expires_at);

  auto listed = store_->tokens().list(OwnerScope::of(alice.id));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, forever->id);
  EXPECT_EQ((*listed)[0].last_used_at, kStart + 99);
  EXPECT_EQ((*listed)[1].expires_at, kStart + 3600);
}

TEST_P(TokenStoreTest, DuplicateTokenHashIsConflictWithoutTheHash) {
  const auto alice = user("alice");
  token(alice, "secret-hash");
  auto again = store_->tokens().create({alice.id, "other", "secret-hash", std::nullopt});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message.find("secret-hash"), std::string::npos);
}

TEST_P(TokenStoreTest, TokensAreScopedToTheirUser) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto a = token(alice, "ha");
  const auto b = token(bob, "hb");

  auto bobs = store_->tokens().list(OwnerScope::of(bob.id));
  ASSERT_TRUE(bobs);
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].id, b.id);
  EXPECT_EQ(store_->tokens().list(OwnerScope::everyone()).value().size(), 2u);

  auto steal = store_->tokens().remove(OwnerScope::of(bob.id), a.id);
  ASSERT_FALSE(steal);
  EXPECT_EQ(steal.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->tokens().find_by_hash("ha"));

  EXPECT_TRUE(store_->tokens().remove(OwnerScope::of(alice.id), a.id));
  EXPECT_FALSE(store_->tokens().find_by_hash("ha"));
  EXPECT_TRUE(store_->tokens().remove(OwnerScope::everyone(), b.id));
  EXPECT_TRUE(store_->tokens().list(OwnerScope::everyone()).value().empty());
}

}  // namespace
}  // namespace orsa::store
