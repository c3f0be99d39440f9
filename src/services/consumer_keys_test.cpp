// services::ConsumerKeys and UsageMeter against the in-memory store and a
// manual clock: issuing and revoking keys, the gate's verdicts exactly at
// the limits, and metering that loses no count.

#include "services/consumer_keys.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "services/usage_meter.hpp"
#include "store/memory_store.hpp"

namespace orsa::services {
namespace {

using Verdict = KeyAdmission::Verdict;
constexpr std::int64_t kStart = 1'700'000'000;  // 2023-11-14T22:13:20Z

class ConsumerKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = principal(store_.users().create({"alice", "alice@example.org", "x"}).value(),
                       Role::kDeveloper);
    bob_ =
        principal(store_.users().create({"bob", "bob@example.org", "x"}).value(), Role::kDeveloper);
    viewer_ =
        principal(store_.users().create({"vera", "vera@example.org", "x"}).value(), Role::kViewer);
    shop_ = store_.projects().create({alice_.user_id, "shop", "python-flask"}).value();
    other_ = store_.projects().create({alice_.user_id, "other", "python-flask"}).value();
  }

  static auth::Principal principal(const store::User& user, Role role) {
    return {user.id, user.username, role, false, ""};
  }

  IssuedKey issue(NewKeyRequest request) {
    auto issued = keys_.create(alice_, shop_ref_, request, caller_);
    EXPECT_TRUE(issued) << issued.error().message;
    return issued.value_or(IssuedKey{});
  }

  // A call the gate let through, answered 200, as the gateway reports it.
  void served(const KeyAdmission& a) {
    meter_.count_call({.project_id = shop_.id,
                       .owner_id = alice_.user_id,
                       .consumer_key_id = a.key_id,
                       .status = 200,
                       .bytes_in = 10,
                       .bytes_out = 100});
  }

  ManualClock clock_{kStart};
  store::MemoryStore store_{clock_};
  Audit audit_{store_.audit(), clock_};
  UsageMeter meter_{store_.usage(), clock_};
  ConsumerKeys keys_{store_.consumer_keys(), store_.projects(), meter_, audit_, clock_};
  auth::Principal alice_, bob_, viewer_;
  store::Project shop_, other_;
  const Caller caller_{"127.0.0.1"};
  const ProjectRef shop_ref_{"alice", "shop"};
};

TEST_F(ConsumerKeysTest, TheOwnerIssuesAKeyShownOnceAndStoredHashed) {
  const auto issued = issue({.name = "acme", .rate_limit_per_min = 60});
  EXPECT_TRUE(issued.secret.starts_with("orsa_ck_"));
  EXPECT_EQ(issued.view.key.prefix, issued.secret.substr(0, 12));
  EXPECT_NE(issued.view.key.key_hash, issued.secret);
  auto listed = keys_.list(alice_, shop_ref_);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key.name, "acme");
  EXPECT_EQ(store_.audit().list(10).value().front().action, "consumer_key_create");
}

