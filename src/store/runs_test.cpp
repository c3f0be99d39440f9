#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

std::string digest(char c) {
  return "sha256:" + std::string(64, c);
}

class RunStoreTest : public testing_support::StoreContract {
 protected:
  store::Run submit(const Project& project, const User& submitter, std::int64_t priority = 0,
                    char input = 'a') {
    auto created = store_->runs().create({.project_id = project.id,
                                          .submitter_id = submitter.id,
                                          .image_id = "img_1",
                                          .build_id = "bld_1",
                                          .commit_sha = std::string(40, 'c'),
                                          .image_digest = digest('d'),
                                          .priority = priority,
                                          .options_json = R"({"seed":1})",
                                          .time_limit_s = 60,
                                          .memory_mb = 512,
                                          .cpu_millis = 1000,
                                          .input_digest = digest(input),
                                          .input_size = 12});
    EXPECT_TRUE(created) << created.error().message;
    return created.value_or(store::Run{});
  }

  std::vector<std::string> ids(const Result<std::vector<store::Run>>& runs) {
    EXPECT_TRUE(runs) << runs.error().message;
    std::vector<std::string> out;
    for (const auto& r : runs.value_or(std::vector<store::Run>{})) out.push_back(r.id);
    return out;
  }
};
ORSA_STORE_CONTRACT(RunStoreTest);

TEST_P(RunStoreTest, CreateCopiesTheOwnerAndTheTraceAndOrdersBySeq) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto first = submit(knap, bob, 3);
  EXPECT_TRUE(first.id.starts_with("run_")) << first.id;
  EXPECT_EQ(first.owner_id, alice.id);
  EXPECT_EQ(first.owner_username, "alice");
  EXPECT_EQ(first.project_name, "knap");
  EXPECT_EQ(first.submitter_id, bob.id);
  EXPECT_EQ(first.submitter_username, "bob");
  EXPECT_EQ(first.status, RunStatus::kQueued);
  EXPECT_EQ(first.priority, 3);
  EXPECT_EQ(first.build_id, "bld_1");
  EXPECT_EQ(first.commit_sha, std::string(40, 'c'));
  EXPECT_EQ(first.image_digest, digest('d'));
  EXPECT_FALSE(first.deployment_id);
  EXPECT_EQ(first.options_json, R"({"seed":1})");
  EXPECT_EQ(first.time_limit_s, 60);
  EXPECT_EQ(first.memory_mb, 512);
  EXPECT_EQ(first.cpu_millis, 1000);
  EXPECT_EQ(first.input_digest, digest('a'));
  EXPECT_EQ(first.input_size, 12);
  EXPECT_FALSE(first.result_digest);
  EXPECT_FALSE(first.exit_code);
  EXPECT_FALSE(first.container_id);
  EXPECT_FALSE(first.cancel_requested);
  EXPECT_EQ(first.statistics_json, "{}");
  EXPECT_EQ(first.created_at, kStart);
  EXPECT_FALSE(first.started_at);
  EXPECT_GT(submit(knap, alice).seq, first.seq);

  auto gone = store_->runs().create({.project_id = "prj_missing", .submitter_id = bob.id});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  auto nobody = store_->runs().create({.project_id = knap.id, .submitter_id = "usr_missing"});
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::kNotFound);
}

TEST_P(RunStoreTest, ConcurrentSubmissionsGetDistinctSeqs) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  constexpr int kThreads = 4;
  constexpr int kEach = 5;
  std::vector<std::string> failures;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto created = store_->runs().create(
            {.project_id = knap.id, .submitter_id = alice.id, .input_digest = digest('a')});
        if (!created) {
          std::lock_guard lock(mu);
          failures.push_back(created.error().message);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  auto all = store_->runs().list(OwnerScope::everyone(), {.limit = 1000});
  ASSERT_TRUE(all);
  std::set<std::int64_t> seqs;
  for (const auto& r : *all) seqs.insert(r.seq);
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST_P(RunStoreTest, ARunIsVisibleToItsOwnerAndItsSubmitterOnly) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto carol = user("carol");
  const auto knap = project(alice, "knap");
  const auto by_bob = submit(knap, bob);
  const auto by_alice = submit(knap, alice);
  EXPECT_TRUE(store_->runs().find(OwnerScope::of(alice.id), by_bob.id));
  EXPECT_TRUE(store_->runs().find(OwnerScope::of(bob.id), by_bob.id));
  EXPECT_TRUE(store_->runs().find(OwnerScope::everyone(), by_bob.id));
  auto hidden = store_->runs().find(OwnerScope::of(carol.id), by_bob.id);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->runs().find(OwnerScope::of(bob.id), by_alice.id).error().code,
            ErrorCode::kNotFound);

  const RunQuery of_knap{.project_id = knap.id};
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::of(alice.id), of_knap)),
            (std::vector<std::string>{by_alice.id, by_bob.id}));
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::of(bob.id), of_knap)),
            std::vector<std::string>{by_bob.id});
  EXPECT_TRUE(ids(store_->runs().list(OwnerScope::of(carol.id), of_knap)).empty());
}

