#include <gtest/gtest.h>

#include <string>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class DeploymentStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(DeploymentStoreTest);

TEST_P(DeploymentStoreTest, DeploymentsAreScopedSavedAndCountedPerImage) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto image =
      store_->images().create({alice.id, knap.id, "bld_1", "alice/knap", "1",
                               "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')});
  ASSERT_TRUE(image) << image.error().message;
  auto created = store_->deployments().create(
      {knap.id, image->id, Visibility::kPublic, 256, 500, R"({"MODE":"fast"})", 900, 4096, 3, 2});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->id.starts_with("dep_"));
  EXPECT_EQ(created->owner_id, alice.id);
  EXPECT_EQ(created->owner_username, "alice");
  EXPECT_EQ(created->project_name, "knap");
  EXPECT_EQ(created->image_tag, "1");
  EXPECT_EQ(created->status, DeploymentStatus::kPending);
  EXPECT_TRUE(created->desired_running);
  EXPECT_EQ(created->visibility, Visibility::kPublic);
  EXPECT_EQ(created->cpu_millis, 500);
  EXPECT_EQ(created->env_json, R"({"MODE":"fast"})");
  EXPECT_EQ(created->timeout_s, 900);
  EXPECT_EQ(created->max_body_bytes, 4096);
  EXPECT_EQ(created->workers, 3);
  EXPECT_EQ(created->replicas, 2);
  EXPECT_FALSE(created->started_at);

  EXPECT_EQ(store_->deployments().create({"prj_missing", image->id}).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->deployments().find(OwnerScope::of(bob.id), created->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->deployments().list(OwnerScope::of(bob.id), std::nullopt).value().empty());
  EXPECT_EQ(store_->deployments().list(OwnerScope::of(alice.id), knap.id).value().size(), 1u);

  clock_.advance(5);
  Deployment changed = *created;
  changed.status = DeploymentStatus::kHealthy;
  changed.container_id = "c0ffee";
  changed.host_port = 41234;
  changed.upstream_host = "10.89.3.2";
  changed.started_at = 77;
  changed.restarts = 2;
  auto saved = store_->deployments().save(changed);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->status, DeploymentStatus::kHealthy);
  EXPECT_EQ(saved->container_id, "c0ffee");
  EXPECT_EQ(saved->host_port, 41234);
  EXPECT_EQ(saved->upstream_host, "10.89.3.2");
  EXPECT_EQ(saved->started_at, 77);
  EXPECT_EQ(saved->restarts, 2);
  EXPECT_EQ(saved->updated_at, created->updated_at + 5);
  EXPECT_EQ(store_->deployments().count_using_image(image->id).value(), 1);
  ASSERT_TRUE(store_->deployments().record_last_request(created->id, 500));
  ASSERT_TRUE(store_->deployments().record_last_request(created->id, 400));  // never moves back
  EXPECT_EQ(store_->deployments().find(OwnerScope::everyone(), created->id)->last_request_at, 500);
  EXPECT_EQ(store_->deployments().find(OwnerScope::everyone(), created->id)->status,
            DeploymentStatus::kHealthy);

  EXPECT_EQ(store_->deployments().remove(OwnerScope::of(bob.id), created->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->deployments().remove(OwnerScope::of(alice.id), created->id));
  EXPECT_EQ(store_->deployments().count_using_image(image->id).value(), 0);
  Deployment gone = *created;
  EXPECT_EQ(store_->deployments().save(gone).error().code, ErrorCode::kNotFound);
}

TEST_P(DeploymentStoreTest, DeploymentNamesRoundTrip) {
  for (auto status :
       {DeploymentStatus::kPending, DeploymentStatus::kPulling, DeploymentStatus::kStarting,
        DeploymentStatus::kHealthy, DeploymentStatus::kFailed, DeploymentStatus::kStopped,
        DeploymentStatus::kCrashloop}) {
    EXPECT_EQ(parse_deployment_status(deployment_status_name(status)), status);
  }
  EXPECT_FALSE(parse_deployment_status("running"));
  EXPECT_EQ(parse_visibility("public"), Visibility::kPublic);
  EXPECT_FALSE(parse_visibility("secret"));
}

}  // namespace
}  // namespace orsa::store
