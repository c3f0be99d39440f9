#include "git_repos_test_support.hpp"

namespace orsa::source {
namespace {

using namespace git_testing;

TEST_F(GitReposTest, CreateThenListAndRead) {
  const auto info = create_default();
  EXPECT_EQ(info.sha.size(), 40u);
  EXPECT_TRUE(info.parents.empty());
  EXPECT_EQ(info.message, "Initial commit");

  auto files = repos_->list_files(kRepo, "");
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "app.py");
  EXPECT_EQ((*files)[0].size, 12);
  EXPECT_EQ((*files)[1].path, "src/lib/util.py");
  EXPECT_EQ((*files)[1].size, 6);
  EXPECT_EQ(repos_->read_file(kRepo, "main", "src/lib/util.py").value(), "X = 1\n");
  EXPECT_EQ(repos_->read_file(kRepo, info.sha, "./app.py").value(), "print('hi')\n");
}

TEST_F(GitReposTest, CreateWithNoFilesMakesAnEmptyFirstCommit) {
  auto info = repos_->create(kRepo, {}, kAda, "");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->message, "Create project");
  EXPECT_TRUE(repos_->list_files(kRepo, "").value().empty());
}

TEST_F(GitReposTest, CreateTwiceIsAConflictAndKeepsTheFirst) {
  const auto first = create_default();
  auto again = repos_->create(kRepo, {{"other.txt", "x"}}, kAda, "again");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "repository 'ada/knapsack' exists");
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), first.sha);
}

TEST_F(GitReposTest, CreateRejectsBadStarterFilesAndLeavesNoDirectory) {
  auto bad = repos_->create(kRepo, {{"../evil", "x"}}, kAda, "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto dup = repos_->create(kRepo, {{"a", "1"}, {"./a", "2"}}, kAda, "");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "path 'a' appears more than once");
  EXPECT_FALSE(fs::exists(git_dir()));
}

TEST_F(GitReposTest, RejectsBadOwnerOrNameWithoutTouchingTheDisk) {
  for (const RepoId& repo : {RepoId{"..", "x"}, RepoId{"ada", "../../etc"}, RepoId{"Ada", "x"},
                             RepoId{"", "x"}, RepoId{"ada", "a/b"}}) {
    auto r = repos_->create(repo, {{"a", "1"}}, kAda, "");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(repos_->resolve(repo, "").error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(GitReposTest, RemoveDeletesTheRepository) {
  create_default();
  ASSERT_TRUE(repos_->remove(kRepo));
  EXPECT_FALSE(fs::exists(git_dir()));
  EXPECT_EQ(repos_->resolve(kRepo, "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repos_->list_files(kRepo, "").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(put("a", "b").error().code, ErrorCode::kNotFound);
  auto again = repos_->remove(kRepo);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(repos_->create(kRepo, {}, kAda, ""));  // the name is free again
}

TEST_F(GitReposTest, CommitAppliesAllChangesAsOneCommit) {
  const auto first = create_default();
  auto info = repos_->commit(kRepo,
                             {{"new/file.txt", std::string("hello")},
                              {"app.py", std::string("print('bye')\n")},
                              {"src/lib/util.py", std::nullopt}},
                             kAda, "  Several changes\n\n", std::nullopt);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->parents, std::vector<std::string>{first.sha});
  EXPECT_EQ(info->message, "Several changes");
  EXPECT_EQ(repos_->history(kRepo, "", 100).value().size(), 2u);

  // Older commits stay readable by sha.
  EXPECT_EQ(repos_->read_file(kRepo, first.sha, "app.py").value(), "print('hi')\n");
  EXPECT_EQ(repos_->read_file(kRepo, "", "app.py").value(), "print('bye')\n");
  EXPECT_EQ(repos_->read_file(kRepo, "", "src/lib/util.py").error().code, ErrorCode::kNotFound);
}

TEST_F(GitReposTest, CommitRejectsEmptyDuplicateAndNoOpChanges) {
  const auto first = create_default();
  auto empty = repos_->commit(kRepo, {}, kAda, "", std::nullopt);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  auto dup = repos_->commit(kRepo, {{"a", std::string("1")}, {"a//", std::nullopt}}, kAda, "",
                            std::nullopt);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "path 'a' appears more than once");

  auto same = put("app.py", "print('hi')\n");
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(same.error().message,
            "no changes: the files are identical to " + first.sha.substr(0, 7));
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), first.sha);
}

TEST_F(GitReposTest, DeletingAMissingFileOrADirectoryIsNotFound) {
  const auto first = create_default();
  for (const char* path : {"nope.txt", "src/lib"}) {
    auto r = repos_->commit(kRepo, {{path, std::nullopt}}, kAda, "", std::nullopt);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(r.error().message,
              "file '" + std::string(path) + "' not found at " + first.sha.substr(0, 7));
  }
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), first.sha);
}

