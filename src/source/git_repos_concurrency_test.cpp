// Concurrent writers: with and without an expected head, with and without a shared lock.

#include "git_repos_test_support.hpp"

namespace orsa::source {
namespace {

using namespace git_testing;

TEST_F(GitReposTest, ConcurrentWritersWithoutExpectedHeadAllLand) {
  create_default();
  constexpr int kThreads = 4;
  constexpr int kEach = 5;
  EXPECT_EQ(commit_from_threads(kThreads, kEach), 0);
  EXPECT_EQ(repos_->history(kRepo, "", 1000).value().size(), 1u + kThreads * kEach);
  EXPECT_EQ(repos_->list_files(kRepo, "").value().size(), 2u + kThreads * kEach);
}

// Separate instances share no mutex, like separate processes: the ref's
// compare-and-swap alone must keep every answered success in the history.
TEST_F(GitReposTest, WritersWithoutASharedLockNeverLoseACommit) {
  create_default();
  const auto outcome = commit_from_separate_instances(4, 5);
  EXPECT_EQ(outcome.other, 0);
  EXPECT_GE(outcome.wins, 1);
  EXPECT_EQ(repos_->history(kRepo, "", 1000).value().size(), 1u + outcome.wins);
  EXPECT_EQ(repos_->list_files(kRepo, "").value().size(), 2u + outcome.wins);
}

TEST_F(GitReposTest, ConcurrentWritersWithTheSameExpectedHeadOnlyOneWins) {
  const auto first = create_default();
  const auto results = commit_racing_on(first.sha, 4);
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
  EXPECT_EQ(repos_->history(kRepo, "", 100).value().size(), 2u);
}

}  // namespace
}  // namespace orsa::source
