// The Swarm adapter on a real two-node swarm (tests/cluster/lib/swarm.sh,
// started by tests/cluster/swarm_runtime_test.sh, which passes its sockets,
// node addresses and an image in ORSA_SWARM_* variables): replicas on both
// nodes reached at their node's address, scale to zero and back, logs,
// removal, and refusals that leave nothing behind.

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "runtime/swarm_runtime.hpp"
#include "testing/child_process.hpp"
#include "testing/eventually.hpp"

namespace orsa::runtime {
namespace {

using namespace std::chrono_literals;
using orsa::testing::eventually;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The body of GET http://host:port/, or "" when nothing answers.
std::string http_get(const Endpoint& e) {
  const auto r =
      orsa::testing::run({.argv = {"/usr/bin/curl", "-s", "-m", "2", "--noproxy", "*",
                                   "http://" + e.host + ":" + std::to_string(e.port) + "/"}},
                         5s);
  return !r.timed_out && r.status == 0 ? r.out : std::string();
}

class SwarmIntegration : public ::testing::Test {
 protected:
  static SwarmOptions options(const std::string& socket) {
    SwarmOptions o;
    o.socket_path = socket;
    // The test image is busybox: its own wget decides health.
    o.health_command = {"/bin/busybox", "timeout", "2",         "/bin/busybox",          "wget",
                        "-q",           "-O",      "/dev/null", "http://127.0.0.1:8000/"};
    return o;
  }

  void SetUp() override {
    ASSERT_FALSE(env("ORSA_SWARM_SOCK").empty())
        << "run me from tests/cluster/swarm_runtime_test.sh";
    swarm_ = std::make_unique<SwarmRuntime>(options(env("ORSA_SWARM_SOCK")));
  }

  ContainerSpec spec(const std::string& name, std::int32_t replicas) const {
    ContainerSpec s;
    s.name = name;
    s.image = env("ORSA_SWARM_IMAGE");
    s.labels = {{kLabelManaged, "true"}, {kLabelDeployment, name}};
    s.user = "65534:65534";
    s.replicas = replicas;
    s.network = network_;
    s.memory_bytes = 64LL * 1024 * 1024;
    s.cpus = 0.25;
    // Read-only root: the page goes to the tmpfs /tmp.
    s.command = {"/bin/sh", "-c",
                 "echo serving; hostname > /tmp/index.html && exec httpd -f -p 8000 -h /tmp"};
    return s;
  }

  Result<ContainerInfo> wait_for_endpoints(const std::string& id, std::size_t n) {
    Result<ContainerInfo> info = fail(Error::not_found("not inspected"));
    const bool reached = eventually(
        60s,
        [&] {
          info = swarm_->inspect(id);
          return info && info->endpoints.size() == n;
        },
        "the service to have " + std::to_string(n) + " endpoints");
    if (!reached && info)
      return fail(Error::unavailable("endpoints: " + std::to_string(info->endpoints.size())));
    return info;
  }

  std::unique_ptr<SwarmRuntime> swarm_;
  const std::string network_ = "orsa-it-swarm-net";
};

TEST_F(SwarmIntegration, OnlyAManagerIsAcceptedAsTheRuntime) {
  auto version = swarm_->version();
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_TRUE(version->starts_with("20.10")) << *version;
  SwarmRuntime worker(options(env("ORSA_SWARM_WORKER_SOCK")));
  auto refused = worker.version();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

TEST_F(SwarmIntegration, ReplicasServeOnBothNodesScaleToZeroAndBack) {
  const NetworkSpec closed{.name = network_, .labels = {{kLabelManaged, "true"}}, .egress = false};
  ASSERT_TRUE(swarm_->create_network(closed));
  // Created twice (a retried rollout): the same network is kept; asked with
  // other egress, it is a conflict.
  ASSERT_TRUE(swarm_->create_network(closed));
  NetworkSpec open = closed;
  open.egress = true;
  EXPECT_EQ(swarm_->create_network(open).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(swarm_->pull(env("ORSA_SWARM_IMAGE"), {}));
  auto id = swarm_->run(spec("orsa-it_Web", 2));
  ASSERT_TRUE(id) << id.error().message;

  auto info = wait_for_endpoints(*id, 2);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->state, ContainerState::kRunning);
  EXPECT_EQ(info->name, "orsa-it-web");  // a DNS label
  std::set<std::string> hosts;
  for (const auto& e : info->endpoints) {
    hosts.insert(e.host);
    EXPECT_TRUE(eventually(
        10s, [&] { return !http_get(e).empty(); }, "an answer from a replica"))
        << e.host << ":" << e.port;
  }
  // Spread: one replica on each node, each reached at its node's address.
  EXPECT_EQ(hosts, (std::set<std::string>{env("ORSA_SWARM_N1_ADDR"), env("ORSA_SWARM_N2_ADDR")}));

  auto listed = swarm_->list({{kLabelManaged, "true"}});
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *id);
  EXPECT_EQ(listed->front().endpoints.size(), 2u);

  std::string log;
  ASSERT_TRUE(swarm_->logs(*id, {}, [&](const LogLine& line) {
    log += line.text + "\n";
    return true;
  }));
  EXPECT_NE(log.find("serving"), std::string::npos) << log;

  // Idle: scaled to zero, nothing answers; woken: both replicas again.
  ASSERT_TRUE(swarm_->stop(*id, 5s));
  ASSERT_TRUE(eventually(
      60s,
      [&] {
        auto now = swarm_->inspect(*id);
        return now && now->state == ContainerState::kExited && now->endpoints.empty();
      },
      "the service scaled to zero"));
  ASSERT_TRUE(swarm_->start(*id));
  info = wait_for_endpoints(*id, 2);
  ASSERT_TRUE(info) << info.error().message;

  ASSERT_TRUE(swarm_->remove(*id));
  auto gone = swarm_->inspect(*id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(swarm_->remove(*id));  // removing again is fine
  // The network goes once the tasks have left it.
  EXPECT_TRUE(eventually(
      60s, [&] { return swarm_->remove_network(network_).has_value(); }, "the network removed"));
  // The manager removes a swarm network once its nodes have let it go.
  EXPECT_TRUE(eventually(
      60s,
      [&] {
        auto networks = swarm_->list_networks({{kLabelManaged, "true"}});
        return networks && networks->empty();
      },
      "no network left"));
}

TEST_F(SwarmIntegration, BadSpecsAreRefusedAndLeaveNothing) {
  auto none = swarm_->run(spec("orsa-it-bad", 0));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  auto many = swarm_->run(spec("orsa-it-bad", 65));
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, ErrorCode::kInvalidArgument);
  auto bad_name = swarm_->run(spec("bad name", 1));
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, ErrorCode::kInvalidArgument);
  auto listed = swarm_->list({{kLabelManaged, "true"}});
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(swarm_->inspect("no-such-service").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(swarm_->inspect("../x").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orsa::runtime
