#include "context.hpp"

#include <gtest/gtest.h>

namespace orsa::cli {
namespace {

TEST(Context, ProjectNamesSplitIntoOwnerAndName) {
  auto parts = split_project("alice/knapsack");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "alice");
  EXPECT_EQ(parts->second, "knapsack");
  for (const char* bad : {"knapsack", "/knapsack", "alice/", "a/b/c", ""}) {
    auto wrong = split_project(bad);
    ASSERT_FALSE(wrong) << bad;
    EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(Context, CellsShowJsonFieldsAsText) {
  const Json doc = {{"s", "text"}, {"n", 3}, {"b", true}, {"z", nullptr}};
  EXPECT_EQ(cell(doc, "s"), "text");
  EXPECT_EQ(cell(doc, "n"), "3");
  EXPECT_EQ(cell(doc, "b"), "yes");
  EXPECT_EQ(cell(doc, "z"), "");
  EXPECT_EQ(cell(doc, "missing"), "");
  EXPECT_EQ(cell(Json::array(), "s"), "");
}

TEST(Context, ClientsNeedAServerAndAToken) {
  ::setenv("XDG_CONFIG_HOME", "/nonexistent-orsa-config", 1);
  ::unsetenv("ORSA_TOKEN");
  Context ctx;
  ctx.options.server = "http://127.0.0.1:1";
  auto client = ctx.client();
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kUnauthenticated);
  ::setenv("ORSA_TOKEN", "orsa_x", 1);
  client = ctx.client();
  ASSERT_TRUE(client);
  EXPECT_EQ(client->server(), "http://127.0.0.1:1");
  EXPECT_EQ(client->token(), "orsa_x");
  ::unsetenv("ORSA_TOKEN");
}

}  // namespace
}  // namespace orsa::cli
