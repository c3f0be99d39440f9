#include "source/limits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orsa::source {
namespace {

TEST(ValidatePath, ReturnsTheNormalForm) {
  const std::pair<std::string, std::string> cases[] = {
      {"app.py", "app.py"},
      {"src/main.py", "src/main.py"},
      {"./a/b", "a/b"},
      {"a//b", "a/b"},
      {"a/b/", "a/b"},
      {"dir/.gitignore", "dir/.gitignore"},
      {".github/ci.yml", ".github/ci.yml"},
      {"a/.git-x", "a/.git-x"},
      {"ünïcode.txt", "ünïcode.txt"},
      {"..a/b..", "..a/b.."},
  };
  for (const auto& [in, out] : cases) {
    auto r = validate_path(in);
    ASSERT_TRUE(r) << in << ": " << r.error().message;
    EXPECT_EQ(*r, out) << in;
  }
}

TEST(ValidatePath, RejectsEachBadClassNamingPathAndRule) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "must not be empty"},
      {"/etc/passwd", "must be relative"},
      {"a/../b", "'..' segments"},
      {"..", "'..' segments"},
      {"a/./b", "'.' segments"},
      {".", "'.' segments"},
      {"././a", "'.' segments"},
      {".git/config", "'.git' segment"},
      {"a/.GIT/hooks/x", "'.git' segment"},
      {"a/.Git", "'.git' segment"},
      {".git./x", "'.git' segment"},
      {"GIT~1/config", "'.git' segment"},
      {std::string("a\0b", 3), "control characters"},
      {"a\nb", "control characters"},
      {"a\x7f", "control characters"},
      {"a\\b", "backslashes"},
      {"./", "must name a file"},
      {"//", "must be relative"},
  };
  for (const auto& [in, rule] : cases) {
    auto r = validate_path(in);
    ASSERT_FALSE(r) << in;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << in;
    EXPECT_NE(r.error().message.find(rule), std::string::npos) << in << ": " << r.error().message;
    EXPECT_EQ(r.error().message.rfind("path '", 0), 0u) << r.error().message;
  }
}

TEST(ValidatePath, MessageQuotesPathAndEscapesControlBytes) {
  EXPECT_EQ(validate_path("a/../b").error().message,
            "path 'a/../b' must not contain '..' segments");
  EXPECT_EQ(validate_path("a\nb").error().message,
            "path 'a\\x0ab' must not contain control characters");
}

TEST(ValidatePath, EnforcesTheByteLimitOnTheNormalForm) {
  const Limits limits{.max_path_bytes = 10};
  EXPECT_TRUE(validate_path(std::string(10, 'a'), limits));
  EXPECT_TRUE(validate_path("./" + std::string(10, 'a'), limits));
  auto r = validate_path(std::string(11, 'a'), limits);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is 11 bytes; the limit is 10"), std::string::npos);
  EXPECT_FALSE(validate_path(std::string(300, 'a')));  // default limit 255
}

TEST(ValidatePath, CutsVeryLongPathsInMessages) {
  auto r = validate_path(std::string(5000, 'a'));
  ASSERT_FALSE(r);
  EXPECT_LT(r.error().message.size(), 300u);
}

}  // namespace
}  // namespace orsa::source