TEST_F(ConsumerKeysTest, OthersCannotIssueListOrRevokeAndBadInputChangesNothing) {
  EXPECT_EQ(keys_.create(bob_, shop_ref_, {.name = "x"}, caller_).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(keys_.list(bob_, shop_ref_).error().code, ErrorCode::kNotFound);
  const auto issued = issue({.name = "acme"});
  EXPECT_EQ(keys_.revoke(bob_, shop_ref_, issued.view.key.id, caller_).error().code,
            ErrorCode::kNotFound);
  // A key of one project cannot be revoked through another.
  EXPECT_EQ(keys_.revoke(alice_, {"alice", "other"}, issued.view.key.id, caller_).error().code,
            ErrorCode::kNotFound);
  const NewKeyRequest bad[] = {
      {.name = ""},
      {.name = std::string(65, 'k')},
      {.name = "tab\there"},
      {.name = "past", .expires_at = kStart},
      {.name = "rate", .rate_limit_per_min = 0},
      {.name = "quota", .monthly_quota_requests = -1},
      {.name = "seconds", .monthly_quota_run_seconds = 0},
  };
  for (const auto& request : bad) {
    auto refused = keys_.create(alice_, shop_ref_, request, caller_);
    ASSERT_FALSE(refused) << request.name;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << request.name;
  }
  EXPECT_EQ(keys_.list(alice_, shop_ref_).value().size(), 1u);
  // The key's principal is nobody in the management API.
  const auto a = keys_.identify(issued.secret);
  ASSERT_TRUE(a.allowed());
  EXPECT_EQ(keys_.list(a.principal, shop_ref_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(keys_.create(a.principal, shop_ref_, {.name = "more"}, caller_).error().code,
            ErrorCode::kNotFound);
}

TEST_F(ConsumerKeysTest, AKeyWorksForItsOneProjectOnly) {
  const auto issued = issue({.name = "acme"});
  const auto ok = keys_.admit_call(issued.secret, shop_.id);
  ASSERT_TRUE(ok.allowed()) << ok.message;
  EXPECT_EQ(ok.limits.project_id, shop_.id);
  // The runs API's caller for the key: its project, no user.
  const auto who = keys_.identify(issued.secret);
  EXPECT_EQ(who.principal.consumer_project_id, shop_.id);
  EXPECT_TRUE(who.principal.user_id.empty());
  EXPECT_EQ(keys_.admit_call(issued.secret, other_.id).verdict, Verdict::kNotFound);
  EXPECT_EQ(keys_.admit_call("orsa_ck_" + std::string(43, 'A'), shop_.id).verdict,
            Verdict::kNotFound);
  EXPECT_EQ(keys_.admit_call("not a key", shop_.id).verdict, Verdict::kNotFound);
}

TEST_F(ConsumerKeysTest, RevokedAndExpiredKeysAreUnauthorized) {
  const auto revoked = issue({.name = "gone"});
  const auto expiring = issue({.name = "soon", .expires_at = kStart + 60});
  ASSERT_TRUE(keys_.admit_call(revoked.secret, shop_.id).allowed());  // cached now
  auto done = keys_.revoke(alice_, shop_ref_, revoked.view.key.id, caller_);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->key.revoked_at, kStart);
  const auto after = keys_.admit_call(revoked.secret, shop_.id);
  EXPECT_EQ(after.verdict, Verdict::kUnauthorized);  // at once, despite the cache
  EXPECT_EQ(after.message, "this key was revoked");
  ASSERT_TRUE(keys_.admit_call(expiring.secret, shop_.id).allowed());
  clock_.advance(60);
  EXPECT_EQ(keys_.admit_call(expiring.secret, shop_.id).verdict, Verdict::kUnauthorized);
}

TEST_F(ConsumerKeysTest, TheRateLimitAdmitsExactlyItsCallsAMinute) {
  const auto issued = issue({.name = "acme", .rate_limit_per_min = 5});
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(keys_.admit_call(issued.secret, shop_.id).allowed()) << i;
  }
  const auto sixth = keys_.admit_call(issued.secret, shop_.id);
  EXPECT_EQ(sixth.verdict, Verdict::kRateLimited);
  EXPECT_EQ(sixth.retry_after_s, 12);  // one call every 60/5 s
  clock_.advance(11);
  EXPECT_EQ(keys_.admit_call(issued.secret, shop_.id).verdict, Verdict::kRateLimited);
  clock_.advance(1);
  EXPECT_TRUE(keys_.admit_call(issued.secret, shop_.id).allowed());
  // A minute of rest refills the whole burst, no more.
  clock_.advance(600);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(keys_.admit_call(issued.secret, shop_.id).allowed());
  EXPECT_EQ(keys_.admit_call(issued.secret, shop_.id).verdict, Verdict::kRateLimited);
}

TEST_F(ConsumerKeysTest, TheNonBlockingGateAnswersFromMemoryOnlyAndTakesNothingWhenItCannot) {
  const auto issued = issue({.name = "acme", .rate_limit_per_min = 3, .monthly_quota_requests = 2});
  // Not cached yet: no answer, and no token taken.
  EXPECT_FALSE(keys_.try_admit_call(issued.secret, shop_.id));
  const auto first = keys_.admit_call(issued.secret, shop_.id);  // reads the key and the month
  ASSERT_TRUE(first.allowed());
  served(first);
  const auto second = keys_.try_admit_call(issued.secret, shop_.id);
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->allowed());
  served(*second);
  const auto third = keys_.try_admit_call(issued.secret, shop_.id);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->verdict, Verdict::kOverQuota);  // the same limits as admit_call
  EXPECT_EQ(keys_.try_admit_call(issued.secret, other_.id)->verdict, Verdict::kNotFound);
  EXPECT_EQ(keys_.try_admit_call("orsa_ck_unknown", shop_.id).value_or(KeyAdmission{}).verdict,
            Verdict::kNotFound);
  // The rate's three tokens went to the three calls above: the fourth waits.
  EXPECT_EQ(keys_.try_admit_call(issued.secret, shop_.id)->verdict, Verdict::kRateLimited);
  // Past the cache's life the key must be read again: no answer.
  clock_.advance(10);
  EXPECT_FALSE(keys_.try_admit_call(issued.secret, shop_.id));
}

