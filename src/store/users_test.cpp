#include <gtest/gtest.h>

#include <string>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class UserStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(UserStoreTest);

TEST_P(UserStoreTest, CreatesAndFindsUsers) {
  EXPECT_EQ(store_->users().count().value_or(-1), 0);
  const auto alice = user("alice", Role::kAdmin);
  EXPECT_TRUE(alice.id.starts_with("usr_")) << alice.id;
  EXPECT_EQ(alice.created_at, kStart);
  EXPECT_FALSE(alice.disabled);
  clock_.advance(5);
  const auto bob = user("bob");

  auto by_id = store_->users().find_by_id(alice.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "alice");
  EXPECT_EQ(by_id->email, "alice@example.com");
  EXPECT_EQ(by_id->password_hash, "hash-alice");
  EXPECT_EQ(by_id->role, Role::kAdmin);
  EXPECT_EQ(by_id->created_at, kStart);

  EXPECT_EQ(store_->users().find_by_login("bob").value_or(User{}).id, bob.id);
  EXPECT_EQ(store_->users().find_by_login("bob@example.com").value_or(User{}).id, bob.id);
  EXPECT_EQ(store_->users().find_by_login("bob@example.com").value_or(User{}).created_at,
            kStart + 5);

  auto users = store_->users().list();
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].username, "alice");
  EXPECT_EQ((*users)[1].username, "bob");
  EXPECT_EQ(store_->users().count().value_or(-1), 2);
}

TEST_P(UserStoreTest, DuplicateUsernameOrEmailIsConflict) {
  user("alice");
  auto same_name = store_->users().create({"alice", "other@example.com", "h", Role::kViewer});
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().code, ErrorCode::kConflict);
  EXPECT_EQ(same_name.error().message, "username 'alice' is already taken");

  auto same_email = store_->users().create({"alicia", "alice@example.com", "h", Role::kViewer});
  ASSERT_FALSE(same_email);
  EXPECT_EQ(same_email.error().code, ErrorCode::kConflict);
  EXPECT_EQ(same_email.error().message, "email is already registered");
  EXPECT_EQ(store_->users().count().value_or(-1), 1);
}

TEST_P(UserStoreTest, UpdateUserChangesOnlyGivenFields) {
  const auto alice = user("alice");
  auto disabled = store_->users().update(alice.id, std::nullopt, true);
  ASSERT_TRUE(disabled) << disabled.error().message;
  EXPECT_TRUE(disabled->disabled);
  EXPECT_EQ(disabled->role, Role::kDeveloper);

  auto promoted = store_->users().update(alice.id, Role::kAdmin, std::nullopt);
  ASSERT_TRUE(promoted);
  EXPECT_EQ(promoted->role, Role::kAdmin);
  EXPECT_TRUE(promoted->disabled);

  auto both = store_->users().update(alice.id, Role::kViewer, false);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->role, Role::kViewer);
  EXPECT_FALSE(both->disabled);
  EXPECT_EQ(both->username, "alice");
  EXPECT_EQ(both->password_hash, "hash-alice");

  auto unchanged = store_->users().update(alice.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->role, Role::kViewer);
  EXPECT_EQ(store_->users().find_by_id(alice.id).value().role, Role::kViewer);
}

TEST_P(UserStoreTest, PasswordChangeRaisesTheSessionEpoch) {
  const auto alice = user("alice");
  EXPECT_EQ(alice.session_epoch, 0);
  auto epoch = store_->users().change_password(alice.id, "hash-new");
  ASSERT_TRUE(epoch) << epoch.error().message;
  EXPECT_EQ(*epoch, 1);
  EXPECT_EQ(store_->users().change_password(alice.id, "hash-newer").value(), 2);
  const auto stored = store_->users().find_by_id(alice.id).value();
  EXPECT_EQ(stored.password_hash, "hash-newer");
  EXPECT_EQ(stored.session_epoch, 2);
  auto missing = store_->users().change_password("usr_missing", "h");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "user not found");
}

}  // namespace
}  // namespace orsa::store
