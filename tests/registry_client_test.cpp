// oci::RegistryClient against the embedded registry of a real orsa-deployer:
// the same client the builder uses to push and the deployer to pull.

#include "oci/registry_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/random.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "support/api_client.hpp"
#include "support/deployer_process.hpp"

namespace orsa::testing {
namespace {

struct Image {
  std::string config;
  std::string layer;
  std::string manifest;
};

Image make_image(std::size_t layer_size) {
  Image image;
  image.layer = random_bytes(layer_size);
  oci::ImageConfig config;
  config.created = "2024-01-01T00:00:00Z";
  config.cmd = {"/bin/true"};
  config.diff_ids = {oci::Digest::of(image.layer)};
  image.config = oci::serialize(config);
  oci::ImageManifest manifest;
  manifest.config = {.media_type = std::string(oci::kOciConfig),
                     .digest = oci::Digest::of(image.config),
                     .size = static_cast<std::int64_t>(image.config.size())};
  manifest.layers = {{.media_type = std::string(oci::kOciLayerGzip),
                      .digest = oci::Digest::of(image.layer),
                      .size = static_cast<std::int64_t>(image.layer.size())}};
  image.manifest = oci::serialize(manifest);
  return image;
}

class RegistryClientDeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    deployer_ = DeployerProcess::start();
    api_ = std::make_unique<ApiClient>(deployer_->url());
  }

  oci::RegistryClient client(const std::string& user, const std::string& password,
                             std::int64_t chunk_size = 8 * 1024 * 1024) {
    auto c =
        oci::RegistryClient::create({.base_url = deployer_->url(),
                                     .credentials = oci::RegistryCredentials::basic(user, password),
                                     .chunk_size = chunk_size});
    EXPECT_TRUE(c);
    return std::move(*c);
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
};

TEST_F(RegistryClientDeployerTest, PushesMountsAndPullsThroughTheEmbeddedRegistry) {
  // An admin pushes a base image (chunked) into the reserved namespace.
  auto admin = client("admin", DeployerProcess::kAdminPassword, 64 * 1024);
  const Image base = make_image(300'000);
  auto pushed = admin.push_image("orsa/base-it", "1", base.manifest, base.config,
                                 {std::string_view(base.layer)});
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->blobs_uploaded, 2);
  EXPECT_EQ(pushed->manifest_digest, oci::Digest::of(base.manifest));
  auto again = admin.push_image("orsa/base-it", "1", base.manifest, base.config,
                                {std::string_view(base.layer)});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->blobs_skipped, 2);
  EXPECT_EQ(again->bytes_uploaded, 0);

  // Alice's build reuses the base by mounting it: nothing re-uploaded.
  const std::string alice_token = api_->register_user("alice");
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "app"}}, alice_token).status, 201);
  auto alice = client("alice", "password-1234");
  auto mounted = alice.push_image("alice/app", "1", base.manifest, base.config,
                                  {std::string_view(base.layer)}, "orsa/base-it");
  ASSERT_TRUE(mounted) << mounted.error().message;
  EXPECT_EQ(mounted->blobs_uploaded, 0);
  EXPECT_EQ(mounted->bytes_uploaded, 0);

  auto manifest = alice.get_manifest("alice/app", "1");
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->bytes, base.manifest);
  EXPECT_EQ(manifest->media_type, oci::kOciManifest);
  auto by_digest = alice.get_manifest("alice/app", manifest->digest.str());
  ASSERT_TRUE(by_digest) << by_digest.error().message;
  auto layer = alice.get_blob_bytes("alice/app", oci::Digest::of(base.layer), 1 << 20);
  ASSERT_TRUE(layer) << layer.error().message;
  EXPECT_EQ(*layer, base.layer);
  EXPECT_EQ(alice.list_tags("alice/app").value(), std::vector<std::string>{"1"});

  // Bob sees nothing of alice's repository.
  api_->register_user("bob");
  auto bob = client("bob", "password-1234");
  auto hidden = bob.get_manifest("alice/app", "1");
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);

  auto wrong = client("alice", "not-her-password");
  auto denied = wrong.list_tags("alice/app");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(RegistryClientDeployerTest, DigestMismatchIsRejected) {
  auto admin = client("admin", DeployerProcess::kAdminPassword);
  const std::string blob = random_bytes(1000);
  const auto claimed = oci::Digest::of("other content");
  auto pushed = admin.push_blob("orsa/base-it", claimed, std::string_view(blob));
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().registry_code, "DIGEST_INVALID") << pushed.error().message;
  EXPECT_FALSE(admin.blob_exists("orsa/base-it", claimed).value());
}

}  // namespace
}  // namespace orsa::testing