TEST_F(GitReposTest, FileAndDirectoryCannotShareAPath) {
  create_default();
  auto under_file = put("app.py/inner", "x");
  ASSERT_FALSE(under_file);
  EXPECT_EQ(under_file.error().message, "path 'app.py/inner' conflicts with file 'app.py'");
  auto over_dir = put("src/lib", "x");
  ASSERT_FALSE(over_dir);
  EXPECT_EQ(over_dir.error().code, ErrorCode::kInvalidArgument);
  // Replacing the directory's only file by a file of the same name is fine.
  auto swap =
      repos_->commit(kRepo, {{"src/lib/util.py", std::nullopt}, {"src/lib", std::string("x")}},
                     kAda, "", std::nullopt);
  EXPECT_TRUE(swap) << swap.error().message;
}

TEST_F(GitReposTest, BadPathsAreRejectedAndNothingIsWritten) {
  const auto first = create_default();
  const auto objects = object_files();
  const std::string bad_paths[] = {"",
                                   "/abs",
                                   "a/../b",
                                   "..",
                                   "a/./b",
                                   ".git/config",
                                   "x/.GIT/hooks",
                                   std::string("a\0b", 3),
                                   "a\tb",
                                   "a\\b",
                                   std::string(256, 'a')};
  for (const auto& path : bad_paths) {
    // A good change first proves that nothing of the batch is applied.
    auto r = repos_->commit(kRepo, {{"good.txt", std::string("fine")}, {path, std::string("x")}},
                            kAda, "", std::nullopt);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << path;
  }
  auto del = repos_->commit(kRepo, {{"../app.py", std::nullopt}}, kAda, "", std::nullopt);
  EXPECT_EQ(del.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), first.sha);
  EXPECT_EQ(object_files(), objects);
}

TEST_F(GitReposTest, FileOverTheLimitIsTooLarge) {
  const auto first = create_default();
  const auto objects = object_files();
  auto r = put("big.bin", std::string(2 * 1024 * 1024 + 1, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(r.error().message, "file 'big.bin' is 2097153 bytes; the limit is 2097152");
  EXPECT_EQ(object_files(), objects);
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), first.sha);
  EXPECT_TRUE(put("exact.bin", std::string(2 * 1024 * 1024, 'x')));
}

TEST_F(GitReposTest, RepositoryTotalsAreLimited) {
  repos_ =
      make_git_repos(root_, Limits{.max_file_bytes = 100, .max_repo_bytes = 250, .max_files = 3});
  auto first =
      repos_->create(kRepo, {{"a", std::string(100, 'a')}, {"b", std::string(100, 'b')}}, kAda, "");
  ASSERT_TRUE(first) << first.error().message;
  const auto objects = object_files();

  auto bytes = put("c", std::string(51, 'c'));
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(bytes.error().message, "the project would be 251 bytes; the limit is 250");

  ASSERT_TRUE(put("c", std::string(50, 'c')));
  auto count = put("d", "");
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(count.error().message, "the project would have 4 files; the limit is 3");

  auto too_many =
      repos_->create({"ada", "other"}, {{"1", ""}, {"2", ""}, {"3", ""}, {"4", ""}}, kAda, "");
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(repos_->history(kRepo, "", 100).value().size(), 2u);
  EXPECT_NE(object_files(), objects);  // only the successful commit added objects
}

