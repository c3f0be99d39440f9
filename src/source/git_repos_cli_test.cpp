// The repositories GitRepos writes, as the git CLI sees them: fsck, refs,
// logs, trees, and a push from a clone. An integration test: it fails (never
// skips) when git is missing.

#include <chrono>
#include <initializer_list>

#include "git_repos_test_support.hpp"
#include "testing/child_process.hpp"

namespace orsa::source {
namespace {

using namespace git_testing;
using namespace std::chrono_literals;

constexpr const char* kGit = "/usr/bin/git";
constexpr auto kGitBudget = 60s;

class GitCliTest : public GitReposTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::tool_available(kGit));
    GitReposTest::SetUp();
  }

  // `git <args>` with the given leading options; its result.
  static testing::RunResult run_git(std::vector<std::string> args) {
    args.insert(args.begin(), kGit);
    return testing::run({.argv = std::move(args)}, kGitBudget);
  }
  // The standard output of `git --git-dir <repo> <args>`.
  std::string git(std::initializer_list<std::string> args) const {
    std::vector<std::string> argv{"--git-dir", git_dir().string()};
    argv.insert(argv.end(), args);
    return run_git(std::move(argv)).out;
  }
  bool fsck_ok() const {
    return run_git({"--git-dir", git_dir().string(), "fsck", "--strict"}).status == 0;
  }
};

TEST_F(GitCliTest, CreateMakesAHealthyBareRepositoryWithOneCommitOnMain) {
  const auto info = create_default();
  EXPECT_TRUE(fsck_ok());
  EXPECT_EQ(git({"symbolic-ref", "HEAD"}), "refs/heads/main\n");
  EXPECT_EQ(git({"rev-parse", "main"}), info.sha + "\n");
  EXPECT_EQ(git({"log", "--format=%an|%ae|%at|%s", "main"}),
            "Ada Lovelace|ada@example.com|1700000000|Initial commit\n");
  EXPECT_EQ(git({"show", "main:app.py"}), "print('hi')\n");
}

TEST_F(GitCliTest, CommitAppliesAllChangesAsOneCommit) {
  const auto first = create_default();
  auto info = repos_->commit(kRepo,
                             {{"new/file.txt", std::string("hello")},
                              {"app.py", std::string("print('bye')\n")},
                              {"src/lib/util.py", std::nullopt}},
                             kAda, "  Several changes\n\n", std::nullopt);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(git({"rev-list", "--count", "main"}), "2\n");
  EXPECT_EQ(git({"diff", "--name-status", first.sha, "main"}),
            "M\tapp.py\nA\tnew/file.txt\nD\tsrc/lib/util.py\n");
  EXPECT_TRUE(fsck_ok());
}

TEST_F(GitCliTest, RefusedChangesLeaveAValidRepository) {
  const auto first = create_default();
  for (const std::string path : {"/abs", "a/../b", ".git/config"}) {
    auto r = repos_->commit(kRepo, {{"good.txt", std::string("fine")}, {path, std::string("x")}},
                            kAda, "", std::nullopt);
    ASSERT_FALSE(r) << path;
  }
  ASSERT_FALSE(put("big.bin", std::string(2 * 1024 * 1024 + 1, 'x')));
  EXPECT_EQ(git({"rev-parse", "main"}), first.sha + "\n");
  EXPECT_TRUE(fsck_ok());
}

TEST_F(GitCliTest, RepositoryTotalsAreLimited) {
  repos_ =
      make_git_repos(root_, Limits{.max_file_bytes = 100, .max_repo_bytes = 250, .max_files = 3});
  ASSERT_TRUE(repos_->create(kRepo, {{"a", std::string(100, 'a')}, {"b", std::string(100, 'b')}},
                             kAda, ""));
  ASSERT_FALSE(put("c", std::string(51, 'c')));
  ASSERT_TRUE(put("c", std::string(50, 'c')));
  ASSERT_FALSE(put("d", ""));
  EXPECT_EQ(git({"rev-list", "--count", "main"}), "2\n");
  EXPECT_TRUE(fsck_ok());
}

TEST_F(GitCliTest, ResolveRefusesTheShaOfABlob) {
  create_default();
  const auto blob = git({"rev-parse", "main:app.py"}).substr(0, 40);
  ASSERT_EQ(blob.size(), 40u);
  auto r = repos_->resolve(kRepo, blob);
  ASSERT_FALSE(r) << blob;
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << blob;
}

TEST_F(GitCliTest, ReplaceTreeMakesTheTreeExactlyTheFiles) {
  const auto first = create_default();
  ASSERT_TRUE(repos_->replace_tree(kRepo, {{"x/y.txt", "y"}, {"app.py", "new\n"}}, kAda, "Upload",
                                   first.sha));
  EXPECT_EQ(git({"ls-tree", "-r", "--name-only", "main"}), "app.py\nx/y.txt\n");
}

TEST_F(GitCliTest, KeepsTheExecutableBitOfAnExistingFile) {
  create_default();
  const auto work = root_ / "work";
  ASSERT_EQ(run_git({"clone", "-q", git_dir().string(), work.string()}).status, 0);
  fs::permissions(work / "app.py", fs::perms::owner_exec, fs::perm_options::add);
  const std::vector<std::string> in_work{"-C",          work.string(), "-c",
                                         "user.name=T", "-c",          "user.email=t@t"};
  auto commit = in_work;
  commit.insert(commit.end(), {"commit", "-qam", "exec"});
  ASSERT_EQ(run_git(commit).status, 0);
  auto push = in_work;
  push.insert(push.end(), {"push", "-q", "origin", "main"});
  ASSERT_EQ(run_git(push).status, 0);

  ASSERT_TRUE(put("app.py", "print('still executable')\n"));
  ASSERT_TRUE(put("other.py", "x"));
  EXPECT_EQ(git({"ls-tree", "main", "app.py"}).substr(0, 6), "100755");
  EXPECT_EQ(git({"ls-tree", "main", "other.py"}).substr(0, 6), "100644");
}

// Concurrent writers never leave a repository git finds fault with.
TEST_F(GitCliTest, ConcurrentWritersLeaveAValidRepository) {
  create_default();
  EXPECT_EQ(commit_from_threads(4, 5), 0);
  EXPECT_TRUE(fsck_ok());
  EXPECT_GE(commit_from_separate_instances(4, 5).wins, 1);
  EXPECT_TRUE(fsck_ok());
}

TEST_F(GitCliTest, ConcurrentWritersWithTheSameExpectedHeadMakeOneCommit) {
  const auto first = create_default();
  (void)commit_racing_on(first.sha, 4);  // the outcomes: git_repos_concurrency_test.cpp
  EXPECT_EQ(git({"rev-list", "--count", "main"}), "2\n");
}

}  // namespace
}  // namespace orsa::source
