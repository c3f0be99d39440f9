// Reading whole commits: diffs against the parent and snapshots.

#include "git_repos_test_support.hpp"

namespace orsa::source {
namespace {

using namespace git_testing;

TEST_F(GitReposTest, DiffOfTheRootCommitAddsEveryFile) {
  const auto first = create_default();
  auto diff = repos_->diff(kRepo, first.sha);
  ASSERT_TRUE(diff) << diff.error().message;
  EXPECT_EQ(diff->commit.sha, first.sha);
  EXPECT_EQ(diff->commit.message, "Initial commit");
  EXPECT_FALSE(diff->truncated);
  ASSERT_EQ(diff->files.size(), 2u);
  const auto& app = diff->files[0];
  EXPECT_EQ(app.path, "app.py");
  EXPECT_EQ(app.status, DiffStatus::kAdded);
  EXPECT_FALSE(app.old_path);
  EXPECT_EQ(app.additions, 1u);
  EXPECT_EQ(app.deletions, 0u);
  ASSERT_TRUE(app.patch);
  EXPECT_NE(app.patch->find("+++ b/app.py\n"), std::string::npos) << *app.patch;
  EXPECT_NE(app.patch->find("+print('hi')\n"), std::string::npos) << *app.patch;
  EXPECT_EQ(diff->files[1].path, "src/lib/util.py");
}

TEST_F(GitReposTest, DiffShowsEditsDeletionsRenamesAndBinaries) {
  create_default();
  const std::string binary("\x89PNG\0\x01\x02", 8);
  auto info = repos_->commit(kRepo,
                             {{"app.py", std::string("print('hi')\nprint('bye')\n")},
                              {"src/lib/util.py", std::nullopt},
                              {"src/util.py", std::string("X = 1\n")},
                              {"logo.png", binary}},
                             kAda, "Rework", std::nullopt);
  ASSERT_TRUE(info) << info.error().message;
  auto diff = repos_->diff(kRepo, info->sha.substr(0, 7));
  ASSERT_TRUE(diff) << diff.error().message;
  EXPECT_EQ(diff->commit.sha, info->sha);
  EXPECT_FALSE(diff->truncated);
  ASSERT_EQ(diff->files.size(), 3u);
  std::map<std::string, FileDiff> by_path;
  for (const auto& f : diff->files) by_path[f.path] = f;

  const auto& app = by_path.at("app.py");
  EXPECT_EQ(app.status, DiffStatus::kModified);
  EXPECT_EQ(app.additions, 1u);
  EXPECT_EQ(app.deletions, 0u);
  EXPECT_NE(app.patch.value().find("+print('bye')"), std::string::npos);

  const auto& moved = by_path.at("src/util.py");
  EXPECT_EQ(moved.status, DiffStatus::kRenamed);
  EXPECT_EQ(moved.old_path, "src/lib/util.py");

  const auto& logo = by_path.at("logo.png");
  EXPECT_EQ(logo.status, DiffStatus::kAdded);
  EXPECT_TRUE(logo.binary);
  EXPECT_FALSE(logo.patch);

  auto del = repos_->commit(kRepo, {{"app.py", std::nullopt}}, kAda, "Drop", std::nullopt);
  ASSERT_TRUE(del);
  auto removed = repos_->diff(kRepo, "").value();
  ASSERT_EQ(removed.files.size(), 1u);
  EXPECT_EQ(removed.files[0].path, "app.py");
  EXPECT_EQ(removed.files[0].status, DiffStatus::kDeleted);
  EXPECT_EQ(removed.files[0].deletions, 2u);
}

TEST_F(GitReposTest, DiffRejectsBadAndUnknownShas) {
  create_default();
  for (const char* bad : {"xyz12", "HEAD~1", "../x"}) {
    auto r = repos_->diff(kRepo, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  auto unknown = repos_->diff(kRepo, std::string(40, '0'));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repos_->diff({"ada", "nothing"}, "").error().code, ErrorCode::kNotFound);
}

TEST(GitReposDiff, StaysWithinTheFileAndPatchLimits) {
  const testing::TempDir dir("orsa-diff");
  const auto root = dir.path() / "repos";
  std::vector<File> files;
  for (char c = 'a'; c <= 'e'; ++c) files.push_back({std::string(1, c) + ".txt", "line\n"});

  auto few_files = make_git_repos(root, Limits{.max_diff_files = 3});
  const auto first = few_files->create(kRepo, files, kAda, "init").value();
  auto listed = few_files->diff(kRepo, first.sha).value();
  EXPECT_TRUE(listed.truncated);
  ASSERT_EQ(listed.files.size(), 3u);
  EXPECT_TRUE(listed.files[2].patch);

  // Each patch here is 117 bytes: two fit, the third does not.
  auto small_patches = make_git_repos(root, Limits{.max_diff_patch_bytes = 250});
  auto cut = small_patches->diff(kRepo, first.sha).value();
  EXPECT_TRUE(cut.truncated);
  ASSERT_EQ(cut.files.size(), 5u);
  EXPECT_TRUE(cut.files[0].patch);
  EXPECT_TRUE(cut.files[1].patch);
  for (std::size_t i = 2; i < cut.files.size(); ++i) {
    EXPECT_FALSE(cut.files[i].patch) << i;
    EXPECT_EQ(cut.files[i].additions, 1u) << i;  // counts survive the cut
  }
}

TEST(GitReposSnapshot, GivesEveryFileOfACommit) {
  const testing::TempDir dir("orsa-snap");
  const auto root = dir.path() / "repos";
  auto repos = make_git_repos(root);
  const RepoId repo{"alice", "snap"};
  const Author author{"alice", "alice@example.org", 1700000000};
  auto first = repos->create(repo, {{"model.py", "x = 1\n"}, {"a/b.txt", "b"}}, author, "init");
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(
      repos->commit(repo, {{"model.py", std::string("x = 2\n")}}, author, "edit", std::nullopt));
  auto old = repos->snapshot(repo, first->sha);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->commit.sha, first->sha);
  ASSERT_EQ(old->files.size(), 2u);
  EXPECT_EQ(old->files[0].path, "a/b.txt");
  EXPECT_EQ(old->files[1].content, "x = 1\n");
  auto head = repos->snapshot(repo, "");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->files[1].content, "x = 2\n");
  EXPECT_EQ(repos->snapshot(repo, "0123456789abcdef").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orsa::source
