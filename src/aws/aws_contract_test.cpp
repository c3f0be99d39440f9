// ORSA's AWS clients against the AWS stand-in that
// tests/aws/client_contract_test.sh starts: every request is validated by
// botocore's model of the service and re-signed by botocore and the AWS C
// runtime (tests/aws/standin). A contract test; nothing here reaches AWS.

#include <gtest/gtest.h>

#include <cstdlib>

#include "aws/ecr.hpp"
#include "aws/logs.hpp"

namespace orsa::aws {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once per test
  if (value == nullptr)
    ADD_FAILURE() << name << " is not set: run tests/aws/client_contract_test.sh";
  return value == nullptr ? "" : value;
}

JsonClientOptions options(Credentials credentials, std::string url = env("ORSA_TEST_AWS_URL")) {
  return {.endpoint = {.region = "us-east-1", .url = std::move(url)},
          .credentials = [credentials] { return Result<Credentials>(credentials); },
          .base_delay = std::chrono::milliseconds(20)};
}

Credentials good() {
  return {.access_key_id = "AKIDORSATEST", .secret_access_key = env("ORSA_TEST_AWS_SECRET")};
}

TEST(AwsContract, ARepositoryIsMadeOnceFoundListedAndDeleted) {
  EcrClient ecr(options(good()));
  auto made = ecr.ensure_repository("alice/knapsack", {});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->name, "alice/knapsack");
  EXPECT_EQ(made->uri, made->registry_id + ".dkr.ecr.us-east-1.amazonaws.com/alice/knapsack");
  auto again = ecr.ensure_repository("alice/knapsack", {.scan_on_push = true});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->arn, made->arn);
  auto found = ecr.find_repository("alice/knapsack");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->arn, made->arn);
  auto images = ecr.images("alice/knapsack");
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_TRUE(images->empty());
  // Deleting is idempotent: an image ECR no longer holds (ImageNotFound) is
  // what the caller wanted.
  const auto deleted = ecr.delete_images("alice/knapsack", {"sha256:" + std::string(64, 'a')});
  EXPECT_TRUE(deleted) << deleted.error().message;
  ASSERT_TRUE(ecr.delete_repository("alice/knapsack", true));
  const auto gone = ecr.find_repository("alice/knapsack");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_NE(gone.error().message.find("RepositoryNotFoundException"), std::string::npos);
  EXPECT_NE(gone.error().message.find("request id"), std::string::npos);
}

TEST(AwsContract, ALoginIsUserAwsAndAShortLivedToken) {
  EcrClient ecr(options(good()));
  auto login = ecr.login();
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->username, "AWS");
  EXPECT_FALSE(login->password.empty());
  EXPECT_TRUE(login->endpoint.starts_with("https://"));
  EXPECT_GT(login->expires_at, 0);
}

TEST(AwsContract, TemporaryCredentialsSignWithTheirSessionToken) {
  Credentials temporary{.access_key_id = "ASIAORSATEST",
                        .secret_access_key = env("ORSA_TEST_AWS_TEMP_SECRET"),
                        .session_token = env("ORSA_TEST_AWS_TEMP_TOKEN")};
  EcrClient ecr(options(temporary));
  auto login = ecr.login();
  EXPECT_TRUE(login) << login.error().message;
  temporary.session_token = "not-the-token";
  EXPECT_FALSE(EcrClient(options(temporary)).login());
}

TEST(AwsContract, AWrongSecretIsRefusedAndNeverEchoed) {
  Credentials wrong = good();
  wrong.secret_access_key = "wrong-secret-value";
  auto refused = EcrClient(options(wrong)).login();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(refused.error().message.find("InvalidSignatureException"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("wrong-secret-value"), std::string::npos);
  Credentials stranger{.access_key_id = "AKIDUNKNOWN", .secret_access_key = "s"};
  EXPECT_EQ(EcrClient(options(stranger)).login().error().code, ErrorCode::kUnauthenticated);
}

// The second stand-in throttles the first two calls of each operation.
TEST(AwsContract, ThrottledCallsAreRetriedWithBackoff) {
  EcrClient ecr(options(good(), env("ORSA_TEST_AWS_THROTTLING_URL")));
  auto login = ecr.login();
  EXPECT_TRUE(login) << login.error().message;
  auto impatient = options(good(), env("ORSA_TEST_AWS_THROTTLING_URL"));
  impatient.max_attempts = 1;
  auto refused = EcrClient(impatient).find_repository("bob/never");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
}

TEST(AwsContract, LogEventsGoInBatchesAndComeBackInOrder) {
  LogsClient logs(options(good()));
  ASSERT_TRUE(logs.ensure_group("/orsa/deployments"));
  ASSERT_TRUE(logs.ensure_group("/orsa/deployments"));  // already there: fine
  ASSERT_TRUE(logs.ensure_stream("/orsa/deployments", "dep_1"));
  ASSERT_TRUE(logs.ensure_stream("/orsa/deployments", "dep_1"));
  // Out of order, an empty line, and more than one batch's worth of bytes.
  const std::int64_t t0 = 1'796'671'800'000;
  std::vector<LogEvent> events = {{t0 + 2, "third"}, {t0, "first"}, {t0 + 1, ""}};
  for (int i = 0; i < 5; ++i) events.push_back({t0 + 10 + i, std::string(300 * 1024, 'x')});
  auto put = logs.put("/orsa/deployments", "dep_1", events);
  ASSERT_TRUE(put) << put.error().message;
  auto page = logs.read("/orsa/deployments", "dep_1", true, "", 3);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[0].message, "first");
  EXPECT_EQ(page->events[1].message, " ");
  EXPECT_EQ(page->events[2].message, "third");
  auto rest = logs.read("/orsa/deployments", "dep_1", true, page->next_token, 100);
  ASSERT_TRUE(rest) << rest.error().message;
  ASSERT_EQ(rest->events.size(), 5u);
  EXPECT_EQ(rest->events[0].message.size(), LogsClient::kMaxMessageBytes);  // cut, not refused
  EXPECT_EQ(logs.read("/orsa/deployments", "nope", true, "", 10).error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orsa::aws
