// The gate (Hooks::admit) and the usage meter (Hooks::meter) as the gateway
// uses them: which calls are gated, what a refusal looks like, what is counted.

#include <map>
#include <memory>

#include "gateway_test_support.hpp"
#include "testing/eventually.hpp"

namespace orsa::gateway {
namespace {

using namespace test_support;

struct Metered {
  std::string key;
  int status = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  bool refused = false;
};

// A gate that knows three keys: "good" (allowed), "revoked" and "busy".
Admission admit_by_key(const http::Request& req) {
  const auto key = req.header(kApiKeyHeader).value_or("");
  if (key == "good") {
    Admission a = Admission::allow();
    a.consumer_key_id = "ck_good";
    return a;
  }
  if (key == "revoked") {
    return {.verdict = Admission::Verdict::kUnauthorized, .message = "this key was revoked"};
  }
  if (key == "busy") {
    return {.verdict = Admission::Verdict::kTooMany,
            .message = "rate limit of 1 request per minute",
            .retry_after_s = 7,
            .consumer_key_id = "ck_busy"};
  }
  if (key == "spent") {
    return {.verdict = Admission::Verdict::kTooMany,
            .message = "this month's quota of 10 requests is used",
            .consumer_key_id = "ck_spent"};
  }
  return {};
}

TEST_F(GatewayTest, APublicRouteGatesOnlyCallsThatCarryCredentials) {
  RawUpstream upstream;
  std::atomic<int> asked{0};
  Hooks hooks;
  hooks.admit = [&](const Route&, const http::Request& req) {
    ++asked;
    return admit_by_key(req);
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port()));

  auto anonymous = get("/alice/shop/");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 200);
  EXPECT_EQ(asked.load(), 0);  // no credentials: no trip to the worker pool

  auto good = get("/alice/shop/", {{"X-Api-Key", "good"}});
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  auto revoked = get("/alice/shop/", {{"x-api-key", "revoked"}});
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 401);
  EXPECT_EQ(error_code_of(revoked->body), "unauthenticated");
  EXPECT_NE(revoked->body.find("this key was revoked"), std::string::npos) << revoked->body;
  auto busy = get("/alice/shop/", {{"X-Api-Key", "busy"}});
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 429);
  EXPECT_EQ(busy->headers["retry-after"], "7");
  auto spent = get("/alice/shop/", {{"X-Api-Key", "spent"}});
  ASSERT_TRUE(spent);
  EXPECT_EQ(spent->status, 429);
  EXPECT_FALSE(spent->headers.contains("retry-after"));  // waiting a moment does not help
  EXPECT_NE(spent->body.find("quota of 10 requests"), std::string::npos) << spent->body;
  // A key of another project (the gate does not know it here) on a public
  // route: as if the project did not exist, not served anonymously.
  auto foreign = get("/alice/shop/", {{"X-Api-Key", "other-project"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404);

  EXPECT_EQ(asked.load(), 5);
  EXPECT_EQ(upstream.requests(), 2);  // the anonymous call and the good key
}

TEST_F(GatewayTest, AnAnswerFromMemorySkipsTheBlockingGate) {
  RawUpstream upstream;
  std::atomic<int> blocking{0};
  Hooks hooks;
  hooks.try_admit = [](const Route&, const http::Request& req) -> std::optional<Admission> {
    if (req.header(kApiKeyHeader) == "cold") return std::nullopt;  // not in memory
    return admit_by_key(req);
  };
  hooks.admit = [&](const Route&, const http::Request& req) {
    ++blocking;
    return req.header(kApiKeyHeader) == "cold" ? Admission::allow() : Admission{};
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));
  auto warm = get("/alice/shop/", {{"X-Api-Key", "good"}});
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->status, 200);
  auto busy = get("/alice/shop/", {{"X-Api-Key", "busy"}});
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 429);
  EXPECT_EQ(blocking.load(), 0);
  auto cold = get("/alice/shop/", {{"X-Api-Key", "cold"}});
  ASSERT_TRUE(cold);
  EXPECT_EQ(cold->status, 200);
  EXPECT_EQ(blocking.load(), 1);
}

TEST_F(GatewayTest, TheMeterSeesEachCallOnceWithItsKeyStatusAndBytes) {
  RawUpstream upstream;
  // The meter runs when an exchange ends, after its answer has left: the
  // state it writes must outlive this test's body (the server stops later).
  struct Seen {
    std::mutex mutex;
    std::vector<Metered> calls;
  };
  auto seen = std::make_shared<Seen>();
  Hooks hooks;
  hooks.admit = [](const Route&, const http::Request& req) { return admit_by_key(req); };
  hooks.meter = [seen](const CallRecord& call) {
    std::lock_guard lock(seen->mutex);
    seen->calls.push_back(
        {call.admission.consumer_key_id, call.status, call.bytes_in, call.bytes_out, call.refused});
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));

  auto posted = client_.request("POST", url("/alice/shop/solve"), {{"X-Api-Key", "good"}}, "12345");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200);
  auto busy = get("/alice/shop/", {{"X-Api-Key", "busy"}});
  ASSERT_TRUE(busy);
  auto stranger = get("/alice/shop/");  // private, no credentials
  ASSERT_TRUE(stranger);
  auto nowhere = get("/alice/none/", {{"X-Api-Key", "good"}});  // no route: nothing to meter
  ASSERT_TRUE(nowhere);

  const auto metered = [&seen] {
    std::lock_guard lock(seen->mutex);
    return seen->calls.size();
  };
  ASSERT_TRUE(testing::eventually(
      5s, [&] { return metered() >= 3; }, "three calls metered"));
  std::lock_guard lock(seen->mutex);
  ASSERT_EQ(seen->calls.size(), 3U);  // and not the call without a route
  std::map<int, Metered> by_status;
  for (const auto& call : seen->calls) by_status[call.status] = call;
  ASSERT_EQ(by_status.size(), 3U);
  EXPECT_EQ(by_status[200].key, "ck_good");
  EXPECT_EQ(by_status[200].bytes_in, 5U);
  EXPECT_EQ(by_status[200].bytes_out, posted->body.size());
  EXPECT_FALSE(by_status[200].refused);
  EXPECT_EQ(by_status[429].key, "ck_busy");
  EXPECT_TRUE(by_status[429].refused);  // counted against the key as refused, not as served
  EXPECT_EQ(by_status[404].key, "");
  EXPECT_FALSE(by_status[404].refused);  // a stranger's 404 is not the project refusing a customer
}

}  // namespace
}  // namespace orsa::gateway
