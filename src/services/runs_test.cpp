// services::Runs against the in-memory store, a real git repository (for
// orsa.toml) and real run data: who may submit and see runs, which image
// and limits a run gets, admission, listings, cancel, retention.

#include "services/runs.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/files.hpp"
#include "core/temp_dir.hpp"
#include "store/memory_store.hpp"

namespace orsa::services {
namespace {

using store::RunStatus;

class FakeScheduler final : public RunScheduler {
 public:
  void wake() override { ++wakes; }
  void cancel_running(const std::string& id) override { canceled.push_back(id); }

  int wakes = 0;
  std::vector<std::string> canceled;
};

auth::Principal principal(const store::User& u) {
  return {u.id, u.username, u.role, false, ""};
}

class RunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = add_user("alice", Role::kDeveloper);
    bob_ = add_user("bob", Role::kDeveloper);
    viewer_ = add_user("vera", Role::kViewer);
    admin_ = add_user("root", Role::kAdmin);
    knap_ = store_.projects().create({alice_.user_id, "knap", "python-flask"}).value();
    const auto commit =
        repos_->create({"alice", "knap"},
                       {{"orsa.toml",
                         "[project]\nname = \"knap\"\n[resources]\nmemory_mb = 768\n"
                         "cpus = 1.5\n"},
                        {"model.py", "def solve(data):\n    return data\n"}},
                       {"alice", "alice@example.org", 0}, "first");
    ASSERT_TRUE(commit) << commit.error().message;
    image1_ = add_image("1", commit->sha);
    image2_ = add_image("2", commit->sha);
  }

  auth::Principal add_user(const std::string& name, Role role) {
    return principal(store_.users().create({name, name + "@example.org", "x", role}).value());
  }

  store::Image add_image(const std::string& tag, const std::string& sha) {
    clock_.advance(1);
    return store_.images()
        .create({alice_.user_id, knap_.id, "bld_" + tag, "alice/knap", tag,
                 "sha256:" + std::string(64, tag[0]), 100, sha})
        .value();
  }

  // A healthy deployment of `image` wanted running: the project's live service.
  store::Deployment go_live(const store::Image& image, store::Visibility visibility) {
    clock_.advance(1);  // the newest live deployment serves
    auto d = store_.deployments()
                 .create({.project_id = knap_.id, .image_id = image.id, .visibility = visibility})
                 .value();
    d.status = store::DeploymentStatus::kHealthy;
    d.host_port = 40000;
    return store_.deployments().save(d).value();
  }

  Result<store::Run> submit(const auth::Principal& who, RunRequest request = {}) {
    if (request.input.empty()) request.input = R"({"capacity":10})";
    return runs_.submit(who, {"alice", "knap"}, request);
  }

  static std::vector<std::string> ids(const RunPage& page) {
    std::vector<std::string> out;
    for (const auto& r : page.runs) out.push_back(r.id);
    return out;
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  std::unique_ptr<source::SourceRepos> repos_ = source::make_git_repos(dir_.path() / "repos");
  std::unique_ptr<runs::RunData> data_ = runs::RunData::open(dir_.path() / "runs").value();
  FakeScheduler scheduler_;
  RunOptions options_ = [] {
    RunOptions o;
    o.admission.max_queued_per_user = 3;
    o.data.max_input_bytes = 1000;
    o.data.max_result_bytes = 100;
    return o;
  }();
  UsageMeter meter_{store_.usage(), clock_};
  Runs runs_{{store_.runs(), store_.projects(), store_.images(), store_.deployments()},
             *repos_,
             *data_,
             clock_,
             scheduler_,
             options_,
             &meter_};
  auth::Principal alice_, bob_, viewer_, admin_;
  store::Project knap_;
  store::Image image1_, image2_;
};

TEST_F(RunsTest, TheOwnerRunsTheNewestImageWithOrsaTomlLimitsAndTheTrace) {
  auto run = submit(alice_, {.options_json = R"({"seed":7})", .time_limit_s = 30});
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->status, RunStatus::kQueued);
  EXPECT_EQ(run->image_id, image2_.id);  // no live deployment: the newest image
  EXPECT_EQ(run->build_id, "bld_2");
  EXPECT_EQ(run->commit_sha, image2_.commit_sha);
  EXPECT_EQ(run->image_digest, image2_.digest);
  EXPECT_FALSE(run->deployment_id);
  EXPECT_EQ(run->submitter_id, alice_.user_id);
  EXPECT_EQ(run->owner_id, alice_.user_id);
  EXPECT_EQ(run->time_limit_s, 30);
  EXPECT_EQ(run->memory_mb, 768);  // orsa.toml [resources]
  EXPECT_EQ(run->cpu_millis, 1500);
  EXPECT_EQ(run->options_json, R"({"seed":7})");
  EXPECT_EQ(scheduler_.wakes, 1);