TEST_F(GitReposTest, HistoryIsNewestFirstWithAllFields) {
  const auto first = create_default();
  Author later = kAda;
  later.time += 60;
  later.name = "Grace Hopper";
  later.email = "grace@example.com";
  auto second = repos_->commit(kRepo, {{"b.txt", std::string("b")}}, later, "Add b", std::nullopt);
  ASSERT_TRUE(second);
  auto third = repos_->commit(kRepo, {{"c.txt", std::string("c")}}, kAda, "", std::nullopt);
  ASSERT_TRUE(third);

  auto history = repos_->history(kRepo, "", 100);
  ASSERT_TRUE(history) << history.error().message;
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].sha, third->sha);
  EXPECT_EQ((*history)[0].message, "Update files");
  EXPECT_EQ((*history)[1].sha, second->sha);
  EXPECT_EQ((*history)[1].author_name, "Grace Hopper");
  EXPECT_EQ((*history)[1].author_email, "grace@example.com");
  EXPECT_EQ((*history)[1].time, kAda.time + 60);
  EXPECT_EQ((*history)[1].message, "Add b");
  EXPECT_EQ((*history)[1].parents, std::vector<std::string>{first.sha});
  EXPECT_EQ((*history)[2].sha, first.sha);
  EXPECT_TRUE((*history)[2].parents.empty());

  EXPECT_EQ(repos_->history(kRepo, "", 2).value().size(), 2u);
  EXPECT_EQ(repos_->history(kRepo, "", 0).value().size(), 1u);  // clamped to at least one
  auto from_second = repos_->history(kRepo, second->sha.substr(0, 10), 10);
  ASSERT_TRUE(from_second);
  EXPECT_EQ(from_second->size(), 2u);
  EXPECT_EQ(repos_->history({"ada", "missing"}, "", 10).error().code, ErrorCode::kNotFound);
}

TEST_F(GitReposTest, ExpectedHeadGuardsAgainstLostUpdates) {
  const auto first = create_default();
  auto ok = put("a.txt", "1", first.sha);
  ASSERT_TRUE(ok) << ok.error().message;

  auto stale = put("a.txt", "2", first.sha);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().current_head, ok->sha);
  EXPECT_EQ(stale.error().message,
            "the project changed since " + first.sha.substr(0, 7) + "; reload");

  std::string upper = ok->sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(put("a.txt", "3", upper));

  const auto head = repos_->resolve(kRepo, "").value();
  for (std::string garbage : {std::string("zz"), head.substr(0, 7), head + "0",
                              std::string(40, 'g'), std::string("main"), std::string()}) {
    auto r = put("a.txt", "4", garbage);
    ASSERT_FALSE(r) << garbage;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << garbage;
  }
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), head);

  auto replaced = repos_->replace_tree(kRepo, {{"only.txt", "x"}}, kAda, "", first.sha);
  ASSERT_FALSE(replaced);
  EXPECT_EQ(replaced.error().code, ErrorCode::kConflict);
  EXPECT_EQ(replaced.error().current_head, head);
}

TEST_F(GitReposTest, ResolveAcceptsMainAndShaPrefixesOnly) {
  const auto first = create_default();
  for (std::string ref : {std::string(), std::string("HEAD"), std::string("main"), first.sha,
                          first.sha.substr(0, 4), first.sha.substr(0, 7)}) {
    auto r = repos_->resolve(kRepo, ref);
    ASSERT_TRUE(r) << ref << ": " << r.error().message;
    EXPECT_EQ(*r, first.sha);
  }
  std::string upper = first.sha.substr(0, 8);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(repos_->resolve(kRepo, upper).value(), first.sha);

  // A sha of nothing is not found (git_repos_cli_test.cpp: nor a blob's).
  for (std::string ref : {std::string(40, '0'), std::string("0000000")}) {
    auto r = repos_->resolve(kRepo, ref);
    ASSERT_FALSE(r) << ref;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << ref;
  }
  for (const char* ref :
       {"HEAD~1", "main^", "../x", "refs/heads/main", "abc", "xyz12", "v1.0", "origin/main"}) {
    auto r = repos_->resolve(kRepo, ref);
    ASSERT_FALSE(r) << ref;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << ref;
    EXPECT_NE(r.error().message.find("unsupported ref"), std::string::npos);
  }
  EXPECT_FALSE(repos_->resolve(kRepo, first.sha + "0"));
}