TEST_P(RunStoreTest, ListsAreNewestFirstWithFiltersAndACursor) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto other = project(alice, "other");
  std::vector<store::Run> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(submit(i == 2 ? other : knap, i == 3 ? bob : alice));
  auto page = store_->runs().list(OwnerScope::everyone(), {.project_id = knap.id, .limit = 2});
  EXPECT_EQ(ids(page), (std::vector<std::string>{runs[4].id, runs[3].id}));
  auto next = store_->runs().list(
      OwnerScope::everyone(), {.project_id = knap.id, .before_seq = page->back().seq, .limit = 2});
  EXPECT_EQ(ids(next), (std::vector<std::string>{runs[1].id, runs[0].id}));
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::of(alice.id), {.submitter_id = bob.id})),
            std::vector<std::string>{runs[3].id});

  ASSERT_TRUE(store_->runs().mark_running(runs[1].id, "", kStart + 1, ""));
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::of(alice.id), {.status = RunStatus::kRunning})),
            std::vector<std::string>{runs[1].id});
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::of(alice.id), {.project_id = other.id})),
            std::vector<std::string>{runs[2].id});
}

TEST_P(RunStoreTest, ARunSubmittedWithAConsumerKeyKeepsItAndListsByIt) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto own = submit(knap, alice);
  auto keyed = store_->runs().create({.project_id = knap.id,
                                      .submitter_id = alice.id,
                                      .image_id = "img_1",
                                      .build_id = "bld_1",
                                      .commit_sha = std::string(40, 'c'),
                                      .image_digest = digest('d'),
                                      .time_limit_s = 60,
                                      .memory_mb = 512,
                                      .cpu_millis = 1000,
                                      .input_digest = digest('b'),
                                      .input_size = 3,
                                      .consumer_key_id = "ck_acme"});
  ASSERT_TRUE(keyed) << keyed.error().message;
  EXPECT_EQ(keyed->consumer_key_id, "ck_acme");
  EXPECT_FALSE(own.consumer_key_id);
  EXPECT_EQ(store_->runs().find(OwnerScope::of(alice.id), keyed->id).value().consumer_key_id,
            "ck_acme");
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::everyone(), {.consumer_key_id = "ck_acme"})),
            std::vector<std::string>{keyed->id});
  EXPECT_TRUE(
      ids(store_->runs().list(OwnerScope::everyone(), {.consumer_key_id = "ck_x"})).empty());
}

TEST_P(RunStoreTest, QueueQueriesGiveEachUsersHeadsAndCounts) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto a1 = submit(knap, alice, 0);
  const auto a2 = submit(knap, alice, 5);
  const auto a3 = submit(knap, alice, 0);
  const auto b1 = submit(knap, bob, 0);
  const auto b2 = submit(knap, bob, 0);
  // Alice's best two are a2 (priority) and a1 (older than a3); oldest first.
  EXPECT_EQ(ids(store_->runs().queued_heads(2)),
            (std::vector<std::string>{a1.id, a2.id, b1.id, b2.id}));
  EXPECT_EQ(ids(store_->runs().queued_heads(1)), (std::vector<std::string>{a2.id, b1.id}));
  EXPECT_EQ(store_->runs().count_queued(alice.id).value_or(-1), 3);

  ASSERT_TRUE(store_->runs().mark_running(a2.id, "ctr1", kStart + 1, ""));
  ASSERT_TRUE(store_->runs().mark_running(b1.id, "", kStart + 1, ""));
  ASSERT_TRUE(store_->runs().mark_running(b2.id, "", kStart + 1, ""));
  auto running = store_->runs().running_per_user();
  ASSERT_TRUE(running) << running.error().message;
  std::map<std::string, std::int64_t> counts;
  for (const auto& c : *running) counts[c.submitter_id] = c.running;
  EXPECT_EQ(counts, (std::map<std::string, std::int64_t>{{alice.id, 1}, {bob.id, 2}}));
  EXPECT_EQ(store_->runs().count_queued(bob.id).value_or(-1), 0);
  EXPECT_EQ(ids(store_->runs().queued()), (std::vector<std::string>{a1.id, a3.id}));
  EXPECT_EQ(ids(store_->runs().unfinished()),
            (std::vector<std::string>{a1.id, a2.id, a3.id, b1.id, b2.id}));
}

