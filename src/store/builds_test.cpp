#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class BuildStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(BuildStoreTest);

TEST_P(BuildStoreTest, BuildsAreNumberedPerProjectFromOne) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto other = project(alice, "other");
  const std::string sha(40, 'a');
  auto first = store_->builds().create({knap.id, sha});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->id.starts_with("bld_")) << first->id;
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->owner_id, alice.id);
  EXPECT_EQ(first->owner_username, "alice");
  EXPECT_EQ(first->project_name, "knap");
  EXPECT_EQ(first->status, BuildStatus::kQueued);
  EXPECT_EQ(first->created_at, kStart);
  EXPECT_FALSE(first->started_at);
  EXPECT_FALSE(first->image_id);
  EXPECT_EQ(store_->builds().create({knap.id, sha}).value().number, 2);
  EXPECT_EQ(store_->builds().create({other.id, sha}).value().number, 1);
  auto gone = store_->builds().create({"prj_missing", sha});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);

  auto listed = store_->builds().list(OwnerScope::of(alice.id), knap.id, 10);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].number, 2);  // newest first
  EXPECT_EQ(store_->builds().list(OwnerScope::of(alice.id), knap.id, 1).value().size(), 1u);
}

TEST_P(BuildStoreTest, ConcurrentBuildsGetDistinctNumbers) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  constexpr int kThreads = 6;
  constexpr int kEach = 5;
  std::vector<std::string> failures;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto created = store_->builds().create({knap.id, std::string(40, 'b')});
        if (!created) {
          std::lock_guard lock(mu);
          failures.push_back(created.error().message);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  auto all = store_->builds().list(OwnerScope::everyone(), knap.id, 1000);
  ASSERT_TRUE(all);
  std::set<std::int64_t> numbers;
  for (const auto& b : *all) numbers.insert(b.number);
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*numbers.begin(), 1);
  EXPECT_EQ(*numbers.rbegin(), kThreads * kEach);
}

TEST_P(BuildStoreTest, BuildStatusUpdatesKeepUnsetFieldsAndGuardTheSource) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto build = store_->builds().create({knap.id, std::string(40, 'c')}).value();
  auto running = store_->builds().update(
      build.id, {.status = BuildStatus::kRunning, .from = BuildStatus::kQueued, .started_at = 10});
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_EQ(running->status, BuildStatus::kRunning);
  EXPECT_EQ(running->started_at, 10);
  // A second claim of the same queued build loses.
  auto again = store_->builds().update(
      build.id, {.status = BuildStatus::kRunning, .from = BuildStatus::kQueued, .started_at = 11});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  auto failed = store_->builds().update(
      build.id,
      {.status = BuildStatus::kFailed, .error = "boom", .finished_at = 20, .image_id = "img_x"});
  ASSERT_TRUE(failed) << failed.error().message;
  EXPECT_EQ(failed->started_at, 10);
  EXPECT_EQ(failed->finished_at, 20);
  EXPECT_EQ(failed->error, "boom");
  EXPECT_EQ(failed->image_id, "img_x");
  EXPECT_EQ(store_->builds().update("bld_missing", {}).error().code, ErrorCode::kNotFound);

  auto found = store_->builds().with_status(BuildStatus::kFailed);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, build.id);
  EXPECT_TRUE(store_->builds().with_status(BuildStatus::kQueued).value().empty());
}

// Several instances on one database (ADR 0019): a claim names its runner;
// a build whose runner died is queued again and claimed by another.
TEST_P(BuildStoreTest, AClaimNamesItsRunnerAndEachStartCountsAnAttempt) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto build = store_->builds().create({knap.id, std::string(40, 'c')}).value();
  EXPECT_EQ(build.runner, "");
  EXPECT_EQ(build.attempts, 0);
  auto claimed = store_->builds().update(build.id, {.status = BuildStatus::kRunning,
                                                    .from = BuildStatus::kQueued,
                                                    .started_at = 10,
                                                    .runner = "node-a"});
  ASSERT_TRUE(claimed) << claimed.error().message;
  EXPECT_EQ(claimed->runner, "node-a");
  EXPECT_EQ(claimed->attempts, 1);

  auto requeued = store_->builds().update(
      build.id, {.status = BuildStatus::kQueued, .from = BuildStatus::kRunning});
  ASSERT_TRUE(requeued) << requeued.error().message;
  EXPECT_EQ(requeued->runner, "node-a");  // kept: who ran it last
  EXPECT_EQ(requeued->attempts, 1);
  auto again = store_->builds().update(build.id, {.status = BuildStatus::kRunning,
                                                  .from = BuildStatus::kQueued,
                                                  .started_at = 20,
                                                  .runner = "node-b"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->runner, "node-b");
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(store_->builds().with_status(BuildStatus::kRunning).value().at(0).runner, "node-b");
}

TEST_P(BuildStoreTest, BuildsAreScopedToTheirOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto build = store_->builds().create({knap.id, std::string(40, 'd')}).value();
  EXPECT_TRUE(store_->builds().find(OwnerScope::of(alice.id), build.id));
  EXPECT_TRUE(store_->builds().find(OwnerScope::everyone(), build.id));
  auto hidden = store_->builds().find(OwnerScope::of(bob.id), build.id);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->builds().list(OwnerScope::of(bob.id), knap.id, 10).value().empty());
}

TEST_P(BuildStoreTest, BuildStatusNamesRoundTrip) {
  for (auto status : {BuildStatus::kQueued, BuildStatus::kRunning, BuildStatus::kSucceeded,
                      BuildStatus::kFailed, BuildStatus::kCanceled}) {
    EXPECT_EQ(parse_build_status(build_status_name(status)), status);
  }
  EXPECT_FALSE(parse_build_status("done"));
  EXPECT_TRUE(is_final(BuildStatus::kCanceled));
  EXPECT_FALSE(is_final(BuildStatus::kRunning));
}

}  // namespace
}  // namespace orsa::store
