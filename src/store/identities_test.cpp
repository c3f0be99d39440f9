#include <gtest/gtest.h>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class IdentityStoreTest : public testing_support::StoreContract {
 protected:
  PendingLogin pending(const std::string& hash, std::int64_t expires_at) {
    return {hash,         "idp",       "nonce-" + hash, "verifier-" + hash,
            std::nullopt, "/projects", expires_at};
  }
};
ORSA_STORE_CONTRACT(IdentityStoreTest);

TEST_P(IdentityStoreTest, LinksFindsListsAndUnlinksPerUser) {
  auto& ids = store_->identities();
  const User alice = user("alice");
  const User bob = user("bob");
  auto a = ids.create({alice.id, "idp", "sub-1", "alice@idp.example"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->created_at, kStart);
  ASSERT_TRUE(ids.create({alice.id, "github", "42", ""}));
  ASSERT_TRUE(ids.create({bob.id, "idp", "sub-2", ""}));

  // One provider account links to one user only.
  auto again = ids.create({bob.id, "idp", "sub-1", ""});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(ids.create({"usr_missing", "idp", "sub-9", ""}).error().code, ErrorCode::kNotFound);

  auto found = ids.find_by_subject("idp", "sub-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, alice.id);
  EXPECT_EQ(ids.find_by_subject("github", "sub-1").error().code, ErrorCode::kNotFound);

  EXPECT_EQ(ids.list(OwnerScope::of(alice.id))->size(), 2u);
  EXPECT_EQ(ids.list(OwnerScope::everyone())->size(), 3u);

  clock_.advance(30);
  ASSERT_TRUE(ids.touch_login(a->id));
  EXPECT_EQ(ids.find_by_subject("idp", "sub-1")->last_login_at, kStart + 30);

  // Bob cannot unlink Alice's identity: it does not exist for him.
  EXPECT_EQ(ids.remove(OwnerScope::of(bob.id), a->id).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(ids.remove(OwnerScope::of(alice.id), a->id));
  EXPECT_EQ(ids.list(OwnerScope::of(alice.id))->size(), 1u);
  EXPECT_EQ(ids.remove(OwnerScope::of(alice.id), a->id).error().code, ErrorCode::kNotFound);
}

TEST_P(IdentityStoreTest, PendingLoginIsTakenOnce) {
  auto& ids = store_->identities();
  const User alice = user("alice");
  PendingLogin link = pending("h1", kStart + 600);
  link.link_user_id = alice.id;
  ASSERT_TRUE(ids.begin_login(link));
  ASSERT_TRUE(ids.begin_login(pending("h2", kStart + 600)));

  auto taken = ids.take_login("h1");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken->nonce, "nonce-h1");
  EXPECT_EQ(taken->code_verifier, "verifier-h1");
  EXPECT_EQ(taken->link_user_id, alice.id);
  EXPECT_EQ(taken->next_path, "/projects");
  EXPECT_FALSE(ids.take_login("h2")->link_user_id.has_value());

  // A replayed state finds nothing.
  EXPECT_EQ(ids.take_login("h1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ids.take_login("never").error().code, ErrorCode::kNotFound);
}

TEST_P(IdentityStoreTest, ExpiredPendingLoginIsRefusedAndDropped) {
  auto& ids = store_->identities();
  ASSERT_TRUE(ids.begin_login(pending("old", kStart + 10)));
  clock_.advance(10);
  EXPECT_EQ(ids.take_login("old").error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(ids.begin_login(pending("stale", kStart + 15)));
  clock_.advance(10);
  ASSERT_TRUE(ids.begin_login(pending("fresh", kStart + 600)));  // drops "stale"
  EXPECT_EQ(ids.take_login("stale").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(ids.take_login("fresh"));
}

}  // namespace
}  // namespace orsa::store