// An instance that died while running a run: the run goes back to the
// queue (only from that instance, only while running), counting its starts.
TEST_P(RunStoreTest, ARunOfADeadInstanceIsQueuedAgain) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto run = submit(knap, alice);
  EXPECT_EQ(store_->runs().requeue(run.id, "inst-a").error().code, ErrorCode::kConflict);
  ASSERT_TRUE(store_->runs().mark_running(run.id, "ctr", kStart + 1, "inst-a"));
  EXPECT_EQ(store_->runs().requeue(run.id, "inst-b").error().code, ErrorCode::kConflict);
  auto queued = store_->runs().requeue(run.id, "inst-a");
  ASSERT_TRUE(queued) << queued.error().message;
  EXPECT_EQ(queued->status, RunStatus::kQueued);
  EXPECT_FALSE(queued->started_at);
  EXPECT_FALSE(queued->container_id);
  EXPECT_EQ(queued->runner, "");
  EXPECT_EQ(queued->attempts, 1);
  auto again = store_->runs().mark_running(run.id, "", kStart + 2, "inst-b");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->runner, "inst-b");
  EXPECT_EQ(store_->runs().requeue("run_missing", "inst-b").error().code, ErrorCode::kNotFound);
}

TEST_P(RunStoreTest, ARunStartsOnceAndEndsOnce) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto run = submit(knap, alice);
  EXPECT_EQ(store_->runs().set_container(run.id, "ctr").error().code, ErrorCode::kConflict);
  EXPECT_EQ(run.runner, "");
  auto running = store_->runs().mark_running(run.id, "", kStart + 5, "inst-a");
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_EQ(running->status, RunStatus::kRunning);
  EXPECT_EQ(running->started_at, kStart + 5);
  EXPECT_EQ(running->runner, "inst-a");
  EXPECT_FALSE(running->container_id);
  // Another instance's claim of the same run loses.
  EXPECT_EQ(store_->runs().mark_running(run.id, "", kStart + 6, "inst-b").error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(store_->runs().find(OwnerScope::everyone(), run.id).value().runner, "inst-a");
  EXPECT_EQ(store_->runs().set_container(run.id, "ctr").value().container_id, "ctr");

  EXPECT_EQ(store_->runs().finish(run.id, {.status = RunStatus::kRunning}, kStart).error().code,
            ErrorCode::kInvalidArgument);
  auto done = store_->runs().finish(run.id,
                                    {.status = RunStatus::kSucceeded,
                                     .exit_code = 0,
                                     .reason = "",
                                     .result_digest = digest('r'),
                                     .result_size = 99,
                                     .statistics_json = R"({"objective":15})"},
                                    kStart + 9);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->status, RunStatus::kSucceeded);
  EXPECT_EQ(done->exit_code, 0);
  EXPECT_EQ(done->result_digest, digest('r'));
  EXPECT_EQ(done->result_size, 99);
  EXPECT_EQ(done->statistics_json, R"({"objective":15})");
  EXPECT_EQ(done->finished_at, kStart + 9);
  EXPECT_EQ(done->container_id, "ctr");
  auto again = store_->runs().finish(run.id, {.status = RunStatus::kFailed}, kStart + 10);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("succeeded"), std::string::npos);
  EXPECT_EQ(store_->runs().finish("run_missing", {.status = RunStatus::kFailed}, 1).error().code,
            ErrorCode::kNotFound);
}

TEST_P(RunStoreTest, DataBytesSumInputResultAndLogOfTheSubmittersRuns) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  EXPECT_EQ(store_->runs().data_bytes(alice.id).value(), 0);
  const auto run = submit(knap, alice);
  const auto queued = submit(knap, alice);
  submit(knap, bob);
  ASSERT_TRUE(store_->runs().mark_running(run.id, "", kStart + 1, ""));
  ASSERT_TRUE(store_->runs().finish(run.id,
                                    {.status = RunStatus::kSucceeded,
                                     .result_digest = digest('r'),
                                     .result_size = 99,
                                     .log_digest = digest('l'),
                                     .log_size = 1000},
                                    kStart + 2));
  EXPECT_EQ(store_->runs().data_bytes(alice.id).value(),
            run.input_size + queued.input_size + 99 + 1000);
  EXPECT_EQ(store_->runs().data_bytes(bob.id).value(), run.input_size);
}

