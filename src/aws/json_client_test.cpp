#include "aws/json_client.hpp"

#include <gtest/gtest.h>

namespace orsa::aws {
namespace {

TEST(AwsErrors, CodesMapToOurVocabularyAndTheMessageSaysWhichCall) {
  const auto as = [](int status, std::string code) {
    return to_error({.status = status, .code = std::move(code), .message = "m", .request_id = "r1"},
                    "ecr CreateRepository");
  };
  EXPECT_EQ(as(400, "RepositoryNotFoundException").code, ErrorCode::kNotFound);
  EXPECT_EQ(as(400, "RepositoryAlreadyExistsException").code, ErrorCode::kConflict);
  EXPECT_EQ(as(400, "InvalidParameterException").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(as(400, "ValidationException").code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(as(400, "UnrecognizedClientException").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(as(403, "InvalidSignatureException").code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(as(400, "AccessDeniedException").code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(as(400, "ThrottlingException").code, ErrorCode::kRateLimited);
  EXPECT_EQ(as(503, "ServiceUnavailableException").code, ErrorCode::kUnavailable);
  EXPECT_EQ(as(400, "LimitExceededException").code, ErrorCode::kUnprocessable);
  EXPECT_EQ(as(400, "RepositoryNotFoundException").message,
            "ecr CreateRepository: RepositoryNotFoundException: m (request id r1)");
  EXPECT_TRUE(is_throttling({.status = 429}));
  EXPECT_FALSE(is_throttling({.status = 400, .code = "InvalidParameterException"}));
}

TEST(AwsEndpoints, DefaultUrlsFollowTheRegionsDomain) {
  EXPECT_EQ(default_url("api.ecr", "eu-west-1"), "https://api.ecr.eu-west-1.amazonaws.com");
  EXPECT_EQ(default_url("ecs", "cn-north-1"), "https://ecs.cn-north-1.amazonaws.com.cn");
}

}  // namespace
}  // namespace orsa::aws
