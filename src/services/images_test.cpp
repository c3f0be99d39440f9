// services::Images and services::System against the in-memory store: owner
// scoping, the in-use guard, the registry tag going with the row.

#include "services/images.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/system.hpp"
#include "store/memory_store.hpp"

namespace orsa::services {
namespace {

class ImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto alice = store_.users().create({"alice", "alice@example.org", "x"}).value();
    const auto bob = store_.users().create({"bob", "bob@example.org", "x"}).value();
    const auto root =
        store_.users().create({"root", "root@example.org", "x", Role::kAdmin}).value();
    alice_ = {alice.id, alice.username, Role::kDeveloper, false, ""};
    bob_ = {bob.id, bob.username, Role::kDeveloper, false, ""};
    admin_ = {root.id, root.username, Role::kAdmin, false, ""};
    knap_ = store_.projects().create({alice.id, "knap", "python-flask"}).value();
    other_ = store_.projects().create({alice.id, "other", "python-flask"}).value();
    image_ = add_image(knap_, "1");
    add_image(other_, "1");
  }

  store::Image add_image(const store::Project& project, const std::string& tag) {
    return store_.images()
        .create({project.owner_id, project.id, "bld_" + project.name + tag, "alice/" + project.name,
                 tag, "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')})
        .value();
  }

  std::size_t all_images() {
    return store_.images().list(OwnerScope::everyone(), std::nullopt)->size();
  }

  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  std::vector<std::string> removed_tags_;
  Images images_{store_.images(), store_.projects(), store_.deployments(),
                 [this](const store::Image& image) -> Result<void> {
                   removed_tags_.push_back(image.repository + ":" + image.tag);
                   return {};
                 }};
  auth::Principal alice_;
  auth::Principal bob_;
  auth::Principal admin_;
  store::Project knap_;
  store::Project other_;
  store::Image image_;
};

TEST_F(ImagesTest, ListIsOwnerScopedAndNarrowsToAProject) {
  const auto list = [&](const auth::Principal& who, const std::optional<ProjectRef>& ref) {
    return images_.list(who, ref, {});
  };
  EXPECT_EQ(list(alice_, std::nullopt).value().items.size(), 2u);
  const auto knap = list(alice_, ProjectRef{"alice", "knap"}).value();
  ASSERT_EQ(knap.items.size(), 1u);
  EXPECT_EQ(knap.items[0].id, image_.id);
  EXPECT_FALSE(knap.next_cursor);
  EXPECT_TRUE(list(bob_, std::nullopt).value().items.empty());
  EXPECT_EQ(list(bob_, ProjectRef{"alice", "knap"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(list(admin_, std::nullopt).value().items.size(), 2u);
}

TEST_F(ImagesTest, ListIsPagedByTheCursorItGivesOut) {
  for (int tag = 2; tag <= 5; ++tag) {
    clock_.advance(1);
    add_image(knap_, std::to_string(tag));
  }
  std::vector<std::string> tags;
  PageRequest request{.limit = 2};
  for (int pages = 0; pages < 5; ++pages) {
    auto page = images_.list(alice_, ProjectRef{"alice", "knap"}, request);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& image : page->items) tags.push_back(image.tag);
    if (!page->next_cursor) break;
    request.cursor = page->next_cursor;
  }
  EXPECT_EQ(tags, (std::vector<std::string>{"5", "4", "3", "2", "1"}));

  for (const auto* bad : {"", "12", "x.img_1", ".img_1", "12.", "-1.img_1", "1e3.img_1"}) {
    auto refused = images_.list(alice_, std::nullopt, {.cursor = std::string(bad)});
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  for (const std::size_t limit : {std::size_t{0}, kMaxPageSize + 1}) {
    EXPECT_EQ(images_.list(alice_, std::nullopt, {.limit = limit}).error().code,
              ErrorCode::kInvalidArgument);
  }
}

TEST_F(ImagesTest, AnotherUsersImageIsNotFoundAndStays) {
  EXPECT_EQ(images_.get(bob_, image_.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(images_.remove(bob_, image_.id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(removed_tags_.empty());
  EXPECT_EQ(all_images(), 2u);
  EXPECT_EQ(images_.get(alice_, image_.id).value().tag, "1");
}

TEST_F(ImagesTest, DeletingRemovesTheTagThenTheRow) {
  ASSERT_TRUE(images_.remove(alice_, image_.id));
  EXPECT_EQ(removed_tags_, std::vector<std::string>{"alice/knap:1"});
  EXPECT_EQ(images_.get(alice_, image_.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(all_images(), 1u);
}

TEST_F(ImagesTest, AnImageInUseIsNotDeleted) {
  ASSERT_TRUE(store_.deployments().create({knap_.id, image_.id}));
  const auto removed = images_.remove(alice_, image_.id);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kConflict);
  EXPECT_NE(removed.error().message.find("1 deployment"), std::string::npos);
  EXPECT_TRUE(removed_tags_.empty());
  EXPECT_EQ(all_images(), 2u);
}

TEST_F(ImagesTest, AFailedTagRemovalKeepsTheRow) {
  Images failing{store_.images(), store_.projects(), store_.deployments(),
                 [](const store::Image&) -> Result<void> {
                   return fail(Error::unavailable("registry down"));
                 }};
  EXPECT_EQ(failing.remove(alice_, image_.id).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(all_images(), 2u);
}

TEST_F(ImagesTest, AViewerCannotDeleteItsImages) {
  auto viewer = alice_;
  viewer.role = Role::kViewer;
  EXPECT_TRUE(images_.get(viewer, image_.id));
  EXPECT_EQ(images_.remove(viewer, image_.id).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(all_images(), 2u);
}

TEST(System, PingAsksTheDatabase) {
  ManualClock clock{1'700'000'000};
  store::MemoryStore store{clock};
  bool down = false;
  System system{[&]() -> Result<void> {
                  if (down) return fail(Error::unavailable("database down"));
                  return {};
                },
                store.audit()};
  EXPECT_TRUE(system.ping());
  down = true;
  EXPECT_EQ(system.ping().error().code, ErrorCode::kUnavailable);
}

TEST(System, TheAuditLogIsNewestFirstAndLimited) {
  ManualClock clock{1'700'000'000};
  store::MemoryStore store{clock};
  System system{[&store] { return store.ping(); }, store.audit()};
  for (std::int64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(store.audit().record({.at = 1'700'000'000 + i, .action = "a" + std::to_string(i)}));
  }
  const auto events = system.audit_log(2).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "a3");
  EXPECT_EQ(events[1].action, "a2");
}

}  // namespace
}  // namespace orsa::services
