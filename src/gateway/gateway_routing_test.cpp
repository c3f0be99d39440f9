// Answers of the gateway itself (404, 413, 502, 503, 504, 308), waking idle
// routes, metrics, HEAD, blue-green switches and stopping.

#include <thread>

#include "gateway_test_support.hpp"

namespace orsa::gateway {
namespace {

using namespace test_support;

TEST_F(GatewayTest, UnknownProjectsAndBadPathsAre404) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port()));
  for (const char* path :
       {"/alice/nope/", "/bob/shop/x", "/alice", "/", "//shop/", "/s/alice/shop/"}) {
    auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(error_code_of(r->body), "not_found") << path;
  }
  EXPECT_EQ(upstream.requests(), 0);
}

TEST_F(GatewayTest, PrivateRouteAnswers404UnlessAuthorized) {
  RawUpstream upstream;
  std::atomic<int> calls{0};
  std::mutex mutex;
  std::string seen_path, seen_method;
  Hooks hooks;
  hooks.admit = [&](const Route& r, const http::Request& req) {
    ++calls;
    std::lock_guard lock(mutex);
    seen_path = req.path;
    seen_method = req.method;
    return r.owner == "alice" && req.header("Authorization") == "Bearer good" ? Admission::allow()
                                                                              : Admission{};
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));

  auto denied = get("/alice/shop/p", {{"Authorization", "Bearer bad"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 404);
  EXPECT_EQ(error_code_of(denied->body), "not_found");
  auto missing = get("/alice/other/p");
  ASSERT_TRUE(missing);
  // The same answer as for a project that does not exist.
  EXPECT_EQ(denied->body, missing->body);
  EXPECT_EQ(upstream.requests(), 0);

  auto allowed = get("/alice/shop/p%20q", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(allowed);
  ASSERT_EQ(allowed->status, 200);
  // Authorised, yet the credential still stays with ORSA.
  EXPECT_FALSE(Json::parse(allowed->body)["headers"].contains("authorization"));
  EXPECT_EQ(calls.load(), 2);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen_path, "/alice/shop/p q");
  EXPECT_EQ(seen_method, "GET");
}

TEST_F(GatewayTest, PrivateRouteWithoutAuthorizeHookIs404) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(GatewayTest, UnavailableRouteIs503WithRetryAfter) {
  start();
  table_.put(route(closed_port(), "dep_1", RouteState::kUnavailable));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers["retry-after"], "5");
  EXPECT_EQ(error_code_of(r->body), "unavailable");
  EXPECT_TRUE(eventually(
      kSettle, [&] { return table_.stats("dep_1").requests_by_class[4] == 1u; },
      "one 4xx counted"));
}

TEST_F(GatewayTest, UpstreamDownIs502) {
  start();
  table_.put(route(closed_port()));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  // The client connection stays usable after a gateway error.
  auto again = get("/alice/shop/");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 502);
}

TEST_F(GatewayTest, SlowUpstreamIs504) {
  std::promise<void> release;
  auto released = release.get_future().share();
  RawUpstream upstream([released](UpExchange& ex) {
    released.wait_for(10s);
    return echo(ex);
  });
  Options options = test_options();
  options.request_timeout = 300ms;
  start(options);
  table_.put(route(upstream.port()));
  const auto begin = SteadyClock::now();
  auto r = get("/alice/shop/slow");
  release.set_value();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_LT(SteadyClock::now() - begin, 3s);
}

