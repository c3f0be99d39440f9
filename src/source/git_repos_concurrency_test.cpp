// Concurrent writers: with and without an expected head, with and without a shared lock.

#include "git_repos_test_support.hpp"

namespace orsa::source {
namespace {

using namespace git_testing;

TEST_F(GitReposTest, ConcurrentWritersWithoutExpectedHeadAllLand) {
  create_default();
  constexpr int kThreads = 4;
  constexpr int kEach = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto path = "t" + std::to_string(t) + "/f" + std::to_string(i);
        if (!put(path, "content " + path)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(repos_->history(kRepo, "", 1000).value().size(), 1u + kThreads * kEach);
  EXPECT_EQ(repos_->list_files(kRepo, "").value().size(), 2u + kThreads * kEach);
  EXPECT_TRUE(fsck_ok());
}

// Separate instances share no mutex, like separate processes: the ref's
// compare-and-swap alone must keep every answered success in the history.
TEST_F(GitReposTest, WritersWithoutASharedLockNeverLoseACommit) {
  create_default();
  constexpr int kThreads = 4;
  constexpr int kEach = 5;
  std::atomic<int> wins{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto own = make_git_repos(root_);
      for (int i = 0; i < kEach; ++i) {
        auto r = own->commit(
            kRepo, {{"t" + std::to_string(t) + "-" + std::to_string(i), std::string("x")}}, kAda,
            "", std::nullopt);
        if (r) {
          ++wins;
        } else if (r.error().code != ErrorCode::kConflict || r.error().current_head.size() != 40) {
          ++other;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(wins.load(), 1);
  EXPECT_EQ(repos_->history(kRepo, "", 1000).value().size(), 1u + wins.load());
  EXPECT_EQ(repos_->list_files(kRepo, "").value().size(), 2u + wins.load());
  EXPECT_TRUE(fsck_ok());
}

TEST_F(GitReposTest, ConcurrentWritersWithTheSameExpectedHeadOnlyOneWins) {
  const auto first = create_default();
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<Result<CommitInfo>> results(kThreads, fail(Error::internal("not run")));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { results[t] = put("f" + std::to_string(t), "x", first.sha); });
  }
  for (auto& thread : threads) thread.join();
  int wins = 0;
  std::string winner;
  for (const auto& r : results) {
    if (r) {
      ++wins;
      winner = r->sha;
    }
  }
  ASSERT_EQ(wins, 1);
  for (const auto& r : results) {
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kConflict);
      EXPECT_EQ(r.error().current_head, winner);
    }
  }
  EXPECT_EQ(git("rev-list --count main"), "2\n");
}

}  // namespace
}  // namespace orsa::source
