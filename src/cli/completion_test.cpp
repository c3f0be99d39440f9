#include "cli/completion.hpp"

#include <gtest/gtest.h>

namespace orsa::cli {
namespace {

const std::vector<CompletionNode> kTree = {{"", {"login", "tokens", "--help"}},
                                           {"tokens", {"create", "ls"}},
                                           {"tokens create", {"--scope"}}};

TEST(Completion, BashHasEveryPathAndItsWords) {
  const std::string script = bash_completion("orsa", kTree);
  EXPECT_NE(script.find("[\"orsa\"]=\"login tokens --help\""), std::string::npos);
  EXPECT_NE(script.find("[\"orsa tokens\"]=\"create ls\""), std::string::npos);
  EXPECT_NE(script.find("[\"orsa tokens create\"]=\"--scope\""), std::string::npos);
  EXPECT_NE(script.find("complete -o filenames -F _orsa_complete orsa"), std::string::npos);
}

TEST(Completion, ZshUsesTheBashLayer) {
  const std::string script = zsh_completion("orsa", kTree);
  EXPECT_TRUE(script.starts_with("#compdef orsa\n"));
  EXPECT_NE(script.find("bashcompinit"), std::string::npos);
  EXPECT_NE(script.find("_orsa_complete"), std::string::npos);
}

}  // namespace
}  // namespace orsa::cli
