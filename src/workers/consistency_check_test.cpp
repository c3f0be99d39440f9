#include "workers/consistency_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/temp_dir.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"

namespace orsa::workers {
namespace {

constexpr std::int64_t kNow = 4'000'000'000;

// A runtime holding containers and networks in memory; the check lists and removes only.
class ListOnlyRuntime final : public runtime::Runtime {
 public:
  std::vector<runtime::ContainerInfo> containers;
  std::vector<runtime::NetworkInfo> networks;

  Result<std::vector<runtime::ContainerInfo>> list(
      const std::map<std::string, std::string>& /*labels*/) override {
    return containers;
  }
  Result<void> remove(const std::string& id) override {
    std::erase_if(containers, [&](const auto& c) { return c.id == id; });
    return {};
  }
  Result<std::vector<runtime::NetworkInfo>> list_networks(
      const std::map<std::string, std::string>& /*labels*/) override {
    return networks;
  }
  Result<void> remove_network(const std::string& name) override {
    std::erase_if(networks, [&](const auto& n) { return n.name == name; });
    return {};
  }
  Result<void> pull(const std::string&, const runtime::RegistryAuth&) override { return no(); }
  Result<std::string> run(const runtime::ContainerSpec&) override { return no(); }
  Result<runtime::ContainerInfo> inspect(const std::string&) override { return no(); }
  Result<void> start(const std::string&) override { return no(); }
  Result<void> stop(const std::string&, std::chrono::seconds) override { return no(); }
  Result<void> logs(const std::string&, const runtime::LogOptions&,
                    const std::function<bool(const runtime::LogLine&)>&) override {
    return no();
  }
  Result<void> events(const std::map<std::string, std::string>&,
                      const std::function<bool(const runtime::Event*)>&) override {
    return no();
  }
  Result<void> remove_image(const std::string&) override { return no(); }
  Result<void> create_network(const runtime::NetworkSpec&) override { return no(); }

 private:
  static std::unexpected<Error> no() { return fail(Error::internal("not used by the check")); }
};

class ConsistencyCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
    blobs_ = oci::BlobStore::open(dir_.path() / "registry").value();
    registry_ = std::make_unique<oci::Registry>(*blobs_);
    auto owner =
        store_->users().create({"alice", "alice@example.org", "hash", Role::kDeveloper}).value();
    project_ = store_->projects().create({owner.id, "knapsack", "python-flask"}).value();
  }

  // Pushes an image under the build's number, as orsa-builder does.
  oci::Digest push(const store::Build& build) {
    const std::string config = "config " + build.id, layer = "layer " + build.id;
    for (const auto& bytes : {config, layer}) {
      EXPECT_TRUE(registry_->put_blob(kRepo, oci::Digest::of(bytes).str(), bytes));
    }
    auto descriptor = [](std::string_view type, std::string_view bytes) {
      return Json{
          {"mediaType", type}, {"digest", oci::Digest::of(bytes).str()}, {"size", bytes.size()}};
    };
    const std::string manifest =
        Json{{"schemaVersion", 2},
             {"mediaType", oci::kOciManifest},
             {"config", descriptor(oci::kOciConfig, config)},
             {"layers", Json::array({descriptor(oci::kOciLayerGzip, layer)})}}
            .dump();
    return registry_->put_manifest(kRepo, std::to_string(build.number), manifest, oci::kOciManifest)
        .value();
  }

  // A build that pushed and recorded its image.
  store::Image built_image() {
    auto build = store_->builds().create({project_.id, "sha"}).value();
    const auto digest = push(build);
    auto image = store_->images()
                     .create({project_.owner_id, project_.id, build.id, std::string(kRepo),
                              std::to_string(build.number), digest.str(), 100, "sha"})
                     .value();
    EXPECT_TRUE(store_->builds().update(
        build.id, {.status = store::BuildStatus::kSucceeded, .image_id = image.id}));
    return image;
  }

  CheckReport check(bool repair, bool server_running = false) {
    auto report =
        check_consistency(*store_, *blobs_, &runtime_,
                          {.repair = repair, .server_running = server_running, .now_unix = kNow});
    EXPECT_TRUE(report) << report.error().message;
    return report.value_or(CheckReport{});
  }

  static std::vector<std::string> kinds(const CheckReport& report) {
    std::vector<std::string> out;
    for (const auto& f : report.findings) out.push_back(f.kind);
    return out;
  }

  static constexpr std::string_view kRepo = "alice/knapsack";
  ManualClock clock_{kNow};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<oci::BlobStore> blobs_;
  std::unique_ptr<oci::Registry> registry_;
  store::Project project_;
  ListOnlyRuntime runtime_;
};

TEST_F(ConsistencyCheckTest, AHealthyDataDirIsClean) {
  built_image();
  const auto report = check(false);
  EXPECT_TRUE(report.findings.empty()) << report_text(report);
  EXPECT_EQ(report.remaining(), 0U);
  const Json json = Json::parse(report_json(report));
  EXPECT_EQ(json["clean"], true);
  EXPECT_TRUE(json["findings"].empty());
}

