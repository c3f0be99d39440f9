#include <gtest/gtest.h>

#include <string>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class ImageStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(ImageStoreTest);

TEST_P(ImageStoreTest, ImagesAreUniquePerTagAndScoped) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto other = project(alice, "other");
  const auto bobs = project(bob, "knap");
  const auto image = [&](const Project& p, const User& owner, const std::string& tag) {
    return store_->images().create({owner.id, p.id, "bld_1", owner.username + "/" + p.name, tag,
                                    "sha256:" + std::string(64, 'e'), 1234, std::string(40, 'f')});
  };
  auto first = image(knap, alice, "1");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->id.starts_with("img_"));
  EXPECT_EQ(first->size, 1234);
  EXPECT_EQ(first->repository, "alice/knap");
  auto dup = image(knap, alice, "1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  clock_.advance(1);
  ASSERT_TRUE(image(knap, alice, "2"));
  ASSERT_TRUE(image(other, alice, "1"));
  ASSERT_TRUE(image(bobs, bob, "1"));

  EXPECT_EQ(store_->images().list(OwnerScope::of(alice.id), std::nullopt).value().size(), 3u);
  auto knaps = store_->images().list(OwnerScope::of(alice.id), knap.id);
  ASSERT_TRUE(knaps);
  ASSERT_EQ(knaps->size(), 2u);
  EXPECT_EQ((*knaps)[0].tag, "2");  // newest first
  EXPECT_EQ(store_->images().list(OwnerScope::everyone(), std::nullopt).value().size(), 4u);
  EXPECT_TRUE(store_->images().list(OwnerScope::of(bob.id), knap.id).value().empty());

  EXPECT_EQ(store_->images().find(OwnerScope::of(alice.id), first->id).value().tag, "1");
  EXPECT_EQ(store_->images().find(OwnerScope::of(bob.id), first->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->images().remove(OwnerScope::of(bob.id), first->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->images().remove(OwnerScope::of(alice.id), first->id));
  EXPECT_FALSE(store_->images().find(OwnerScope::everyone(), first->id));
}

TEST_P(ImageStoreTest, DeletingAProjectCascadesToBuildsAndImages) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto build = store_->builds().create({knap.id, std::string(40, 'a')}).value();
  const auto image =
      store_->images().create({alice.id, knap.id, build.id, "alice/knap", "1",
                               "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')});
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_TRUE(store_->projects().remove(OwnerScope::of(alice.id), knap.id));
  EXPECT_FALSE(store_->builds().find(OwnerScope::everyone(), build.id));
  EXPECT_FALSE(store_->images().find(OwnerScope::everyone(), image->id));
}

}  // namespace
}  // namespace orsa::store
