#include "gateway/route_table.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "recorder.hpp"

namespace orsa::gateway {
namespace {

using namespace std::chrono_literals;

Route make_route(std::string owner, std::string project, std::string deployment,
                 std::uint16_t port) {
  Route r;
  r.owner = std::move(owner);
  r.project = std::move(project);
  r.owner_id = "usr_1";
  r.deployment_id = std::move(deployment);
  r.visibility = Visibility::kPublic;
  r.state = RouteState::kServing;
  r.upstreams = {Upstream{"127.0.0.1", port}};
  return r;
}

TEST(RouteTable, PutFindReplaceErase) {
  RouteTable table;
  EXPECT_EQ(table.find("alice", "shop"), nullptr);
  table.put(make_route("alice", "shop", "dep_1", 1000));
  table.put(make_route("bob", "shop", "dep_2", 2000));
  auto found = table.find("alice", "shop");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->deployment_id, "dep_1");
  EXPECT_EQ(found->upstreams.at(0).port, 1000);

  table.put(make_route("alice", "shop", "dep_3", 3000));
  EXPECT_EQ(table.find("alice", "shop")->deployment_id, "dep_3");
  // A reader keeps the route it looked up, even after it was replaced.
  EXPECT_EQ(found->deployment_id, "dep_1");
  EXPECT_EQ(table.routes().size(), 2u);

