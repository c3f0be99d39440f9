#pragma once

// What the GitRepos tests share: a fixture with repositories in a temp dir.
// The unit tests look at the repositories through libgit2 and the file
// system only; git_repos_cli_test.cpp cross-checks them with the git CLI.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "source/repos.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::source::git_testing {

namespace fs = std::filesystem;

const Author kAda{"Ada Lovelace", "ada@example.com", 1'700'000'000};
const RepoId kRepo{"ada", "knapsack"};

class GitReposTest : public ::testing::Test {
 protected:
  void SetUp() override { repos_ = make_git_repos(root_); }

  fs::path git_dir(const RepoId& repo = kRepo) const {
    return root_ / repo.owner / (repo.name + ".git");
  }

  // Every file in the object database: a write of any object, loose or
  // packed, changes it.
  std::size_t object_files() const {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(git_dir() / "objects")) {
      if (entry.is_regular_file()) ++n;
    }
    return n;
  }

  CommitInfo create_default() {
    auto info = repos_->create(kRepo, {{"app.py", "print('hi')\n"}, {"src/lib/util.py", "X = 1\n"}},
                               kAda, "Initial commit");
    EXPECT_TRUE(info) << info.error().message;
    return *info;
  }

  Result<CommitInfo> put(std::string path, std::string content,
                         std::optional<std::string_view> expected = std::nullopt) {
    return repos_->commit(kRepo, {{std::move(path), std::move(content)}}, kAda, "edit", expected);
  }

  // `threads` writers, each committing `each` new files through repos_ (so
  // sharing its lock); how many commits failed.
  int commit_from_threads(int threads, int each) {
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < each; ++i) {
          auto path = "t" + std::to_string(t) + "/f" + std::to_string(i);
          if (!put(path, "content " + path)) ++failures;
        }
      });
    }
    for (auto& writer : writers) writer.join();
    return failures.load();
  }

  struct RaceOutcome {
    int wins = 0;
    int other = 0;  // failures other than a conflict naming the new head
  };
  // The same with one SourceRepos per writer: they share no mutex, like
  // separate processes.
  RaceOutcome commit_from_separate_instances(int threads, int each) {
    std::atomic<int> wins{0};
    std::atomic<int> other{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t) {
      writers.emplace_back([&, t] {
        auto own = make_git_repos(root_);
        for (int i = 0; i < each; ++i) {
          auto r = own->commit(
              kRepo, {{"t" + std::to_string(t) + "-" + std::to_string(i), std::string("x")}}, kAda,
              "", std::nullopt);
          if (r) {
            ++wins;
          } else if (r.error().code != ErrorCode::kConflict ||
                     r.error().current_head.size() != 40) {
            ++other;
          }
        }
      });
    }
    for (auto& writer : writers) writer.join();
    return {wins.load(), other.load()};
  }

  // `threads` writers at once, all expecting `head`; what each got.
  std::vector<Result<CommitInfo>> commit_racing_on(const std::string& head, int threads) {
    std::vector<std::thread> writers;
    std::vector<Result<CommitInfo>> results(threads, fail(Error::internal("not run")));
    for (int t = 0; t < threads; ++t) {
      writers.emplace_back([&, t] { results[t] = put("f" + std::to_string(t), "x", head); });
    }
    for (auto& writer : writers) writer.join();
    return results;
  }

  testing::TempDir dir_{"orsa-source-test"};
  // Not created up front: some tests check that nothing touched the disk.
  fs::path root_ = dir_.path() / "repos";
  std::unique_ptr<SourceRepos> repos_;
};

}  // namespace orsa::source::git_testing