  // The input is stored as given, under its digest, once.
  auto input = runs_.input(alice_, run->id);
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(input->size, 15);
  auto again = submit(alice_, {.time_limit_s = 5, .image_id = image1_.id});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->image_id, image1_.id);
  EXPECT_EQ(again->input_digest, run->input_digest);
  EXPECT_EQ(again->time_limit_s, 5);
  EXPECT_EQ(runs_.result(alice_, run->id).error().code, ErrorCode::kNotFound);
}

TEST_F(RunsTest, TheLiveDeploymentsImageIsTheDefault) {
  const auto live = go_live(image1_, store::Visibility::kPrivate);
  auto run = submit(alice_);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->image_id, image1_.id);
  EXPECT_EQ(run->deployment_id, live.id);
  // Another image of the project is the owner's to choose, without the deployment.
  auto other = submit(alice_, {.image_id = image2_.id});
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_FALSE(other->deployment_id);
}

TEST_F(RunsTest, SubmittersFollowTheServicesVisibility) {
  // Private (no live service): others learn nothing, viewers do not submit.
  EXPECT_EQ(submit(bob_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(submit(viewer_).error().code, ErrorCode::kNotFound);
  auto by_admin = submit(admin_);
  ASSERT_TRUE(by_admin) << by_admin.error().message;
  EXPECT_EQ(runs_.submit(bob_, {"alice", "nope"}, {.input = "{}"}).error().code,
            ErrorCode::kNotFound);

  go_live(image1_, store::Visibility::kPrivate);
  EXPECT_EQ(submit(bob_).error().code, ErrorCode::kNotFound);

  go_live(image2_, store::Visibility::kPublic);
  auto by_bob = submit(bob_);
  ASSERT_TRUE(by_bob) << by_bob.error().message;
  EXPECT_EQ(by_bob->image_id, image2_.id);
  EXPECT_EQ(by_bob->owner_id, alice_.user_id);
  EXPECT_EQ(by_bob->submitter_id, bob_.user_id);
  // Only the image the public service runs.
  EXPECT_EQ(submit(bob_, {.image_id = image1_.id}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(submit(viewer_).error().code, ErrorCode::kPermissionDenied);
}

TEST_F(RunsTest, ARunIsVisibleToItsSubmitterTheOwnerAndAdminsOnly) {
  go_live(image1_, store::Visibility::kPublic);
  const auto by_bob = submit(bob_).value();
  const auto by_alice = submit(alice_).value();
  auto carol = add_user("carol", Role::kDeveloper);
  for (const auto* who : {&bob_, &alice_, &admin_}) {
    EXPECT_TRUE(runs_.get(*who, by_bob.id)) << who->username;
    EXPECT_TRUE(runs_.input(*who, by_bob.id)) << who->username;
  }
  for (const auto* who : {&carol, &viewer_}) {
    EXPECT_EQ(runs_.get(*who, by_bob.id).error().code, ErrorCode::kNotFound) << who->username;
    EXPECT_EQ(runs_.input(*who, by_bob.id).error().code, ErrorCode::kNotFound) << who->username;
    EXPECT_EQ(runs_.cancel(*who, by_bob.id).error().code, ErrorCode::kNotFound) << who->username;
  }
  EXPECT_EQ(runs_.get(bob_, by_alice.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs_.get(bob_, "run_missing").error().code, ErrorCode::kNotFound);

  // Listings: the owner sees every run of the project, Bob his own, Carol
  // none (the public project lists, but nothing of hers is in it).
  const RunFilter all{};
  EXPECT_EQ(ids(runs_.list_project(alice_, {"alice", "knap"}, all).value()),
            (std::vector<std::string>{by_alice.id, by_bob.id}));
  EXPECT_EQ(ids(runs_.list_project(bob_, {"alice", "knap"}, all).value()),
            std::vector<std::string>{by_bob.id});
  EXPECT_TRUE(runs_.list_project(carol, {"alice", "knap"}, all).value().runs.empty());
  EXPECT_EQ(ids(runs_.list_mine(bob_, all).value()), std::vector<std::string>{by_bob.id});
  EXPECT_EQ(ids(runs_.list_mine(alice_, all).value()), std::vector<std::string>{by_alice.id});
  EXPECT_EQ(runs_.list_mine(auth::Principal{}, all).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(RunsTest, APrivateProjectsRunsAreNotListedToOthers) {
  submit(alice_).value();
  EXPECT_EQ(runs_.list_project(bob_, {"alice", "knap"}, {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs_.list_project(admin_, {"alice", "knap"}, {}).value().runs.size(), 1u);
}

TEST_F(RunsTest, BadRequestsAreRefusedAndStoreNothing) {
  using enum ErrorCode;
  EXPECT_EQ(submit(alice_, {.input = std::string(1001, ' ')}).error().code, kTooLarge);
  EXPECT_EQ(submit(alice_, {.input = "{not json"}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.options_json = "[1]"}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.options_json = "{"}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.time_limit_s = 0}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.time_limit_s = 6 * 3600 + 1}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.priority = 11}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.memory_mb = 4097}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.cpus = 0.05}).error().code, kInvalidArgument);
  EXPECT_EQ(submit(alice_, {.image_id = "img_missing"}).error().code, kNotFound);
  EXPECT_TRUE(store_.runs().list(OwnerScope::everyone(), {}).value().empty());
  EXPECT_EQ(runs_.collect().value().blobs, 0u);  // nothing was written either
  EXPECT_EQ(scheduler_.wakes, 0);
}

TEST_F(RunsTest, QueuedRunsPerUserAreCappedWithARetryAfter) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(submit(alice_));
  auto refused = submit(alice_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().retry_after_s, options_.admission.retry_after_s);
  // Another user's queue is their own.
  ASSERT_TRUE(submit(admin_));
  // A run that started frees a place.
  const auto oldest = store_.runs().queued().value().front();
  ASSERT_TRUE(store_.runs().mark_running(oldest.id, "", clock_.now_unix(), ""));
  EXPECT_TRUE(submit(alice_));
}

TEST_F(RunsTest, TheRunDataQuotaRefusesNewRunsOnceTheUsersRunsHoldIt) {
  RunOptions options = options_;
  options.max_data_bytes_per_user = 2000;
  Runs quota_bound{{store_.runs(), store_.projects(), store_.images(), store_.deployments()},
                   *repos_,
                   *data_,
                   clock_,
                   scheduler_,
                   options};
  auto first = quota_bound.submit(alice_, {"alice", "knap"}, {.input = R"({"capacity":10})"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(store_.runs().mark_running(first->id, "", clock_.now_unix(), ""));
  ASSERT_TRUE(store_.runs().finish(
      first->id, {.status = RunStatus::kSucceeded, .log_digest = "sha256:ab", .log_size = 3000},
      clock_.now_unix()));
  EXPECT_EQ(store_.runs().data_bytes(alice_.user_id).value(), 3015);

  const std::size_t before = store_.runs().queued().value().size();
  auto refused = quota_bound.submit(alice_, {"alice", "knap"}, {.input = R"({"capacity":10})"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("run data quota exceeded: your runs hold 0.0 MiB"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(store_.runs().queued().value().size(), before);  // nothing queued
  // Another user's runs are counted apart.
  EXPECT_TRUE(quota_bound.submit(admin_, {"alice", "knap"}, {.input = R"({"capacity":10})"}));
}

TEST_F(RunsTest, QueuePositionsFollowTheFairQueue) {
  go_live(image1_, store::Visibility::kPublic);
  const auto a1 = submit(alice_).value();
  const auto a2 = submit(alice_).value();
  const auto b1 = submit(bob_).value();
  EXPECT_EQ(runs_.get(alice_, a1.id)->queue_position, 1u);
  EXPECT_EQ(runs_.get(bob_, b1.id)->queue_position, 2u);  // Bob's turn before Alice's second
  EXPECT_EQ(runs_.get(alice_, a2.id)->queue_position, 3u);
  ASSERT_TRUE(store_.runs().mark_running(a1.id, "", clock_.now_unix(), ""));
  EXPECT_FALSE(runs_.get(alice_, a1.id)->queue_position);
  EXPECT_EQ(runs_.get(bob_, b1.id)->queue_position, 1u);
}

TEST_F(RunsTest, TheNextRunsToStartComeFromTheFairQueue) {
  go_live(image1_, store::Visibility::kPublic);
  const auto a1 = submit(alice_, {.priority = 0}).value();
  const auto a2 = submit(alice_, {.priority = 5}).value();
  const auto a3 = submit(alice_, {.priority = 0}).value();
  const auto b1 = submit(bob_).value();
  auto next = next_runs_to_start(store_.runs(), {.max_concurrent = 3, .max_per_user = 2});
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(*next, (std::vector<std::string>{a2.id, b1.id, a1.id}));
  for (const auto& id : *next) ASSERT_TRUE(store_.runs().mark_running(id, "", 1, ""));
  // Full: nothing more until one ends; then Alice is at her cap of two.
  EXPECT_TRUE(next_runs_to_start(store_.runs(), {.max_concurrent = 3, .max_per_user = 2})->empty());
  ASSERT_TRUE(store_.runs().finish(b1.id, {.status = RunStatus::kSucceeded}, 2));
  EXPECT_TRUE(next_runs_to_start(store_.runs(), {.max_concurrent = 3, .max_per_user = 2})->empty());
  EXPECT_EQ(next_runs_to_start(store_.runs(), {.max_concurrent = 3, .max_per_user = 3}).value(),
            std::vector<std::string>{a3.id});
}

TEST_F(RunsTest, ListsPageNewestFirstWithACursorAndAStatusFilter) {
  std::vector<std::string> made;
  for (int i = 0; i < 3; ++i) made.push_back(submit(alice_).value().id);
  ASSERT_TRUE(store_.runs().mark_running(made[0], "", clock_.now_unix(), ""));
  auto first = runs_.list_project(alice_, {"alice", "knap"}, {.limit = 2});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(ids(*first), (std::vector<std::string>{made[2], made[1]}));
  ASSERT_TRUE(first->next_cursor);
  auto second =
      runs_.list_project(alice_, {"alice", "knap"}, {.cursor = first->next_cursor, .limit = 2});
  ASSERT_TRUE(second);
  EXPECT_EQ(ids(*second), std::vector<std::string>{made[0]});
  EXPECT_FALSE(second->next_cursor);
  EXPECT_EQ(ids(runs_.list_mine(alice_, {.status = RunStatus::kRunning}).value()),
            std::vector<std::string>{made[0]});
  for (const auto& bad : {"x", "-1", "0", "12abc"}) {
    EXPECT_EQ(runs_.list_mine(alice_, {.cursor = std::string(bad)}).error().code,
              ErrorCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(runs_.list_mine(alice_, {.limit = 0}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(runs_.list_mine(alice_, {.limit = 201}).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RunsTest, CancelEndsAQueuedRunAndAsksTheWorkerToStopARunningOne) {
  go_live(image1_, store::Visibility::kPublic);
  const auto queued = submit(bob_).value();
  const auto running = submit(bob_).value();
  ASSERT_TRUE(store_.runs().mark_running(running.id, "ctr", clock_.now_unix(), ""));

  auto canceled = runs_.cancel(bob_, queued.id);
  ASSERT_TRUE(canceled) << canceled.error().message;
  EXPECT_EQ(canceled->status, RunStatus::kCanceled);
  EXPECT_TRUE(scheduler_.canceled.empty());

  // The project's owner may stop a run on her project.
  auto stopping = runs_.cancel(alice_, running.id);
  ASSERT_TRUE(stopping) << stopping.error().message;
  EXPECT_EQ(stopping->status, RunStatus::kRunning);
  EXPECT_TRUE(stopping->cancel_requested);
  EXPECT_EQ(scheduler_.canceled, std::vector<std::string>{running.id});

  EXPECT_EQ(runs_.cancel(bob_, queued.id).error().code, ErrorCode::kConflict);
}

TEST_F(RunsTest, RetentionAndProjectDeletionRemoveRunsAndTheirData) {
  const auto old = submit(alice_, {.input = R"({"old":1})"}).value();
  const auto shared = submit(alice_, {.input = R"({"shared":1})"}).value();
  auto result = data_->put(R"({"objective":15})", 1000, "the result").value();
  ASSERT_TRUE(store_.runs().finish(old.id,
                                   {.status = RunStatus::kSucceeded,
                                    .exit_code = 0,
                                    .result_digest = result.digest(),
                                    .result_size = result.size()},
                                   clock_.now_unix()));
  { auto unpinned = std::move(result); }
  auto stored = runs_.result(alice_, old.id);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->size, 16);

  clock_.advance(options_.retention.count() + 1);
  const auto fresh = submit(alice_, {.input = R"({"shared":1})"}).value();
  static_cast<void>(fresh);
  auto collected = runs_.collect();
  ASSERT_TRUE(collected) << collected.error().message;
  EXPECT_EQ(collected->runs, 1);
  EXPECT_EQ(collected->blobs, 2u);  // the old input and its result
  EXPECT_EQ(runs_.get(alice_, old.id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(runs_.input(alice_, shared.id));

  // The project goes: its runs with it (cascade), then their data.
  auto digests = runs_.project_data(knap_.id);
  ASSERT_TRUE(digests);
  EXPECT_EQ(digests->size(), 1u);
  const auto path = runs_.input(alice_, shared.id)->path;
  ASSERT_TRUE(store_.projects().remove(OwnerScope::everyone(), knap_.id));
  EXPECT_EQ(runs_.release_data(*digests).value(), 1u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RunStatistics, TheStatisticsObjectElseStatusAndObjective) {
  EXPECT_EQ(run_statistics(R"({"status":"Optimal","objective":15,"x":[1,2]})"),
            R"({"objective":15,"status":"Optimal"})");
  EXPECT_EQ(run_statistics(R"({"statistics":{"gap":0.01,"nodes":12},"objective":3})"),
            R"({"gap":0.01,"nodes":12})");
  EXPECT_EQ(run_statistics(R"({"objective":{"not":"a scalar"}})"), "{}");
  EXPECT_EQ(run_statistics("[1,2]"), "{}");
  EXPECT_EQ(run_statistics("not json"), "{}");
  EXPECT_EQ(run_statistics(R"({"statistics":{"big":")" + std::string(100, 'x') + R"("}})", 50),
            "{}");
}

TEST_F(RunsTest, AConsumerKeySubmitsInTheOwnersNameAndSeesOnlyTheRunsOfItsKey) {
  const auto key = auth::Principal::consumer("ck_1", knap_.id, "acme");
  const auto other_key = auth::Principal::consumer("ck_2", knap_.id, "beta");
  const auto foreign = auth::Principal::consumer("ck_3", "prj_elsewhere", "x");
  auto run = submit(key);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->submitter_id, alice_.user_id);  // the owner's share of the queue and quota
  EXPECT_EQ(run->consumer_key_id, "ck_1");
  EXPECT_EQ(run->image_id, image2_.id);  // nothing deployed: the newest image
  EXPECT_EQ(submit(foreign).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(submit(key, {.image_id = image1_.id}).error().code, ErrorCode::kNotFound);
  go_live(image1_, store::Visibility::kPrivate);
  EXPECT_EQ(submit(key).value().image_id, image1_.id);  // what the owner serves
  const auto owners = submit(alice_).value();

  EXPECT_TRUE(runs_.get(key, run->id));
  EXPECT_EQ(runs_.get(other_key, run->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs_.get(key, owners.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs_.input(other_key, run->id).error().code, ErrorCode::kNotFound);
  const auto mine = runs_.list_mine(key, {});
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_EQ(mine->runs.size(), 2u);
  EXPECT_TRUE(ids(runs_.list_mine(other_key, {}).value()).empty());
  EXPECT_EQ(ids(runs_.list_project(key, {"alice", "knap"}, {}).value()), ids(*mine));
  EXPECT_EQ(runs_.list_project(foreign, {"alice", "knap"}, {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs_.list_project(alice_, {"alice", "knap"}, {}).value().runs.size(), 3u);
  EXPECT_EQ(runs_.cancel(other_key, run->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runs_.cancel(key, owners.id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(runs_.cancel(key, run->id));
}

class RunEndsTest : public RunsTest {
 protected:
  // A running run and the result file its container wrote.
  store::Run running(const std::string& container) {
    auto run = submit(alice_).value();
    return store_.runs().mark_running(run.id, container, clock_.now_unix(), "").value();
  }
  std::filesystem::path result_file(const std::string& content) {
    const auto path = dir_.path() / ("result-" + std::to_string(++files_) + ".json");
    std::ofstream(path) << content;
    return path;
  }
  int files_ = 0;
};

TEST_F(RunEndsTest, ASucceededRunKeepsItsResultAndStatistics) {
  const auto run = running("ctr");
  auto done = runs_.complete(
      run.id, {.status = RunStatus::kSucceeded,
               .exit_code = 0,
               .result_file = result_file(R"({"status":"Optimal","objective":15})")});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->status, RunStatus::kSucceeded);
  EXPECT_EQ(done->exit_code, 0);
  EXPECT_EQ(done->statistics_json, R"({"objective":15,"status":"Optimal"})");
  ASSERT_TRUE(done->result_digest);
  auto result = runs_.result(alice_, run.id);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(read_file(result->path).value(), R"({"status":"Optimal","objective":15})");
  EXPECT_EQ(runs_.complete(run.id, {.status = RunStatus::kFailed}).error().code,
            ErrorCode::kConflict);
  // The result is referenced now: a collection keeps it.
  EXPECT_EQ(runs_.collect().value().blobs, 0u);
  EXPECT_TRUE(runs_.result(alice_, run.id));
}

TEST_F(RunEndsTest, AResultOverTheLimitOrNotJsonFailsTheRunSayingSo) {
  const auto big = running("");
  auto over = runs_.complete(big.id, {.status = RunStatus::kSucceeded,
                                      .exit_code = 0,
                                      .result_file = result_file(std::string(101, '1'))});
  ASSERT_TRUE(over) << over.error().message;
  EXPECT_EQ(over->status, RunStatus::kFailed);
  EXPECT_NE(over->reason.find("the result exceeds the limit of 100 bytes"), std::string::npos)
      << over->reason;
  EXPECT_FALSE(over->result_digest);

  const auto garbled = running("");
  auto bad = runs_.complete(garbled.id,
                            {.status = RunStatus::kSucceeded, .result_file = result_file("{oops")});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, RunStatus::kFailed);
  EXPECT_EQ(bad->reason, "the model's result is not valid JSON");
  EXPECT_FALSE(bad->result_digest);
  // What it wrote is not kept.
  EXPECT_EQ(runs_.collect().value().blobs, 1u);

  // A run stopped at its time limit keeps the reason it was given.
  const auto slow = running("");
  auto timed_out = runs_.complete(
      slow.id,
      {.status = RunStatus::kTimedOut, .exit_code = 137, .reason = "time limit of 300 s reached"});
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, RunStatus::kTimedOut);
  EXPECT_EQ(timed_out->reason, "time limit of 300 s reached");
}

TEST_F(RunEndsTest, AnEndedRunIsMeteredWithItsWallTimeCpuTimeAndKey) {
  auto run = submit(auth::Principal::consumer("ck_1", knap_.id, "acme")).value();
  store_.runs().mark_running(run.id, "ctr", clock_.now_unix(), "").value();
  clock_.advance(42);
  ASSERT_TRUE(
      runs_.complete(run.id, {.status = RunStatus::kSucceeded, .exit_code = 0, .cpu_ms = 7'250}));
  ASSERT_TRUE(meter_.flush());
  const auto rows = store_.usage().project_rows(knap_.id, 0, clock_.now_unix() + 3600).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key.consumer_key_id, "ck_1");
  EXPECT_EQ(rows[0].counters.runs, 1);
  EXPECT_EQ(rows[0].counters.run_wall_ms, 42'000);
  EXPECT_EQ(rows[0].counters.run_cpu_ms, 7'250);
  EXPECT_EQ(meter_.month_usage("ck_1").value().run_ms, 42'000);
  // An end recorded twice (a conflict) is counted once.
  EXPECT_FALSE(runs_.complete(run.id, {.status = RunStatus::kFailed}));
  ASSERT_TRUE(meter_.flush());
  EXPECT_EQ(store_.usage().project_rows(knap_.id, 0, clock_.now_unix() + 3600)->at(0).counters.runs,
            1);
}

TEST_F(RunEndsTest, ARestartFailsRunningRunsWhoseContainerIsGone) {
  const auto adopted = running("c1");
  const auto orphan = running("c2");
  const auto unstarted = running("");  // died between claiming and creating its container
  const auto queued = submit(alice_).value();
  auto failed = runs_.fail_orphaned({"c1", "c9"});
  ASSERT_TRUE(failed) << failed.error().message;
  std::vector<std::string> ids;
  for (const auto& r : *failed) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{orphan.id, unstarted.id}));
  EXPECT_EQ(runs_.get(alice_, orphan.id)->run.status, RunStatus::kFailed);
  EXPECT_EQ(runs_.get(alice_, orphan.id)->run.reason, "control plane restarted");
  EXPECT_EQ(runs_.get(alice_, adopted.id)->run.status, RunStatus::kRunning);
  EXPECT_EQ(runs_.get(alice_, queued.id)->run.status, RunStatus::kQueued);
}

// Several instances: a starting instance fails only the runs it may recover
// (its own, a dead instance's), never those a live instance is running.
TEST_F(RunEndsTest, ARestartLeavesTheRunsOfLiveInstancesAlone) {
  const auto mine = running("c1");
  const auto theirs = submit(alice_).value();
  ASSERT_TRUE(store_.runs().mark_running(theirs.id, "c2", clock_.now_unix(), "inst-b"));
  auto failed = runs_.fail_orphaned({}, [](const store::Run& r) { return r.runner != "inst-b"; });
  ASSERT_TRUE(failed) << failed.error().message;
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ(failed->front().id, mine.id);
  EXPECT_EQ(runs_.get(alice_, theirs.id)->run.status, RunStatus::kRunning);
}

}  // namespace
}  // namespace orsa::services
