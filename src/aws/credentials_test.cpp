#include "aws/credentials.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "testing/child_process.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::aws {
namespace {

EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(AwsCredentials, TheEnvironmentComesFirst) {
  auto c = environment_credentials(env_of({{"AWS_ACCESS_KEY_ID", "AKID"},
                                           {"AWS_SECRET_ACCESS_KEY", "secret"},
                                           {"AWS_SESSION_TOKEN", "token"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "secret");
  EXPECT_EQ(c->session_token, "token");
  EXPECT_EQ(environment_credentials(env_of({{"AWS_ACCESS_KEY_ID", "AKID"}})).error().code,
            ErrorCode::kNotFound);
}

TEST(AwsCredentials, AProfileOfTheSharedFilesGivesKeysAndRegion) {
  testing::TempDir home;
  write(home.path() / ".aws" / "credentials",
        "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"
        "[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=s2\naws_session_token = t2\n");
  write(home.path() / ".aws" / "config",
        "[default]\nregion = eu-west-1\n[profile ci]\nregion = us-east-2\ns3 =\n"
        "  max_concurrent_requests = 4\n[profile only-config]\naws_access_key_id = AKIDCFG\n"
        "aws_secret_access_key = s3\n");
  const std::string h = home.path().string();
  auto fallback = profile_credentials(env_of({{"HOME", h}}));
  ASSERT_TRUE(fallback) << fallback.error().message;
  EXPECT_EQ(fallback->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(configured_region(env_of({{"HOME", h}})), "eu-west-1");

  auto ci = profile_credentials(env_of({{"HOME", h}, {"AWS_PROFILE", "ci"}}));
  ASSERT_TRUE(ci) << ci.error().message;
  EXPECT_EQ(ci->access_key_id, "AKIDCI");
  EXPECT_EQ(ci->session_token, "t2");
  EXPECT_EQ(configured_region(env_of({{"HOME", h}, {"AWS_PROFILE", "ci"}})), "us-east-2");
  EXPECT_EQ(configured_region(env_of({{"HOME", h}, {"AWS_REGION", "ap-south-1"}})), "ap-south-1");

  auto cfg = profile_credentials(env_of({{"HOME", h}, {"AWS_PROFILE", "only-config"}}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->access_key_id, "AKIDCFG");
  EXPECT_EQ(profile_credentials(env_of({{"HOME", h}, {"AWS_PROFILE", "nope"}})).error().code,
            ErrorCode::kNotFound);
}

TEST(AwsCredentials, ProfilesThatRunProgramsOrAssumeRolesAreRefused) {
  testing::TempDir dir;
  write(dir.path() / "credentials", "[default]\ncredential_process = /bin/evil\n");
  const auto refused = profile_credentials(
      env_of({{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()}}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("credential_process"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("/bin/evil"), std::string::npos);

  write(dir.path() / "big", std::string(2 * 1024 * 1024, '#'));
  EXPECT_EQ(
      profile_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "big").string()}}))
          .error()
          .code,
      ErrorCode::kTooLarge);
  EXPECT_EQ(profile_credentials(env_of({{"HOME", dir.path().string()}})).error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orsa::aws

namespace orsa::aws {
namespace {

// The endpoints beside a workload, faked by testdata/metadata_server.py.
class MetadataEndpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::eventually(std::chrono::seconds(10),
                                    [&] { return server_.out().find('\n') != std::string::npos; }));
    url_ = "http://127.0.0.1:" + server_.out().substr(0, server_.out().find('\n'));
  }
  testing::ChildProcess server_{
      {.argv = {"/usr/bin/python3", std::string(ORSA_AWS_TESTDATA) + "/metadata_server.py"}}};
  std::string url_;
};

constexpr auto kTimeout = std::chrono::seconds(2);

TEST_F(MetadataEndpoints, AnEcsTaskRoleGivesTemporaryCredentials) {
  auto c = container_credentials(
      env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url_ + "/ecs/creds"},
              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-authorization-token"}}),
      kTimeout);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAECS");
  EXPECT_EQ(c->session_token, "ECS-session");
  EXPECT_EQ(c->expires_at, 4070908800);
  // A wrong token is refused by the endpoint; a remote plain-HTTP URI by us.
  EXPECT_FALSE(container_credentials(
      env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url_ + "/ecs/creds"}}), kTimeout));
  EXPECT_EQ(container_credentials(
                env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://attacker.example/creds"}}),
                kTimeout)
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(container_credentials(env_of({}), kTimeout).error().code, ErrorCode::kNotFound);
}

TEST_F(MetadataEndpoints, AnInstanceRoleIsReadThroughImdsV2) {
  auto c = instance_credentials(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", url_}}), kTimeout);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAEC2");
  EXPECT_EQ(c->source, "instance role orsa-node-role");
  EXPECT_EQ(instance_credentials(
                env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"}}), kTimeout)
                .error()
                .code,
            ErrorCode::kNotFound);
}

TEST_F(MetadataEndpoints, TheChainTakesTheFirstSourceAndKeepsWhatItGot) {
  testing::TempDir home;
  CredentialChain chain(
      env_of({{"HOME", home.path().string()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", url_}}),
      kTimeout);
  auto first = chain.get();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->access_key_id, "ASIAEC2");
  ASSERT_TRUE(chain.get());  // from the cache: the keys are valid until 2099
  auto counts = testing::ChildProcess({.argv = {"/usr/bin/curl", "-s", url_ + "/count"}});
  ASSERT_EQ(counts.wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(counts.out().find("\"/latest/meta-data/iam/security-credentials/orsa-node-role\": 1"),
            std::string::npos)
      << counts.out();

  CredentialChain env_first(env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                    {"AWS_SECRET_ACCESS_KEY", "s"},
                                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", url_}}));
  EXPECT_EQ(env_first.get().value().access_key_id, "AKIDENV");
}

}  // namespace
}  // namespace orsa::aws
