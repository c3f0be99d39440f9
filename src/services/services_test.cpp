#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "services/accounts.hpp"
#include "services/templates.hpp"

namespace orsa::services {
namespace {

TEST(Accounts, NormalizesEmails) {
  EXPECT_EQ(normalize_email("  Ada@Example.ORG ").value(), "ada@example.org");
  for (const char* bad : {"", "   ", "no-at", "@x", "x@", "a@b@c", "a b@c", "<a>@b"}) {
    EXPECT_FALSE(normalize_email(bad)) << bad;
  }
}

TEST(Templates, PythonFlaskStarterHasTheModel) {
  EXPECT_EQ(TemplateCatalog::names(), std::vector<std::string>{"python-flask"});
  auto files = TemplateCatalog::starter_files("python-flask");
  ASSERT_TRUE(files);
  std::set<std::string> paths;
  for (const auto& f : *files) paths.insert(f.path);
  EXPECT_EQ(paths, (std::set<std::string>{"README.md", "input.json", "model.py", "orsa.toml"}));
  auto unknown = TemplateCatalog::starter_files("cobol");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("python-flask"), std::string::npos);
}

}  // namespace
}  // namespace orsa::services