TEST_F(GatewayTest, UpstreamGarbageIs502) {
  RawUpstream upstream([](UpExchange& ex) {
    ex.read_body();
    ex.send_raw("this is not http\r\n\r\n");
    return false;
  });
  start();
  table_.put(route(upstream.port()));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

TEST_F(GatewayTest, BodiesOverTheLimitAre413) {
  RawUpstream upstream;
  Options options = test_options();
  options.body_limit = 1024;
  start(options);
  table_.put(route(upstream.port()));
  auto declared = client_.request("POST", url("/alice/shop/"), {}, std::string(2048, 'x'));
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->status, 413);
  EXPECT_EQ(upstream.requests(), 0);

  RawConn c(port_);
  ASSERT_TRUE(
      c.send("POST /alice/shop/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "400\r\n" +
             std::string(1024, 'y') + "\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"));
  ASSERT_TRUE(c.read_until("\r\n\r\n"));
  EXPECT_EQ(c.received().substr(0, 12), "HTTP/1.1 413");

  auto fits = client_.request("POST", url("/alice/shop/"), {}, std::string(1000, 'z'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

// orsa.toml's [service] max_body_bytes: the gateway answers 413 itself,
// naming the setting, instead of forwarding a body gunicorn would refuse
// mid-upload (which the caller saw as a 502).
TEST_F(GatewayTest, ABodyOverTheServiceLimitIs413NamingTheSetting) {
  RawUpstream upstream;
  start();
  Route limited = route(upstream.port());
  limited.max_body_bytes = 512;
  table_.put(limited);
  auto declared = client_.request("POST", url("/alice/shop/solve"), {}, std::string(1000, 'x'));
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->status, 413);
  EXPECT_NE(declared->body.find("limit of 512 bytes ([service] max_body_bytes in orsa.toml)"),
            std::string::npos)
      << declared->body;
  EXPECT_EQ(upstream.requests(), 0);

  RawConn c(port_);
  ASSERT_TRUE(
      c.send("POST /alice/shop/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" +
             std::string(512, 'y') + "\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"));
  ASSERT_TRUE(c.read_until("\r\n\r\n"));
  EXPECT_EQ(c.received().substr(0, 12), "HTTP/1.1 413");

  auto fits = client_.request("POST", url("/alice/shop/solve"), {}, std::string(400, 'z'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

// gunicorn replaces a worker that runs past [service] timeout, closing the
// connection: the caller learns which setting it hit, and where to go.
TEST_F(GatewayTest, AServiceThatDiesAtItsTimeoutIs504NamingTheSetting) {
  RawUpstream upstream([](UpExchange& ex) {
    ex.read_body();
    std::this_thread::sleep_for(1100ms);
    return false;  // closed without an answer
  });
  start();
  Route slow = route(upstream.port());
  slow.timeout_s = 1;
  table_.put(slow);
  auto r = client_.request("POST", url("/alice/shop/solve"), {}, "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_NE(r->body.find("did not answer within 1 s"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("[service] timeout in orsa.toml"), std::string::npos) << r->body;
}

// The service's timeout, not the gateway's default, bounds its calls.
TEST_F(GatewayTest, AServiceTimeoutLongerThanTheGatewayDefaultIsHonoured) {
  RawUpstream upstream([](UpExchange& ex) {
    std::this_thread::sleep_for(800ms);
    return echo(ex);
  });
  Options options = test_options();
  options.request_timeout = 300ms;
  start(options);
  Route patient = route(upstream.port());
  patient.timeout_s = 5;
  table_.put(patient);
  auto r = get("/alice/shop/solve");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(GatewayTest, ProjectWithoutTrailingSlashRedirects308KeepingTheQuery) {
  start();
  table_.put(route(closed_port()));
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /alice/shop?a=1&b=2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_until("\r\n\r\n"));
  EXPECT_EQ(c.received().substr(0, 12), "HTTP/1.1 308");
  EXPECT_NE(c.received().find("Location: /alice/shop/?a=1&b=2\r\n"), std::string::npos)
      << c.received();
}

TEST_F(GatewayTest, IdleRouteIsWokenAndTheRequestHeldUntilServing) {
  RawUpstream upstream;
  std::atomic<int> wakes{0};
  Hooks hooks;
  hooks.wake = [&](const Route&) { ++wakes; };
  start(test_options(), std::move(hooks));
  const Route idle = route(upstream.port(), "dep_1", RouteState::kIdle);
  table_.put(idle);
  auto answer = std::async(std::launch::async, [&] { return get("/alice/shop/hello"); });
  ASSERT_TRUE(eventually(
      kSettle, [&] { return wakes.load() == 1; }, "the wake hook called"));
  // The container "starts": no answer until the route serves.
  EXPECT_EQ(answer.wait_for(100ms), std::future_status::timeout) << "answered while idle";
  Route serving = idle;
  serving.state = RouteState::kServing;
  table_.put(serving);
  auto r = answer.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(wakes.load(), 1);
}

TEST_F(GatewayTest, IdleRouteNeverWokenIs503AfterTheWakeTimeout) {
  std::atomic<int> wakes{0};
  Hooks hooks;
  hooks.wake = [&](const Route&) { ++wakes; };
  Options options = test_options();
  options.wake_timeout = 200ms;
  start(options, std::move(hooks));
  table_.put(route(closed_port(), "dep_1", RouteState::kIdle));
  const auto begin = SteadyClock::now();
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers["retry-after"], "5");
  EXPECT_GE(SteadyClock::now() - begin, 200ms);
  EXPECT_EQ(wakes.load(), 1);
}

TEST_F(GatewayTest, CountsMetricsPerDeploymentAndInTheServerLog) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port(), "dep_m"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(get("/alice/shop/"));
  ASSERT_TRUE(client_.request("POST", url("/alice/shop/"), {}, "12345"));
  // Recorded after the response is written: poll.
  ASSERT_TRUE(eventually(
      kSettle, [&] { return table_.stats("dep_m").requests_by_class[1] == 4; },
      "four 1xx counted"));
  const StatsSnapshot s = table_.stats("dep_m");
  EXPECT_EQ(s.bytes_in, 5u);
  EXPECT_GT(s.bytes_out, 0u);
  std::uint64_t observed = 0;
  for (auto n : s.latency_buckets) observed += n;
  EXPECT_EQ(observed, 4u);
  EXPECT_TRUE(s.last_request_at);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_NE(table_.render_metrics().find("orsa_gateway_requests_total{deployment=\"dep_m\",owner="
                                         "\"alice\",project=\"shop\",class=\"2xx\"} 4"),
            std::string::npos);
  // The server's own per-route metrics use the gateway's route label.
  EXPECT_TRUE(eventually(
      kSettle,
      [&] { return metrics_.render().find("/{owner}/{project}/{path...}") != std::string::npos; },
      "the route template in the metrics"));
}

TEST_F(GatewayTest, HeadRequestGetsHeadersOnly) {
  RawUpstream upstream([](UpExchange& ex) {
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.content_length(1234);
    beast::error_code ec;
    bhttp::response_serializer<bhttp::string_body> sr{res};
    bhttp::write_header(ex.socket, sr, ec);
    return !ec;
  });
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("HEAD /alice/shop/file HTTP/1.1\r\nHost: x\r\n\r\n"
             "HEAD /alice/shop/file HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_until("Content-Length: 1234\r\n"));
  // The second answer on the same connection proves the first had no body.
  const auto first = c.received().find("HTTP/1.1 200");
  ASSERT_TRUE(eventually(
      kSettle,
      [&] {
        c.read_until("\x01", 20ms);  // reads whatever comes within 20 ms
        return c.received().find("HTTP/1.1 200", first + 1) != std::string::npos;
      },
      "a second 200", [&] { return c.received(); }));
}

TEST_F(GatewayTest, BlueGreenSwitchFailsNoRequestAndDrainsTheOldUpstream) {
  std::promise<void> slow_started;
  std::promise<void> release_slow;
  auto released = release_slow.get_future().share();
  std::atomic<bool> slow_once{false};
  RawUpstream blue([&, released](UpExchange& ex) {
    if (ex.req().target() == "/slow" && !slow_once.exchange(true)) {
      slow_started.set_value();
      released.wait_for(5s);
    }
    return echo(ex);
  });
  RawUpstream green;
  start();
  table_.put(route(blue.port(), "dep_blue"));

  // A request still running on blue when the switch happens.
  auto slow = std::async(std::launch::async, [&] { return get("/alice/shop/slow"); });
  ASSERT_EQ(slow_started.get_future().wait_for(5s), std::future_status::ready);

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::thread loop([&] {
    while (!stop.load()) {
      auto r = get("/alice/shop/loop");
      (r && r->status == 200 ? ok : failed)++;
    }
  });
  ASSERT_TRUE(eventually(
      kSettle, [&] { return ok.load() >= 20; }, "20 answers from blue"));
  table_.put(route(green.port(), "dep_green"));
  ASSERT_TRUE(eventually(
      kSettle, [&] { return green.requests() >= 20; }, "20 requests on green"));
  stop = true;
  loop.join();
  EXPECT_EQ(failed.load(), 0);

  EXPECT_EQ(table_.in_flight(Upstream{"127.0.0.1", blue.port()}), 1u);
  release_slow.set_value();
  auto slow_result = slow.get();
  ASSERT_TRUE(slow_result);
  EXPECT_EQ(slow_result->status, 200);
  EXPECT_TRUE(eventually(
      kSettle,
      [&] {
        return table_.in_flight(Upstream{"127.0.0.1", blue.port()}) == 0;
      },
      "blue drained"));
}

TEST_F(GatewayTest, StopClosesIdleConnectionsAndFinishesInFlightExchanges) {
  std::promise<void> started;
  std::promise<void> release;
  auto released = release.get_future().share();
  RawUpstream upstream([&, released](UpExchange& ex) {
    if (ex.req().target() == "/slow") {
      started.set_value();
      released.wait_for(5s);
    }
    return echo(ex);
  });
  start();
  table_.put(route(upstream.port()));
  RawConn idle(port_);
  ASSERT_TRUE(idle.connected());
  auto slow = std::async(std::launch::async, [&] { return get("/alice/shop/slow"); });
  ASSERT_EQ(started.get_future().wait_for(5s), std::future_status::ready);
  front_->stop(5s);
  release.set_value();
  auto r = slow.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  front_->wait();
  front_.reset();
}

}  // namespace
}  // namespace orsa::gateway