TEST_F(ConsumerKeysTest, TheRequestQuotaAdmitsExactlyItsRequestsAndSurvivesAFlush) {
  const auto issued = issue({.name = "acme", .monthly_quota_requests = 3});
  for (int i = 0; i < 2; ++i) {
    const auto a = keys_.admit_call(issued.secret, shop_.id);
    ASSERT_TRUE(a.allowed());
    served(a);
  }
  ASSERT_TRUE(meter_.flush());  // counts now in the store, not in memory
  const auto third = keys_.admit_call(issued.secret, shop_.id);
  ASSERT_TRUE(third.allowed());
  served(third);
  const auto fourth = keys_.admit_call(issued.secret, shop_.id);
  EXPECT_EQ(fourth.verdict, Verdict::kOverQuota);
  EXPECT_NE(fourth.message.find("monthly quota of 3 requests used"), std::string::npos);
  // A refusal is metered but does not count against the quota.
  meter_.count_call({.project_id = shop_.id,
                     .owner_id = alice_.user_id,
                     .consumer_key_id = fourth.key_id,
                     .status = 429,
                     .refused = true});
  ASSERT_TRUE(meter_.flush());
  EXPECT_EQ(meter_.month_usage(fourth.key_id).value().requests, 3);
  // A new meter (a restarted control plane) reads the month from the store.
  UsageMeter restarted(store_.usage(), clock_);
  EXPECT_EQ(restarted.month_usage(fourth.key_id).value().requests, 3);
}

TEST_F(ConsumerKeysTest, TheRunSecondsQuotaCountsEndedRuns) {
  const auto issued = issue({.name = "acme", .monthly_quota_run_seconds = 10});
  const auto a = keys_.admit_run(issued.secret);
  ASSERT_TRUE(a.allowed()) << a.message;
  store::Run run{.owner_id = alice_.user_id,
                 .project_id = shop_.id,
                 .submitter_id = alice_.user_id,
                 .started_at = kStart,
                 .finished_at = kStart + 9,
                 .consumer_key_id = a.key_id};
  meter_.count_run(run, 4'000);
  EXPECT_TRUE(keys_.admit_run(issued.secret).allowed());  // 9 s of 10 used
  run.finished_at = kStart + 1;
  meter_.count_run(run, 500);
  const auto over = keys_.admit_run(issued.secret);
  EXPECT_EQ(over.verdict, Verdict::kOverQuota);
  EXPECT_NE(over.message.find("10 run seconds"), std::string::npos);
  // Calls to the service are not run seconds.
  EXPECT_TRUE(keys_.admit_call(issued.secret, shop_.id).allowed());
}

TEST_F(ConsumerKeysTest, MeteredTotalsEqualTheCountsMadeFromManyThreads) {
  const auto issued = issue({.name = "acme"});
  const auto a = keys_.admit_call(issued.secret, shop_.id);
  constexpr int kThreads = 4, kCalls = 2'500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) served(a);
    });
  }
  // Flushes race the counting: every count lands in exactly one batch.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(meter_.flush());
  for (auto& t : threads) t.join();
  ASSERT_TRUE(meter_.flush());
  const auto rows = store_.usage().project_rows(shop_.id, 0, kStart * 2).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].counters.requests_2xx, kThreads * kCalls);
  EXPECT_EQ(rows[0].counters.bytes_in, 10 * kThreads * kCalls);
  EXPECT_EQ(rows[0].key.consumer_key_id, a.key_id);
  EXPECT_EQ(rows[0].key.hour, kStart - kStart % 3600);
  EXPECT_EQ(meter_.month_usage(a.key_id).value().requests, kThreads * kCalls);
}

