#include "cli/workspace.hpp"

#include <gtest/gtest.h>

#include "core/files.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::cli {
namespace {
namespace fs = std::filesystem;

void put(const fs::path& root, const std::string& path, std::string_view bytes) {
  fs::create_directories((root / path).parent_path());
  ASSERT_TRUE(write_file_atomic(root / path, bytes));
}

TEST(Workspace, TheLinkFileRoundTrips) {
  testing::TempDir dir;
  const Link link{.server = "http://127.0.0.1:8080",
                  .owner = "alice",
                  .name = "knapsack",
                  .base = "0123abcd",
                  .files = {{"model.py", "aa"}, {"data/in put.json", "bb"}, {"a.b", "cc"}}};
  ASSERT_TRUE(save_link(dir.path(), link));
  auto loaded = load_link(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(*loaded, link);
  put(dir.path(), "sub/deeper/x.txt", "x");
  auto root = find_project_root(dir.path() / "sub" / "deeper");
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, fs::absolute(dir.path()));
}

TEST(Workspace, OutsideAProjectFolderIsAUsageError) {
  testing::TempDir dir;
  auto root = find_project_root(dir.path());
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().code, ErrorCode::kInvalidArgument);
}

TEST(Workspace, ScanHonoursTheIgnoreFileAndTheDefaults) {
  testing::TempDir dir;
  put(dir.path(), "model.py", "print(1)\n");
  put(dir.path(), "__pycache__/model.cpython-311.pyc", "\x01");
  put(dir.path(), ".venv/bin/python", "#!");
  put(dir.path(), "out/result.json", "{}");
  put(dir.path(), "notes.log", "x");
  put(dir.path(), ".orsaignore", "out/\n*.log\n");
  auto rules = folder_rules(dir.path());
  ASSERT_TRUE(rules);
  auto files = scan_folder(dir.path(), *rules);
  ASSERT_TRUE(files) << files.error().message;
  std::vector<std::string> paths;
  for (const auto& [path, hash] : *files) paths.push_back(path);
  EXPECT_EQ(paths, (std::vector<std::string>{".orsaignore", "model.py"}));
  EXPECT_EQ(files->at("model.py"), sha256_hex("print(1)\n"));
}

TEST(Workspace, IgnoreRulesDoNotDropFilesTheProjectHas) {
  testing::TempDir dir;
  put(dir.path(), "model.py", "m");
  put(dir.path(), "data/tracked.tmp", "kept");
  put(dir.path(), "data/new.tmp", "new");
  const auto rules = IgnoreRules::with_defaults("*.tmp\n");
  auto local = scan_folder(dir.path(), rules);
  ASSERT_TRUE(local);
  const FileHashes base{{"model.py", sha256_hex("m")},
                        {"data/tracked.tmp", sha256_hex("kept")},
                        {"gone.tmp", sha256_hex("x")}};
  ASSERT_TRUE(add_tracked_files(dir.path(), base, *local));
  EXPECT_TRUE(local->contains("data/tracked.tmp"));
  EXPECT_FALSE(local->contains("data/new.tmp"));
  // A tracked file removed from disk is a deletion, ignored or not.
  EXPECT_EQ(diff(base, *local), (std::vector<Change>{{"gone.tmp", ChangeKind::kDeleted}}));
}

TEST(Workspace, ScanRefusesAFileOverTheLimitNamingIt) {
  testing::TempDir dir;
  put(dir.path(), "big.bin", std::string(100, 'x'));
  auto files = scan_folder(dir.path(), IgnoreRules::with_defaults(""), {.max_file_bytes = 99});
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(files.error().message.find("big.bin"), std::string::npos);
}

TEST(Workspace, DiffListsAddedModifiedAndDeletedByPath) {
  const FileHashes base{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  const FileHashes local{{"a", "1"}, {"b", "9"}, {"d", "4"}};
  EXPECT_EQ(diff(base, local), (std::vector<Change>{{"b", ChangeKind::kModified},
                                                    {"c", ChangeKind::kDeleted},
                                                    {"d", ChangeKind::kAdded}}));
  EXPECT_TRUE(diff(base, base).empty());
}

TEST(Workspace, Sha256AndUtf8) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(is_utf8("plain ascii"));
  EXPECT_TRUE(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_utf8("\xff"));
  EXPECT_FALSE(is_utf8("\xc3"));          // cut short
  EXPECT_FALSE(is_utf8("\xc0\x80"));      // overlong
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));  // a surrogate
}

}  // namespace
}  // namespace orsa::cli
