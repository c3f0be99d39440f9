#include "cli/ignore.hpp"

#include <gtest/gtest.h>

namespace orsa::cli {
namespace {

TEST(Glob, StarsQuestionMarksAndClasses) {
  EXPECT_TRUE(glob_match("*.pyc", "model.pyc"));
  EXPECT_FALSE(glob_match("*.pyc", "a/model.pyc"));  // '*' never crosses '/'
  EXPECT_TRUE(glob_match("data?.csv", "data1.csv"));
  EXPECT_FALSE(glob_match("data?.csv", "data10.csv"));
  EXPECT_TRUE(glob_match("[abc].txt", "b.txt"));
  EXPECT_FALSE(glob_match("[!abc].txt", "b.txt"));
  EXPECT_TRUE(glob_match("[a-c]x", "cx"));
  EXPECT_TRUE(glob_match("\\*lit", "*lit"));
  EXPECT_FALSE(glob_match("\\*lit", "xlit"));
  EXPECT_TRUE(glob_match("[unclosed", "[unclosed"));
}

TEST(Glob, DoubleStarMatchesAnyNumberOfDirectories) {
  EXPECT_TRUE(glob_match("**/out.log", "out.log"));
  EXPECT_TRUE(glob_match("**/out.log", "a/b/out.log"));
  EXPECT_TRUE(glob_match("docs/**", "docs/a/b.md"));
  EXPECT_TRUE(glob_match("a/**/z", "a/z"));
  EXPECT_TRUE(glob_match("a/**/z", "a/b/c/z"));
  EXPECT_FALSE(glob_match("a/**/z", "b/z"));
}

TEST(IgnoreRules, DefaultsLeaveOutCachesEnvironmentsAndTheLinkFolder) {
  const auto rules = IgnoreRules::with_defaults("");
  EXPECT_TRUE(rules.ignored("__pycache__", true));
  EXPECT_TRUE(rules.ignored("pkg/__pycache__/m.cpython-311.pyc", false));
  EXPECT_TRUE(rules.ignored(".venv/bin/python", false));
  EXPECT_TRUE(rules.ignored(".orsa/project.toml", false));
  EXPECT_FALSE(rules.ignored("model.py", false));
  EXPECT_FALSE(rules.ignored(".orsaignore", false));
}

TEST(IgnoreRules, UnanchoredPatternsMatchNamesAtAnyDepth) {
  const auto rules = IgnoreRules::parse("*.log\n# a comment\n\nsecrets.env\n");
  EXPECT_TRUE(rules.ignored("run.log", false));
  EXPECT_TRUE(rules.ignored("deep/down/run.log", false));
  EXPECT_TRUE(rules.ignored("conf/secrets.env", false));
  EXPECT_FALSE(rules.ignored("run.log.txt", false));
}

TEST(IgnoreRules, LeadingOrInnerSlashAnchorsAtTheRoot) {
  const auto rules = IgnoreRules::parse("/build\ndata/raw\n");
  EXPECT_TRUE(rules.ignored("build", true));
  EXPECT_TRUE(rules.ignored("build/x.o", false));
  EXPECT_FALSE(rules.ignored("src/build", true));
  EXPECT_TRUE(rules.ignored("data/raw", true));
  EXPECT_FALSE(rules.ignored("other/data/raw", true));
}

TEST(IgnoreRules, TrailingSlashMatchesOnlyDirectories) {
  const auto rules = IgnoreRules::parse("out/\n");
  EXPECT_TRUE(rules.ignored("out", true));
  EXPECT_TRUE(rules.ignored("out/result.json", false));
  EXPECT_FALSE(rules.ignored("out", false));  // a file named "out" stays
}

TEST(IgnoreRules, NegationReincludesUnlessTheDirectoryIsIgnored) {
  const auto rules = IgnoreRules::parse("*.json\n!input.json\nlogs/\n!logs/keep.txt\n");
  EXPECT_TRUE(rules.ignored("result.json", false));
  EXPECT_FALSE(rules.ignored("input.json", false));
  EXPECT_FALSE(rules.ignored("sub/input.json", false));
  EXPECT_TRUE(rules.ignored("logs/keep.txt", false));  // as in git
}

TEST(IgnoreRules, TheFileMayReincludeADefault) {
  const auto rules = IgnoreRules::with_defaults("!.venv/\n");
  EXPECT_FALSE(rules.ignored(".venv/pyvenv.cfg", false));
  EXPECT_TRUE(rules.ignored(".orsa/project.toml", false));
}

}  // namespace
}  // namespace orsa::cli
