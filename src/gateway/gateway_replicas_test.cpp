// A deployment with several replicas: calls spread over them, the least busy
// gets the next call, and a replica that is gone or failing costs no call
// once the gateway has seen it fail (passive health).

#include <future>
#include <thread>

#include "gateway_test_support.hpp"

namespace orsa::gateway {
namespace {

using namespace test_support;

Route replicated(std::vector<std::uint16_t> ports) {
  Route r;
  r.owner = "alice";
  r.project = "shop";
  r.owner_id = "usr_alice";
  r.deployment_id = "dep_1";
  r.visibility = Visibility::kPublic;
  r.state = RouteState::kServing;
  for (auto port : ports) r.upstreams.push_back(Upstream{"127.0.0.1", port});
  return r;
}

TEST_F(GatewayTest, CallsSpreadOverEveryReplica) {
  RawUpstream a, b, c;
  start();
  table_.put(replicated({a.port(), b.port(), c.port()}));
  constexpr int kCalls = 60;
  for (int i = 0; i < kCalls; ++i) {
    auto r = get("/alice/shop/x");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(a.requests() + b.requests() + c.requests(), kCalls);
  // Idle replicas take turns (per network thread): none is left out.
  for (const RawUpstream* u : {&a, &b, &c}) EXPECT_GE(u->requests(), kCalls / 6);
}

TEST_F(GatewayTest, TheNextCallGoesToTheReplicaWithFewestInFlight) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> fast_a{0}, fast_b{0};
  auto handler = [&](std::atomic<int>& fast) {
    return [&released, &fast](UpExchange& ex) {
      if (ex.req().target() == "/slow") {
        released.wait();
      } else {
        ++fast;
      }
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
      res.body() = "ok";
      return ex.send(std::move(res));
    };
  };
  RawUpstream a(handler(fast_a)), b(handler(fast_b));
  start();
  table_.put(replicated({a.port(), b.port()}));
  auto slow = std::async(std::launch::async, [&] { return get("/alice/shop/slow"); });
  ASSERT_TRUE(eventually(kSettle, [&] { return a.requests() + b.requests() == 1; }));
  const bool a_busy = a.requests() == 1;
  const Upstream free{"127.0.0.1", a_busy ? b.port() : a.port()};
  for (int i = 0; i < 10; ++i) {
    // The last call's exchange may still be winding down on the gateway
    // after its answer reached us: a tie then, which may go either way.
    ASSERT_TRUE(eventually(kSettle, [&] { return table_.in_flight(free) == 0; }));
    auto r = get("/alice/shop/fast");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  // Every call went to the replica that was not busy with the slow one.
  EXPECT_EQ((a_busy ? fast_b : fast_a).load(), 10);
  EXPECT_EQ((a_busy ? fast_a : fast_b).load(), 0);
  release.set_value();
  auto slow_answer = slow.get();
  ASSERT_TRUE(slow_answer);
  EXPECT_EQ(slow_answer->status, 200);
}

TEST_F(GatewayTest, AReplicaThatRefusesConnectionsCostsNoCall) {
  RawUpstream live;
  start();
  // The dead replica first: calls reach it in turn until it is ejected, and
  // each of those moves, unsent, to the live one.
  table_.put(replicated({closed_port(), live.port()}));
  for (int i = 0; i < 20; ++i) {
    auto post = client_.request("POST", url("/alice/shop/solve"), {}, R"({"n":1})");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 200) << i;
  }
  EXPECT_EQ(live.requests(), 20);
}

TEST_F(GatewayTest, AReplicaFailingInARowIsEjectedAndLaterTriedAgain) {
  // Takes the request and closes without an answer: a crashed worker.
  RawUpstream broken([](UpExchange&) { return false; });
  RawUpstream live;
  Options options = test_options();
  options.eject_after_failures = 3;
  options.ejection = 3s;
  start(options);
  table_.put(replicated({broken.port(), live.port()}));
  // POST: a call the replica took may have been acted on, so it is never
  // resent; the replica's failures reach the caller.
  const auto status = [&] {
    auto r = client_.request("POST", url("/alice/shop/solve"), {}, R"({"n":1})");
    return r ? r->status : 0;
  };
  // Calls take turns until the broken replica has failed three of them.
  int failed = 0;
  for (int i = 0; i < 20 && failed < 3; ++i) {
    const int code = status();
    ASSERT_TRUE(code == 200 || code == 502) << code;
    if (code == 502) ++failed;
  }
  ASSERT_EQ(failed, 3);
  // Ejected: every call goes to the live replica.
  const int live_before = live.requests();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(status(), 200);
  EXPECT_EQ(broken.connections(), 3);
  EXPECT_EQ(live.requests(), live_before + 10);
  // After the ejection it gets a call again, and one failure ejects it anew.
  std::this_thread::sleep_for(3100ms);
  failed = 0;
  for (int i = 0; i < 10; ++i) {
    if (status() == 502) ++failed;
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(broken.connections(), 4);
}

TEST_F(GatewayTest, AnIdempotentCallAReplicaDroppedGoesToAnother) {
  // Takes the request and closes without an answer: a replica going away.
  RawUpstream broken([](UpExchange&) { return false; });
  RawUpstream live;
  start();
  table_.put(replicated({broken.port(), live.port()}));
  for (int i = 0; i < 20; ++i) {
    auto r = get("/alice/shop/x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << i;
  }
  EXPECT_EQ(live.requests(), 20);
  EXPECT_GE(broken.connections(), 1);  // it was tried, and the call moved on
}

TEST_F(GatewayTest, ARouteWithoutReplicasIs503) {
  start();
  table_.put(replicated({}));
  auto r = get("/alice/shop/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

}  // namespace
}  // namespace orsa::gateway