TEST_F(GitReposTest, ReadFileNamesTheMissingPath) {
  const auto first = create_default();
  auto missing = repos_->read_file(kRepo, "", "nope.py");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "file 'nope.py' not found at " + first.sha.substr(0, 7));
  EXPECT_EQ(repos_->read_file(kRepo, "", "src").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repos_->read_file(kRepo, "", "app.py/x").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repos_->read_file(kRepo, "", "../app.py").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(repos_->read_file(kRepo, "HEAD~1", "app.py").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(GitReposTest, ReplaceTreeMakesTheTreeExactlyTheFiles) {
  const auto first = create_default();
  auto info = repos_->replace_tree(kRepo, {{"x/y.txt", "y"}, {"app.py", "new\n"}}, kAda, "Upload",
                                   first.sha);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->parents, std::vector<std::string>{first.sha});
  auto files = repos_->list_files(kRepo, "").value();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "app.py");
  EXPECT_EQ(files[1].path, "x/y.txt");

  auto dup = repos_->replace_tree(kRepo, {{"a", "1"}, {"a", "2"}}, kAda, "", std::nullopt);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);
  auto same =
      repos_->replace_tree(kRepo, {{"app.py", "new\n"}, {"x/y.txt", "y"}}, kAda, "", std::nullopt);
  ASSERT_FALSE(same);
  EXPECT_NE(same.error().message.find("no changes"), std::string::npos);
  EXPECT_EQ(repos_->resolve(kRepo, "").value(), info->sha);
}

TEST_F(GitReposTest, MessagesAndAuthorsAreChecked) {
  create_default();
  auto long_message =
      repos_->commit(kRepo, {{"a", std::string("1")}}, kAda, std::string(4097, 'm'), std::nullopt);
  ASSERT_FALSE(long_message);
  EXPECT_EQ(long_message.error().message, "commit message is 4097 bytes; the limit is 4096");
  EXPECT_TRUE(
      repos_->commit(kRepo, {{"a", std::string("1")}}, kAda, std::string(4096, 'm'), std::nullopt));

  for (const Author& author : {Author{"", "a@b", 0}, Author{"Eve <x>", "e@x", 0},
                               Author{"Eve", "  ", 0}, Author{"Eve\nInjected: yes", "e@x", 0}}) {
    auto r = repos_->commit(kRepo, {{"b", std::string("1")}}, author, "", std::nullopt);
    ASSERT_FALSE(r) << author.name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST_F(GitReposTest, OwnerDiskBytesCountsHistoryAndOnlyThatOwner) {
  EXPECT_EQ(repos_->owner_disk_bytes("ada").value(), 0);  // no repository yet
  create_default();
  const std::int64_t first = repos_->owner_disk_bytes(kRepo.owner).value();
  EXPECT_GT(first, 0);
  // Random bytes do not compress: a new version adds about its size, and
  // the old one stays in history.
  std::string noise(200'000, '\0');
  std::uint32_t x = 12345;
  for (auto& c : noise) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
  ASSERT_TRUE(put("data.bin", noise));
  noise[0] = static_cast<char>(noise[0] + 1);
  ASSERT_TRUE(put("data.bin", noise));
  EXPECT_GT(repos_->owner_disk_bytes(kRepo.owner).value(), first + 2 * 190'000);
  EXPECT_EQ(repos_->owner_disk_bytes("someone-else").value(), 0);
  EXPECT_EQ(repos_->owner_disk_bytes("../etc").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orsa::source
