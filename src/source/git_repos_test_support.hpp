#pragma once

// What the GitRepos tests share: a fixture with repositories in a temp dir.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/random.hpp"
#include "source/repos.hpp"

namespace orsa::source::git_testing {

namespace fs = std::filesystem;

const Author kAda{"Ada Lovelace", "ada@example.com", 1'700'000'000};
const RepoId kRepo{"ada", "knapsack"};

// Runs a shell command, returning its exit status and standard output.
inline std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return {-1, out};
  std::array<char, 4096> buf{};
  while (auto n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  return {pclose(pipe), out};
}

class GitReposTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("orsa-source-test-" + random_hex(8));
    repos_ = make_git_repos(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path git_dir(const RepoId& repo = kRepo) const {
    return root_ / repo.owner / (repo.name + ".git");
  }
  std::string git(const std::string& args) const {
    return run("git --git-dir '" + git_dir().string() + "' " + args).second;
  }
  bool fsck_ok() const {
    return run("git --git-dir '" + git_dir().string() + "' fsck --strict").first == 0;
  }
  std::string object_count() const { return git("count-objects"); }

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

  fs::path root_;
  std::unique_ptr<SourceRepos> repos_;
};

}  // namespace orsa::source::git_testing