  table.erase("alice", "shop");
  EXPECT_EQ(table.find("alice", "shop"), nullptr);
  EXPECT_NE(table.find("bob", "shop"), nullptr);
  EXPECT_EQ(table.find("alice", "sho"), nullptr);
}

TEST(RouteTable, RecordsPerDeploymentCounters) {
  RouteTable table;
  table.put(make_route("alice", "shop", "dep_1", 1000));
  auto rec = table.recorder("dep_1");
  rec->begin();
  EXPECT_EQ(table.stats("dep_1").in_flight, 1u);
  rec->finish(200, 3ms, 10, 20);
  rec->begin();
  rec->finish(503, 2h, 0, 5);
  const StatsSnapshot s = table.stats("dep_1");
  EXPECT_EQ(s.requests_by_class[1], 1u);
  EXPECT_EQ(s.requests_by_class[4], 1u);
  EXPECT_EQ(s.bytes_in, 10u);
  EXPECT_EQ(s.bytes_out, 25u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.latency_buckets[2], 1u);                       // 3 ms ≤ 5 ms
  EXPECT_EQ(s.latency_buckets[kLatencyBuckets.size()], 1u);  // 2 h: +Inf
  EXPECT_NEAR(s.latency_sum_seconds, 7200.003, 1e-9);
  ASSERT_TRUE(s.last_request_at);
  EXPECT_GT(*s.last_request_at, 1'700'000'000);

  EXPECT_EQ(table.stats("dep_unknown").requests_by_class[1], 0u);
  table.forget("dep_1");
  EXPECT_EQ(table.stats("dep_1").requests_by_class[1], 0u);
}

TEST(RouteTable, LookupGivesRecorderAndUpstreamGauge) {
  RouteTable table;
  table.put(make_route("alice", "shop", "dep_1", 1000));
  auto found = RouteTable::Recorder::lookup(table, "alice", "shop");
  ASSERT_NE(found.route, nullptr);
  ASSERT_NE(found.recorder, nullptr);
  ASSERT_NE(found.replicas->at(0), nullptr);
  EXPECT_EQ(found.recorder->deployment_id, "dep_1");
  found.replicas->at(0)->in_flight.fetch_add(1);
  EXPECT_EQ(table.in_flight(Upstream{"127.0.0.1", 1000}), 1u);
  // Blue/green: the new route has its own gauge; the old one drains.
  table.put(make_route("alice", "shop", "dep_2", 2000));
  auto next = RouteTable::Recorder::lookup(table, "alice", "shop");
  EXPECT_EQ(next.recorder->deployment_id, "dep_2");
  EXPECT_EQ(table.in_flight(Upstream{"127.0.0.1", 2000}), 0u);
  EXPECT_EQ(table.in_flight(Upstream{"127.0.0.1", 1000}), 1u);
  found.replicas->at(0)->in_flight.fetch_sub(1);
  EXPECT_EQ(table.in_flight(Upstream{"127.0.0.1", 1000}), 0u);
  EXPECT_FALSE(RouteTable::Recorder::lookup(table, "alice", "nope").route);
}

TEST(RouteTable, RendersPrometheusSeries) {
  RouteTable table;
  table.put(make_route("alice", "shop", "dep_x", 1000));
  auto rec = table.recorder("dep_x");
  rec->begin();
  rec->finish(201, 2ms, 7, 9);
  const std::string text = table.render_metrics();
  const auto has = [&](std::string_view line) {
    return text.find(line) != std::string::npos ? ::testing::AssertionSuccess()
                                                : ::testing::AssertionFailure() << text;
  };
  const std::string labels = R"(deployment="dep_x",owner="alice",project="shop")";
  EXPECT_TRUE(has("# TYPE orsa_gateway_requests_total counter"));
  EXPECT_TRUE(has("orsa_gateway_requests_total{" + labels + ",class=\"2xx\"} 1"));
  EXPECT_TRUE(has("orsa_gateway_request_duration_seconds_bucket{" + labels + ",le=\"0.0025\"} 1"));
  EXPECT_TRUE(has("orsa_gateway_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 1"));
  EXPECT_TRUE(has("orsa_gateway_request_duration_seconds_count{" + labels + "} 1"));
  EXPECT_TRUE(has("orsa_gateway_bytes_total{" + labels + ",direction=\"in\"} 7"));
  EXPECT_TRUE(has("orsa_gateway_bytes_total{" + labels + ",direction=\"out\"} 9"));
  EXPECT_TRUE(has("orsa_gateway_in_flight{" + labels + "} 0"));
  EXPECT_TRUE(has("orsa_gateway_queued{" + labels + "} 0"));
}

TEST(RouteTable, CallsBeyondTheWorkersAreQueued) {
  RouteTable table;
  auto route = make_route("alice", "shop", "dep_q", 1000);
  route.workers = 2;
  table.put(route);
  auto rec = table.recorder("dep_q");
  for (int i = 0; i < 5; ++i) rec->begin();
  const std::string text = table.render_metrics();
  const std::string labels = R"(deployment="dep_q",owner="alice",project="shop")";
  EXPECT_NE(text.find("orsa_gateway_in_flight{" + labels + "} 5"), std::string::npos) << text;
  EXPECT_NE(text.find("orsa_gateway_queued{" + labels + "} 3"), std::string::npos) << text;
  EXPECT_EQ(queued_calls(1, 2), 0u);
  EXPECT_EQ(queued_calls(2, 2), 0u);
  EXPECT_EQ(queued_calls(9, 0), 0u);  // unknown capacity: nothing claimed
}

TEST(RouteTable, SeriesOfAForgottenDeploymentAreGone) {
  RouteTable table;
  table.put(make_route("alice", "shop", "dep_f", 1000));
  table.recorder("dep_f")->begin();
  table.forget("dep_f");
  EXPECT_EQ(table.render_metrics().find("dep_f"), std::string::npos);
}

TEST(RouteTable, ConcurrentReadersSeeConsistentRoutesWhileWritersReplace) {
  RouteTable table;
  table.put(make_route("alice", "shop", "dep_0", 1000));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto found = RouteTable::Recorder::lookup(table, "alice", "shop");
        // The deployment and port always come from the same put().
        if (!found.route || found.route->upstreams.at(0).port !=
                                1000 + std::stoi(found.route->deployment_id.substr(4))) {
          ++bad;
        }
        found.recorder->begin();
        found.recorder->finish(200, 1ms, 0, 0);
      }
    });
  }
  for (int i = 1; i <= 2000; ++i) {
    table.put(make_route("alice", "shop", "dep_" + std::to_string(i),
                         static_cast<std::uint16_t>(1000 + i)));
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace orsa::gateway
