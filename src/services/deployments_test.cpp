// services::Deployments against a real SQLite store with a fake of the
// DeploymentControl port: the API's rules, and what it asks of the workers.

#include "services/deployments.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "services/audit.hpp"
#include "store/store.hpp"

namespace orsa::services {
namespace {

using store::DeploymentStatus;

/// Records what the service asks of the background side.
class FakeControl final : public DeploymentControl {
 public:
  bool attached() const override { return runtime; }
  std::int32_t max_replicas() const override { return runtime_replicas; }
  bool is_busy(const std::string& id) override { return busy.contains(id); }
  void roll_out(const std::string& id) override { calls.push_back("roll_out " + id); }
  void resume(const std::string& id) override { calls.push_back("resume " + id); }
  void stop_container(store::Deployment& d, bool remove_container) override {
    calls.push_back((remove_container ? "remove " : "stop ") + d.id);
  }
  void refresh_route(const std::string& project_id) override {
    calls.push_back("route " + project_id);
  }
  void forget(const std::string& id) override { calls.push_back("forget " + id); }
  Result<void> logs(const std::string&, const runtime::LogOptions&,
                    const std::function<bool(const runtime::LogLine&)>& sink) override {
    sink({.text = "hello"});
    return {};
  }

  bool runtime = true;
  std::int32_t runtime_replicas = 1;
  std::set<std::string> busy;
  std::vector<std::string> calls;
};

class ServiceDeploymentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto user = store_->users().create({"alice", "alice@example.org", "x"}).value();
    alice_ = {user.id, user.username, Role::kDeveloper, false, ""};
    const auto bob = store_->users().create({"bob", "bob@example.org", "x"}).value();
    bob_ = {bob.id, bob.username, Role::kDeveloper, false, ""};
    project_ = store_->projects().create({user.id, "knap", "python-flask"}).value();
    image_ = store_->images()
                 .create({user.id, project_.id, "bld_1", "alice/knap", "1",
                          "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')})
                 .value();
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  // Initialised here, not in SetUp: the services below keep a reference.
  std::unique_ptr<store::Store> store_ =
      store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
  std::unique_ptr<source::SourceRepos> repos_ = source::make_git_repos(dir_.path() / "repos");
  gateway::RouteTable routes_;
  Audit audit_{store_->audit(), clock_};
  FakeControl control_;
  Deployments deployments_{store_->deployments(),
                           store_->images(),
                           store_->projects(),
                           *repos_,
                           routes_,
                           audit_,
                           control_,
                           DeploymentOptions{}};
  auth::Principal alice_;
  auth::Principal bob_;
  store::Project project_;
  store::Image image_;
};

TEST_F(ServiceDeploymentsTest, ADeploymentIsRecordedThenRolledOutAndRouted) {
  auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->status, DeploymentStatus::kPending);
  EXPECT_TRUE(d->desired_running);
  EXPECT_EQ(control_.calls,
            (std::vector<std::string>{"roll_out " + d->id, "route " + project_.id}));
  EXPECT_EQ(project_key(*d), "alice/knap");
}

TEST_F(ServiceDeploymentsTest, WithoutARuntimeNothingIsRecorded) {
  control_.runtime = false;
  auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(control_.calls.empty());
  EXPECT_TRUE(deployments_.list(alice_, std::nullopt).value().empty());
}

TEST_F(ServiceDeploymentsTest, AnotherUsersImageAndDeploymentsAreNotFound) {
  EXPECT_EQ(deployments_.create(bob_, {.image_id = image_.id}, {"127.0.0.1"}).error().code,
            ErrorCode::kNotFound);
  const auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"}).value();
  EXPECT_EQ(deployments_.get(bob_, d.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(deployments_.remove(bob_, d.id, {"127.0.0.1"}).error().code, ErrorCode::kNotFound);
}

TEST_F(ServiceDeploymentsTest, ABusyDeploymentIsNotStoppedUnderItsTask) {
  const auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"}).value();
  control_.busy.insert(d.id);
  EXPECT_EQ(deployments_.stop_deployment(alice_, d.id, {"127.0.0.1"}).error().code,
            ErrorCode::kConflict);
  control_.busy.clear();
  control_.calls.clear();
  auto stopped = deployments_.stop_deployment(alice_, d.id, {"127.0.0.1"});
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_EQ(stopped->status, DeploymentStatus::kStopped);
  EXPECT_FALSE(stopped->desired_running);
  EXPECT_EQ(control_.calls, (std::vector<std::string>{"route " + project_.id, "stop " + d.id}));
}

// Deleting does not wait for a task in flight (a rollback's retirement of the
// old version): the row goes, and the reconciler sweeps what the task leaves.
TEST_F(ServiceDeploymentsTest, ABusyDeploymentCanBeDeleted) {
  const auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"}).value();
  control_.busy.insert(d.id);
  control_.calls.clear();
  ASSERT_TRUE(deployments_.remove(alice_, d.id, {"127.0.0.1"}));
  EXPECT_EQ(deployments_.get(alice_, d.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(control_.calls,
            (std::vector<std::string>{"route " + project_.id, "remove " + d.id, "forget " + d.id}));
}

TEST_F(ServiceDeploymentsTest, StartingAgainResumesAndRemovingForgets) {
  const auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"}).value();
  ASSERT_TRUE(deployments_.stop_deployment(alice_, d.id, {"127.0.0.1"}));
  control_.calls.clear();
  auto started = deployments_.start_deployment(alice_, d.id, {"127.0.0.1"});
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->status, DeploymentStatus::kPending);
  EXPECT_EQ(control_.calls, std::vector<std::string>{"resume " + d.id});
  control_.calls.clear();
  ASSERT_TRUE(deployments_.remove(alice_, d.id, {"127.0.0.1"}));
  EXPECT_EQ(control_.calls,
            (std::vector<std::string>{"route " + project_.id, "remove " + d.id, "forget " + d.id}));
  EXPECT_EQ(deployments_.get(alice_, d.id).error().code, ErrorCode::kNotFound);
}

TEST_F(ServiceDeploymentsTest, BadRequestsAreRefusedBeforeAnythingIsRecorded) {
  EXPECT_FALSE(deployments_.create(alice_, {.image_id = image_.id, .memory_mb = 1}, {"ip"}));
  EXPECT_FALSE(deployments_.create(alice_, {.image_id = image_.id, .cpus = 100.0}, {"ip"}));
  EXPECT_FALSE(deployments_.create(
      alice_, {.image_id = image_.id, .env = std::map<std::string, std::string>{{"ORSA_X", "1"}}},
      {"ip"}));
  EXPECT_TRUE(control_.calls.empty());
}

TEST_F(ServiceDeploymentsTest, ReplicasAreAskedForUnderTheAdminsAndTheRuntimesCaps) {
  control_.runtime_replicas = 16;  // a cluster engine; the admin's cap is 4
  auto d = deployments_.create(alice_, {.image_id = image_.id, .replicas = 3}, {"127.0.0.1"});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->replicas, 3);
  EXPECT_EQ(deployments_.get(alice_, d->id).value().replicas, 3);
  EXPECT_EQ(deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"}).value().replicas,
            1);
  control_.calls.clear();
  for (const std::int64_t bad : {0, -1, 5, 1'000'000}) {
    auto refused =
        deployments_.create(alice_, {.image_id = image_.id, .replicas = bad}, {"127.0.0.1"});
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.error().message, "replicas must be between 1 and 4");
  }
  EXPECT_TRUE(control_.calls.empty());
  EXPECT_EQ(deployments_.list(alice_, std::nullopt).value().size(), 2U);
}

TEST_F(ServiceDeploymentsTest, ARuntimeOfOneReplicaRefusesMore) {
  auto refused = deployments_.create(alice_, {.image_id = image_.id, .replicas = 2}, {"127.0.0.1"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("one replica per deployment"));
  EXPECT_TRUE(deployments_.list(alice_, std::nullopt).value().empty());
  EXPECT_EQ(deployments_.create(alice_, {.image_id = image_.id, .replicas = 1}, {"127.0.0.1"})
                .value()
                .replicas,
            1);
}

TEST_F(ServiceDeploymentsTest, LogsComeFromTheContainerOnceOneRan) {
  auto d = deployments_.create(alice_, {.image_id = image_.id}, {"127.0.0.1"}).value();
  EXPECT_TRUE(deployments_.logs(alice_, d.id, {}).value().empty());  // nothing ran yet
  d.container_id = "c1";
  ASSERT_TRUE(store_->deployments().save(d));
  const auto lines = deployments_.logs(alice_, d.id, {}).value();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "hello");
}

}  // namespace
}  // namespace orsa::services
