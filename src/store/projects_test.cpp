#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class ProjectStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(ProjectStoreTest);

TEST_P(ProjectStoreTest, CreatesFindsListsAndTouchesProjects) {
  const auto bob = user("bob");
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  EXPECT_TRUE(knap.id.starts_with("prj_"));
  EXPECT_EQ(knap.owner_username, "alice");
  EXPECT_EQ(knap.created_at, kStart);
  EXPECT_EQ(knap.updated_at, kStart);
  project(bob, "a-first");
  project(alice, "facility");

  auto found = store_->projects().find(OwnerScope::of(alice.id), "alice", "knap");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, knap.id);
  EXPECT_EQ(found->owner_id, alice.id);
  EXPECT_EQ(found->owner_username, "alice");
  EXPECT_EQ(found->template_name, "python-flask");

  ASSERT_TRUE(store_->projects().touch(knap.id, kStart + 50));
  found = store_->projects().find(OwnerScope::everyone(), "alice", "knap");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->created_at, kStart);
  EXPECT_EQ(found->updated_at, kStart + 50);

  auto all = store_->projects().list(OwnerScope::everyone());
  ASSERT_TRUE(all);
  std::vector<std::string> names;
  for (const auto& p : *all) names.push_back(p.owner_username + "/" + p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alice/facility", "alice/knap", "bob/a-first"}));
}

TEST_P(ProjectStoreTest, ProjectEgressIsOffUntilSet) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  EXPECT_FALSE(knap.allow_egress);
  ASSERT_TRUE(store_->projects().set_egress(knap.id, true));
  EXPECT_TRUE(store_->projects().find(OwnerScope::everyone(), "alice", "knap")->allow_egress);
  ASSERT_TRUE(store_->projects().set_egress(knap.id, false));
  EXPECT_FALSE(store_->projects().find(OwnerScope::everyone(), "alice", "knap")->allow_egress);
  EXPECT_EQ(store_->projects().set_egress("prj_none", true).error().code, ErrorCode::kNotFound);
}

TEST_P(ProjectStoreTest, DuplicateProjectIsConflictPerOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  project(alice, "knap");
  auto again = store_->projects().create({alice.id, "knap", "python-flask"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "project 'alice/knap' already exists");
  // The same name under another owner is fine.
  EXPECT_TRUE(store_->projects().create({bob.id, "knap", "python-flask"}));
}

TEST_P(ProjectStoreTest, ProjectsAreScopedToTheirOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  project(bob, "mine");

  auto peek = store_->projects().find(OwnerScope::of(bob.id), "alice", "knap");
  ASSERT_FALSE(peek);
  EXPECT_EQ(peek.error().code, ErrorCode::kNotFound);

  auto bobs = store_->projects().list(OwnerScope::of(bob.id));
  ASSERT_TRUE(bobs);
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].name, "mine");

  auto steal = store_->projects().remove(OwnerScope::of(bob.id), knap.id);
  ASSERT_FALSE(steal);
  EXPECT_EQ(steal.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->projects().find(OwnerScope::everyone(), "alice", "knap"));

  EXPECT_EQ(store_->projects().list(OwnerScope::everyone()).value().size(), 2u);
  EXPECT_TRUE(store_->projects().remove(OwnerScope::everyone(), knap.id));
  EXPECT_FALSE(store_->projects().find(OwnerScope::of(alice.id), "alice", "knap"));
}

TEST_P(ProjectStoreTest, ConcurrentWritersAllSucceed) {
  constexpr int kThreads = 8;
  constexpr int kEach = 10;
  std::vector<User> owners;
  for (int t = 0; t < kThreads; ++t) owners.push_back(user("user-" + std::to_string(t)));
  std::vector<std::vector<std::string>> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto created = store_->projects().create(
            {owners[static_cast<std::size_t>(t)].id, "p-" + std::to_string(i), "python-flask"});
        if (!created) failures[static_cast<std::size_t>(t)].push_back(created.error().message);
        // Readers interleave with the writers.
        if (!store_->projects().list(OwnerScope::everyone())) {
          failures[static_cast<std::size_t>(t)].push_back("list failed");
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& f : failures) EXPECT_TRUE(f.empty()) << f.front();
  auto all = store_->projects().list(OwnerScope::everyone());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<std::string> ids;
  for (const auto& p : *all) ids.insert(p.id);
  EXPECT_EQ(ids.size(), all->size());
}

TEST_P(ProjectStoreTest, FindsProjectsByIdWithinTheScope) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  auto found = store_->projects().find_by_id(OwnerScope::of(alice.id), knap.id);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->name, "knap");
  EXPECT_EQ(found->owner_username, "alice");
  EXPECT_EQ(found->template_name, "python-flask");
  EXPECT_EQ(found->created_at, kStart);
  EXPECT_TRUE(store_->projects().find_by_id(OwnerScope::everyone(), knap.id));

  auto hidden = store_->projects().find_by_id(OwnerScope::of(bob.id), knap.id);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(hidden.error().message, "project not found");
  EXPECT_EQ(store_->projects().find_by_id(OwnerScope::everyone(), "prj_missing").error().code,
            ErrorCode::kNotFound);
}

// Pages walk the list in (owner, name) order with no row twice or missed;
// one owner's pages hold only theirs.
TEST_P(ProjectStoreTest, PagesWalkTheListFromTheirCursor) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  for (const auto* name : {"k", "b", "z", "a", "m", "c", "y"}) {
    project(alice, name);
    project(bob, name);
  }
  const auto walk = [&](const OwnerScope& scope) {
    std::vector<std::string> seen;
    std::optional<ProjectKey> after;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = store_->projects().page(scope, after, 3);
      EXPECT_TRUE(page) << page.error().message;
      if (!page || page->empty()) break;
      EXPECT_LE(page->size(), 3u);
      for (const auto& p : *page) seen.push_back(p.owner_username + "/" + p.name);
      after = ProjectKey{page->back().owner_username, page->back().name};
    }
    return seen;
  };
  const auto all_of = [&](const OwnerScope& scope) {
    std::vector<std::string> out;
    for (const auto& p : store_->projects().list(scope).value())
      out.push_back(p.owner_username + "/" + p.name);
    return out;
  };
  EXPECT_EQ(walk(OwnerScope::of(alice.id)), all_of(OwnerScope::of(alice.id)));
  EXPECT_EQ(walk(OwnerScope::of(alice.id)).size(), 7u);
  EXPECT_EQ(walk(OwnerScope::of(bob.id)).front(), "bob/a");
  EXPECT_EQ(walk(OwnerScope::everyone()), all_of(OwnerScope::everyone()));
  EXPECT_EQ(walk(OwnerScope::everyone()).size(), 14u);
}

}  // namespace
}  // namespace orsa::store
