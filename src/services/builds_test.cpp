// services::Builds against a real SQLite store and git repositories, with a
// fake of the runner port: what the service decides, not how builds run.

#include "services/builds.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "services/audit.hpp"
#include "services/projects.hpp"
#include "store/store.hpp"

namespace orsa::services {
namespace {

/// Records what the service asks of the queue.
class FakeRunner final : public BuildRunner {
 public:
  explicit FakeRunner(std::filesystem::path logs) : logs_(std::move(logs)) {}

  void enqueue(const std::string& id) override { enqueued.push_back(id); }
  void dequeue(const std::string& id) override { dequeued.push_back(id); }
  void cancel_running(const std::string& id) override { canceled.push_back(id); }
  std::unique_ptr<LogFollower> follow(const std::string&) override { return nullptr; }
  std::filesystem::path log_path(std::string_view id) const override {
    return logs_ / (std::string(id) + ".log");
  }

  std::vector<std::string> enqueued;
  std::vector<std::string> dequeued;
  std::vector<std::string> canceled;

 private:
  std::filesystem::path logs_;
};

class BuildsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = principal(store_->users().create({"alice", "alice@example.org", "x"}).value());
    bob_ = principal(store_->users().create({"bob", "bob@example.org", "x"}).value());
    head_ = projects_.create(alice_, "knap", "python-flask", {"127.0.0.1"}).value().head->sha;
  }

  static auth::Principal principal(const store::User& user) {
    return {user.id, user.username, Role::kDeveloper, false, ""};
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  // Initialised here, not in SetUp: the services below keep a reference.
  std::unique_ptr<store::Store> store_ =
      store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
  std::unique_ptr<source::SourceRepos> repos_ = source::make_git_repos(dir_.path() / "repos");
  Audit audit_{store_->audit(), clock_};
  Projects projects_{store_->projects(), store_->users(), *repos_, audit_, clock_};
  FakeRunner runner_{dir_.path()};
  Builds builds_{store_->builds(), store_->projects(), *repos_, clock_, runner_, audit_, 2};
  auth::Principal alice_;
  auth::Principal bob_;
  std::string head_;
  const ProjectRef knap_{"alice", "knap"};
};

TEST_F(BuildsTest, ABuildOfTheHeadIsQueuedAndHandedToTheRunner) {
  auto build = builds_.create(alice_, knap_, "");
  ASSERT_TRUE(build) << build.error().message;
  EXPECT_EQ(build->status, store::BuildStatus::kQueued);
  EXPECT_EQ(build->commit_sha, head_);
  EXPECT_EQ(runner_.enqueued, std::vector<std::string>{build->id});
  EXPECT_EQ(builds_.list(alice_, knap_, 10).value().size(), 1u);
}

TEST_F(BuildsTest, AnotherUsersProjectAndBuildsAreNotFound) {
  EXPECT_EQ(builds_.create(bob_, knap_, "").error().code, ErrorCode::kNotFound);
  const auto build = builds_.create(alice_, knap_, "").value();
  EXPECT_EQ(builds_.get(bob_, build.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(builds_.cancel(bob_, build.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runner_.enqueued.size(), 1u);
}

TEST_F(BuildsTest, CancelingAQueuedBuildReleasesItOnce) {
  const auto build = builds_.create(alice_, knap_, "").value();
  auto canceled = builds_.cancel(alice_, build.id);
  ASSERT_TRUE(canceled) << canceled.error().message;
  EXPECT_EQ(canceled->status, store::BuildStatus::kCanceled);
  EXPECT_EQ(runner_.dequeued, std::vector<std::string>{build.id});
  EXPECT_TRUE(runner_.canceled.empty());
  EXPECT_EQ(builds_.cancel(alice_, build.id).error().code, ErrorCode::kConflict);
}

TEST_F(BuildsTest, CreatingAndCancelingAreAuditedAndARefusalIsNot) {
  const Caller caller{"192.0.2.7"};
  const auto build = builds_.create(alice_, knap_, "", caller).value();
  clock_.advance(1);  // events of one second have no order among themselves
  ASSERT_TRUE(builds_.cancel(alice_, build.id, caller));
  EXPECT_FALSE(builds_.cancel(alice_, build.id, caller));  // already final
  EXPECT_FALSE(builds_.create(bob_, knap_, "", caller));   // not bob's

  const auto events = store_->audit().list(10).value();
  std::vector<store::AuditEvent> of_builds;
  for (const auto& e : events)
    if (e.action.starts_with("build_")) of_builds.push_back(e);
  ASSERT_EQ(of_builds.size(), 2u);
  EXPECT_EQ(of_builds[1].action, "build_create");
  EXPECT_EQ(of_builds[1].target, "build:" + build.id);
  EXPECT_EQ(of_builds[1].actor_username, "alice");
  EXPECT_EQ(of_builds[1].ip, "192.0.2.7");
  EXPECT_EQ(of_builds[1].detail, "project alice/knap #1 at " + head_.substr(0, 12));
  EXPECT_EQ(of_builds[0].action, "build_cancel");
  EXPECT_EQ(of_builds[0].detail, "project alice/knap #1 was queued");
}

TEST_F(BuildsTest, CancelingARunningBuildAsksTheRunner) {
  const auto build = builds_.create(alice_, knap_, "").value();
  ASSERT_TRUE(store_->builds().update(
      build.id, {.status = store::BuildStatus::kRunning, .from = store::BuildStatus::kQueued}));
  ASSERT_TRUE(builds_.cancel(alice_, build.id));
  EXPECT_EQ(runner_.canceled, std::vector<std::string>{build.id});
}

TEST_F(BuildsTest, PendingBuildsAreLimitedPerOwner) {
  ASSERT_TRUE(builds_.create(alice_, knap_, ""));
  ASSERT_TRUE(builds_.create(alice_, knap_, ""));
  auto third = builds_.create(alice_, knap_, "");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(runner_.enqueued.size(), 2u);
}

TEST_F(BuildsTest, BadRefsAreRefusedBeforeAnythingIsQueued) {
  EXPECT_EQ(builds_.create(alice_, knap_, std::string(257, 'a')).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(builds_.create(alice_, knap_, "no-such-branch"));
  EXPECT_TRUE(runner_.enqueued.empty());
}

TEST_F(BuildsTest, TheLogIsReadWhereTheRunnerWritesIt) {
  const auto build = builds_.create(alice_, knap_, "").value();
  EXPECT_EQ(builds_.log(alice_, build.id).value(), "");
  std::ofstream(runner_.log_path(build.id)) << "step 1\n";
  EXPECT_EQ(builds_.log(alice_, build.id).value(), "step 1\n");
  EXPECT_EQ(builds_.log(bob_, build.id).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orsa::services
