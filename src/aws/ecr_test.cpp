#include "aws/ecr.hpp"

#include <gtest/gtest.h>

namespace orsa::aws {
namespace {

TEST(EcrNames, RepositoryNamesAreCheckedBeforeAnyCall) {
  EXPECT_TRUE(EcrClient::valid_repository_name("alice/knapsack"));
  EXPECT_TRUE(EcrClient::valid_repository_name("orsa/base-python-or"));
  EXPECT_FALSE(EcrClient::valid_repository_name("Alice/Knapsack"));
  EXPECT_FALSE(EcrClient::valid_repository_name("a"));
  EXPECT_FALSE(EcrClient::valid_repository_name("/alice"));
  EXPECT_FALSE(EcrClient::valid_repository_name("alice//x"));
  EXPECT_FALSE(EcrClient::valid_repository_name(std::string(257, 'a')));
  // Refused without a request: no credentials are even asked for.
  bool asked = false;
  EcrClient ecr({.endpoint = {.region = "us-east-1", .url = "http://127.0.0.1:1"},
                 .credentials = [&]() -> Result<Credentials> {
                   asked = true;
                   return Credentials{.access_key_id = "AKID", .secret_access_key = "s"};
                 }});
  EXPECT_EQ(ecr.ensure_repository("../etc", {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(asked);
}

}  // namespace
}  // namespace orsa::aws