TEST_F(ConsistencyCheckTest, ABuildCutOffMidPushIsFailedAndItsTagRemoved) {
  auto build = store_->builds().create({project_.id, "sha"}).value();
  ASSERT_TRUE(store_->builds().update(
      build.id, {.status = store::BuildStatus::kRunning, .from = store::BuildStatus::kQueued}));
  push(build);  // pushed, then the deployer died before recording the image

  auto report = check(false);
  EXPECT_EQ(kinds(report), (std::vector<std::string>{"build_interrupted", "tag_without_image"}));
  EXPECT_EQ(report.remaining(), 2U);
  EXPECT_EQ(store_->builds().find(OwnerScope::everyone(), build.id)->status,
            store::BuildStatus::kRunning)
      << "without --repair nothing changes";

  report = check(true);
  EXPECT_EQ(report.remaining(), 0U) << report_text(report);
  const auto after = store_->builds().find(OwnerScope::everyone(), build.id).value();
  EXPECT_EQ(after.status, store::BuildStatus::kFailed);
  EXPECT_NE(after.error.find("interrupted"), std::string::npos) << after.error;
  EXPECT_FALSE(blobs_->resolve_tag(kRepo, "1"));
  EXPECT_TRUE(check(false).findings.empty());
}

TEST_F(ConsistencyCheckTest, ARunningServerOwnsBuildsInFlight) {
  auto build = store_->builds().create({project_.id, "sha"}).value();
  ASSERT_TRUE(store_->builds().update(
      build.id, {.status = store::BuildStatus::kRunning, .from = store::BuildStatus::kQueued}));
  push(build);
  const auto report = check(false, /*server_running=*/true);
  EXPECT_TRUE(report.findings.empty()) << report_text(report);
  EXPECT_FALSE(report.notes.empty());
}

TEST_F(ConsistencyCheckTest, AnImageWhoseManifestIsGoneIsDeletedUnlessDeployed) {
  const auto unused = built_image();
  const auto deployed = built_image();
  ASSERT_TRUE(store_->deployments().create({.project_id = project_.id, .image_id = deployed.id}));
  ASSERT_TRUE(blobs_->delete_blob(oci::Digest::parse(unused.digest).value()));
  ASSERT_TRUE(blobs_->delete_blob(oci::Digest::parse(deployed.digest).value()));

  auto report = check(true);
  // The registry unlinks both dead manifests; the unused row goes, the deployed one stays.
  EXPECT_EQ(std::ranges::count(kinds(report), "image_manifest_missing"), 2);
  EXPECT_EQ(report.remaining(), 1U) << report_text(report);
  EXPECT_FALSE(store_->images().find(OwnerScope::everyone(), unused.id));
  EXPECT_TRUE(store_->images().find(OwnerScope::everyone(), deployed.id));
}

TEST_F(ConsistencyCheckTest, AnUnlinkedOrUntaggedImageIsRelinked) {
  const auto image = built_image();
  const auto digest = oci::Digest::parse(image.digest).value();
  ASSERT_TRUE(blobs_->unlink_manifest(kRepo, digest));  // takes the tag with it
  EXPECT_EQ(kinds(check(true)), (std::vector<std::string>{"image_unlinked"}));
  EXPECT_TRUE(blobs_->has_manifest(kRepo, digest));
  EXPECT_EQ(blobs_->resolve_tag(kRepo, image.tag).value(), digest);
  EXPECT_TRUE(check(false).findings.empty());
}

TEST_F(ConsistencyCheckTest, AnInterruptedRolloutFailsAndItsContainerGoes) {
  const auto image = built_image();
  auto d = store_->deployments().create({.project_id = project_.id, .image_id = image.id}).value();
  d.status = store::DeploymentStatus::kStarting;
  d.container_id = "c-new";
  ASSERT_TRUE(store_->deployments().save(d));
  runtime_.containers = {
      {.id = "c-new", .name = "orsa-new", .labels = {{runtime::kLabelDeployment, d.id}}},
      {.id = "c-old", .name = "orsa-old", .labels = {{runtime::kLabelDeployment, "dep_gone"}}}};
  runtime_.networks = {{.name = "orsa-net-" + d.id, .labels = {{runtime::kLabelDeployment, d.id}}}};

  auto report = check(false);
  EXPECT_EQ(kinds(report), (std::vector<std::string>{"deployment_interrupted", "orphan_container"}))
      << report_text(report);

  report = check(true);
  EXPECT_EQ(report.remaining(), 0U) << report_text(report);
  const auto after = store_->deployments().find(OwnerScope::everyone(), d.id).value();
  EXPECT_EQ(after.status, store::DeploymentStatus::kFailed);
  EXPECT_NE(after.status_reason.find("interrupted"), std::string::npos);
  EXPECT_TRUE(runtime_.containers.empty());
  EXPECT_TRUE(runtime_.networks.empty());
  EXPECT_TRUE(check(false).findings.empty());
}

TEST_F(ConsistencyCheckTest, WithoutARuntimeContainersAreNotedNotChecked) {
  auto report = check_consistency(*store_, *blobs_, nullptr, {.now_unix = kNow}).value();
  EXPECT_TRUE(report.findings.empty());
  ASSERT_EQ(report.notes.size(), 1U);
  EXPECT_NE(report.notes[0].find("runtime"), std::string::npos);
}

}  // namespace
}  // namespace orsa::workers
