// services::ExampleCatalog: the examples compiled in from examples/, and how
// a README becomes a title and a summary.

#include "services/examples.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace orsa::services {
namespace {

TEST(ExampleCatalog, ListsTheFourExamplesSortedAndTitledByTheirReadmes) {
  const auto examples = ExampleCatalog::list();
  std::vector<std::string> names;
  for (const auto& e : examples) names.push_back(e.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"blend", "facility-location", "sudoku", "transportation"}));
  for (const auto& e : examples) {
    EXPECT_FALSE(e.title.empty()) << e.name;
    EXPECT_NE(e.title, e.name) << e.name << " has no heading";
    EXPECT_FALSE(e.summary.empty()) << e.name;
    EXPECT_LT(e.summary.size(), 200u) << e.name << "'s summary is not one line";
  }
  EXPECT_EQ(examples.back().title, "Transportation: beer distribution");
}

TEST(ExampleCatalog, AnExampleHasTheFilesOfAProject) {
  for (const auto& e : ExampleCatalog::list()) {
    auto files = ExampleCatalog::files(e.name);
    ASSERT_TRUE(files) << files.error().message;
    std::vector<std::string> paths;
    for (const auto& f : *files) paths.push_back(f.path);
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths, (std::vector<std::string>{"README.md", "input.json", "model.py", "orsa.toml"}))
        << e.name;
  }
  auto transportation = ExampleCatalog::files("transportation");
  ASSERT_TRUE(transportation);
  const auto model = std::find_if(transportation->begin(), transportation->end(),
                                  [](const source::File& f) { return f.path == "model.py"; });
  ASSERT_NE(model, transportation->end());
  EXPECT_NE(model->content.find("def solve("), std::string::npos);
}

TEST(ExampleCatalog, AnUnknownNameIsInvalidAndListsTheKnownOnes) {
  for (const std::string_view name : {"knapsack", "", "blend/model.py", "../blend", "blen"}) {
    auto files = ExampleCatalog::files(name);
    ASSERT_FALSE(files) << name;
    EXPECT_EQ(files.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(files.error().message.find("blend, facility-location, sudoku, transportation"),
              std::string::npos)
        << files.error().message;
  }
}

TEST(ExampleCatalog, DescribeTakesTheFirstHeadingAndTheFirstParagraph) {
  const auto info = ExampleCatalog::describe(
      "x", "\n# Title here  \n\nFirst line\nsecond line.\n\nNot this.\n## Section\n");
  EXPECT_EQ(info.title, "Title here");
  EXPECT_EQ(info.summary, "First line second line.");

  const auto bare = ExampleCatalog::describe("bare", "no heading at all\n");
  EXPECT_EQ(bare.title, "bare");
  EXPECT_EQ(bare.summary, "");

  const auto sections = ExampleCatalog::describe("s", "# T\n## Only sections\ntext\n");
  EXPECT_EQ(sections.title, "T");
  EXPECT_EQ(sections.summary, "");
}

}  // namespace
}  // namespace orsa::services
