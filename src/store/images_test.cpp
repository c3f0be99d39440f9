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

// Pages walk the list newest first with no row twice or missed, also when
// images share a creation time, and keep to their owner and project.
TEST_P(ImageStoreTest, PagesWalkTheListFromTheirCursor) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto other = project(alice, "other");
  const auto bobs = project(bob, "knap");
  const auto image = [&](const Project& p, const User& owner, int tag) {
    auto made = store_->images().create({owner.id, p.id, "bld_1", owner.username + "/" + p.name,
                                         std::to_string(tag), "sha256:" + std::string(64, 'e'), 1,
                                         std::string(40, 'f')});
    EXPECT_TRUE(made) << made.error().message;
  };
  for (int tag = 1; tag <= 7; ++tag) {
    image(knap, alice, tag);
    image(other, alice, tag);
    image(bobs, bob, tag);
    if (tag % 2 == 0) clock_.advance(1);  // pairs share a creation time
  }
  const auto walk = [&](const OwnerScope& scope, std::optional<std::string> project) {
    std::vector<Image> seen;
    ImageQuery query{.project_id = project, .limit = 3};
    for (int pages = 0; pages < 20; ++pages) {
      auto page = store_->images().page(scope, query);
      EXPECT_TRUE(page) << page.error().message;
      if (!page || page->empty()) break;
      EXPECT_LE(page->size(), 3u);
      seen.insert(seen.end(), page->begin(), page->end());
      query.after = ImageKey{page->back().created_at, page->back().id};
    }
    return seen;
  };
  const auto all_of = [&](const OwnerScope& scope, std::optional<std::string_view> project) {
    return store_->images().list(scope, project).value();
  };
  const auto ids = [](const std::vector<Image>& images) {
    std::vector<std::string> out;
    for (const auto& i : images) out.push_back(i.id);
    return out;
  };
  EXPECT_EQ(ids(walk(OwnerScope::of(alice.id), std::nullopt)),
            ids(all_of(OwnerScope::of(alice.id), std::nullopt)));
  EXPECT_EQ(walk(OwnerScope::of(alice.id), std::nullopt).size(), 14u);
  EXPECT_EQ(ids(walk(OwnerScope::of(alice.id), knap.id)),
            ids(all_of(OwnerScope::of(alice.id), knap.id)));
  EXPECT_EQ(ids(walk(OwnerScope::everyone(), std::nullopt)),
            ids(all_of(OwnerScope::everyone(), std::nullopt)));
  EXPECT_EQ(walk(OwnerScope::everyone(), std::nullopt).size(), 21u);
  EXPECT_TRUE(walk(OwnerScope::of(bob.id), knap.id).empty());  // alice's project
}

}  // namespace
}  // namespace orsa::store