TEST_F(ConsumerKeysTest, TheUsageReportSumsPerKeyAndDayIncludingUnflushedCounts) {
  const auto acme = issue({.name = "acme"});
  const auto beta = issue({.name = "beta"});
  const auto a = keys_.admit_call(acme.secret, shop_.id);
  const auto b = keys_.admit_call(beta.secret, shop_.id);
  served(a);
  served(a);
  ASSERT_TRUE(meter_.flush());
  clock_.advance(86400);  // the next day
  served(a);              // not flushed yet: still in the report
  served(b);
  meter_.count_call({.project_id = shop_.id, .owner_id = alice_.user_id, .status = 404});
  const std::int64_t from = kStart - 86400, to = kStart + 2 * 86400;

  auto by_key = keys_.usage(alice_, shop_ref_, from, to, {.by_key = true});
  ASSERT_TRUE(by_key) << by_key.error().message;
  ASSERT_EQ(by_key->size(), 3u);  // no key, acme, beta
  std::map<std::string, std::int64_t> requests;
  for (const auto& line : *by_key) requests[line.key_name] = line.counters.requests();
  EXPECT_EQ(requests, (std::map<std::string, std::int64_t>{{"", 1}, {"acme", 3}, {"beta", 1}}));

  auto by_day = keys_.usage(alice_, shop_ref_, from, to, {.by_day = true});
  ASSERT_TRUE(by_day);
  ASSERT_EQ(by_day->size(), 2u);
  EXPECT_EQ((*by_day)[0].day, "2023-11-14");
  EXPECT_EQ((*by_day)[0].counters.requests_2xx, 2);
  EXPECT_EQ((*by_day)[1].day, "2023-11-15");
  EXPECT_EQ((*by_day)[1].counters.requests(), 3);
  ASSERT_TRUE(meter_.flush());  // the same figures once all are in the store
  EXPECT_EQ(keys_.usage(alice_, shop_ref_, from, to, {.by_day = true})->at(1).counters.requests(),
            3);
  // A window that ends before the second day holds only the first.
  EXPECT_EQ(keys_.usage(alice_, shop_ref_, from, kStart + 3600, {})->at(0).counters.requests(), 2);

  EXPECT_EQ(keys_.usage(bob_, shop_ref_, from, to, {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(keys_.usage(alice_, shop_ref_, to, from, {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(keys_.usage(alice_, shop_ref_, 0, kStart, {}).error().code,
            ErrorCode::kInvalidArgument);  // longer than one report covers
}

TEST(UsageMeter, ConsumerSeriesAreCappedAndTheRestSummedAsOther) {
  ManualClock clock{kStart};
  store::MemoryStore store{clock};
  UsageMeter meter{store.usage(), clock};
  const std::size_t keys = kMaxConsumerSeries + 20;
  for (std::size_t i = 0; i < keys; ++i) {
    const std::string key = "ck_" + std::to_string(i);
    meter.count_call({.project_id = "prj_1", .consumer_key_id = key, .status = 200});
    meter.count_call({.project_id = "prj_1", .consumer_key_id = key, .status = 503});
  }
  meter.count_call({.project_id = "prj_1", .status = 200});  // no key: no series
  const auto totals = meter.consumer_totals();
  ASSERT_EQ(totals.size(), kMaxConsumerSeries + 1);
  std::int64_t requests = 0;
  for (const auto& t : totals) {
    requests += t.counters.requests();
    if (t.consumer_key_id == kOtherConsumers) {
      EXPECT_EQ(t.counters.requests_5xx, 20);
    }
  }
  EXPECT_EQ(requests, static_cast<std::int64_t>(2 * keys));  // nothing lost, only folded
}

TEST(UsageMeter, MonthStartIsTheFirstOfTheUtcMonth) {
  EXPECT_EQ(month_start(1'700'000'000), 1'698'796'800);  // 2023-11-01T00:00:00Z
  EXPECT_EQ(month_start(1'698'796'800), 1'698'796'800);
  EXPECT_EQ(month_start(1'698'796'799), 1'696'118'400);  // 2023-10-01
}

}  // namespace
}  // namespace orsa::services