TEST_P(RunStoreTest, CancelEndsAQueuedRunAndFlagsARunningOne) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto queued = submit(knap, alice);
  const auto running = submit(knap, alice);
  ASSERT_TRUE(store_->runs().mark_running(running.id, "ctr", kStart, ""));

  auto canceled = store_->runs().request_cancel(queued.id, kStart + 3);
  ASSERT_TRUE(canceled) << canceled.error().message;
  EXPECT_EQ(canceled->status, RunStatus::kCanceled);
  EXPECT_EQ(canceled->finished_at, kStart + 3);
  EXPECT_FALSE(canceled->reason.empty());

  auto flagged = store_->runs().request_cancel(running.id, kStart + 3);
  ASSERT_TRUE(flagged) << flagged.error().message;
  EXPECT_EQ(flagged->status, RunStatus::kRunning);
  EXPECT_TRUE(flagged->cancel_requested);
  EXPECT_FALSE(flagged->finished_at);

  EXPECT_EQ(store_->runs().request_cancel(queued.id, kStart + 4).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(store_->runs().request_cancel("run_missing", kStart).error().code,
            ErrorCode::kNotFound);
}

TEST_P(RunStoreTest, RetentionReleasesTheDigestsOfOldRuns) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto old = submit(knap, alice, 0, 'a');
  const auto shared = submit(knap, alice, 0, 'b');
  const auto fresh = submit(knap, alice, 0, 'b');
  const auto unfinished = submit(knap, alice, 0, 'c');
  ASSERT_TRUE(store_->runs().finish(
      old.id, {.status = RunStatus::kSucceeded, .result_digest = digest('r'), .result_size = 1},
      kStart + 10));
  ASSERT_TRUE(store_->runs().finish(shared.id, {.status = RunStatus::kFailed}, kStart + 20));
  ASSERT_TRUE(store_->runs().finish(fresh.id, {.status = RunStatus::kFailed}, kStart + 100));

  EXPECT_TRUE(store_->runs().references(digest('r')).value_or(false));
  auto released = store_->runs().remove_finished_before(kStart + 50, 1);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(released->count, 1);
  EXPECT_EQ(released->digests, (std::vector<std::string>{digest('a'), digest('r')}));
  EXPECT_FALSE(store_->runs().references(digest('r')).value_or(true));
  EXPECT_FALSE(store_->runs().references(digest('a')).value_or(true));

  released = store_->runs().remove_finished_before(kStart + 50, 100);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->count, 1);
  EXPECT_EQ(released->digests, std::vector<std::string>{digest('b')});
  // The fresh run still holds 'b'; the unfinished one is never removed.
  EXPECT_TRUE(store_->runs().references(digest('b')).value_or(false));
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::everyone(), {})),
            (std::vector<std::string>{unfinished.id, fresh.id}));
}

TEST_P(RunStoreTest, DeletingAProjectDeletesItsRuns) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto keep = project(alice, "keep");
  submit(knap, alice, 0, 'a');
  ASSERT_TRUE(store_->runs().finish(
      submit(knap, alice, 0, 'b').id,
      {.status = RunStatus::kSucceeded, .result_digest = digest('r'), .result_size = 1}, kStart));
  const auto kept = submit(keep, alice, 0, 'b');
  EXPECT_EQ(store_->runs().digests_of_project(knap.id).value(),
            (std::vector<std::string>{digest('a'), digest('b'), digest('r')}));
  ASSERT_TRUE(store_->projects().remove(OwnerScope::of(alice.id), knap.id));
  EXPECT_EQ(ids(store_->runs().list(OwnerScope::everyone(), {})),
            std::vector<std::string>{kept.id});
  EXPECT_FALSE(store_->runs().references(digest('a')).value_or(true));
  EXPECT_TRUE(store_->runs().references(digest('b')).value_or(false));
}

TEST_P(RunStoreTest, RunStatusNamesRoundTrip) {
  for (auto status :
       {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed,
        RunStatus::kInvalidInput, RunStatus::kTimedOut, RunStatus::kCanceled}) {
    EXPECT_EQ(parse_run_status(run_status_name(status)), status);
  }
  EXPECT_EQ(run_status_name(RunStatus::kInvalidInput), "invalid_input");
  EXPECT_FALSE(parse_run_status("done"));
  EXPECT_TRUE(is_final(RunStatus::kTimedOut));
  EXPECT_FALSE(is_final(RunStatus::kQueued));
}

}  // namespace
}  // namespace orsa::store
