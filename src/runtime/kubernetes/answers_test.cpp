#include "answers.hpp"

#include <gtest/gtest.h>

#include "runtime/kubernetes/objects.hpp"

namespace orsa::runtime::kubernetes {
namespace {

Json pod(const std::string& ip, bool ready) {
  return {
      {"metadata", {{"name", "p-" + ip}}},
      {"status",
       {{"podIP", ip},
        {"conditions", Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
}

Json deployment(int replicas) {
  return {{"metadata", {{"name", "orsa-dep-1"}, {"labels", {{kLabelNetwork, "orsa-net-1"}}}}},
          {"spec",
           {{"replicas", replicas},
            {"template",
             {{"spec",
               {{"containers",
                 Json::array({{{"image", "img"},
                               {"ports", Json::array({{{"containerPort", 8000}}})}}})}}}}}}}};
}

TEST(KubernetesAnswers, ReadyPodsAreTheEndpointsInOrder) {
  const auto info =
      info_of(deployment(3),
              Json::array({pod("10.0.0.9", true), pod("10.0.0.2", true), pod("10.0.0.5", false)}));
  EXPECT_EQ(info.id, "orsa-dep-1");
  EXPECT_EQ(info.network, "orsa-net-1");
  EXPECT_EQ(info.state, ContainerState::kRunning);
  ASSERT_EQ(info.endpoints.size(), 2u);
  EXPECT_EQ(info.endpoints[0].host, "10.0.0.2");
  EXPECT_EQ(info.endpoints[0].port, 8000);
  EXPECT_EQ(info.ip_address, "10.0.0.2");
}

TEST(KubernetesAnswers, ScaledToZeroIsExitedAndACrashLoopIsRestarting) {
  EXPECT_EQ(info_of(deployment(0), Json::array()).state, ContainerState::kExited);
  const Json crashing = {
      {"status",
       {{"containerStatuses",
         Json::array(
             {{{"ready", false},
               {"restartCount", 2},
               {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}}}}},
               {"lastState", {{"terminated", {{"exitCode", 137}, {"reason", "OOMKilled"}}}}}}})}}}};
  const auto info = info_of(deployment(1), Json::array({crashing}));
  EXPECT_EQ(info.state, ContainerState::kRestarting);
  EXPECT_EQ(info.exit_code, 137);
  EXPECT_TRUE(info.oom_killed);
}

// A server answering in other shapes than documented gets no crash and no
// made-up endpoint: what cannot be read is absent.
TEST(KubernetesAnswers, OddShapesReadAsAbsent) {
  const Json odd_deployment = {{"metadata", "not an object"},
                               {"spec", {{"replicas", 99999999999LL}}}};
  const Json odd_pods = Json::array(
      {7,
       nullptr,
       {{"metadata", nullptr}, {"status", {{"conditions", "Ready"}}}},
       {{"status",
         {{"podIP", "10.0.0.1"},
          {"conditions", Json::array({3, {{"type", "Ready"}, {"status", "True"}}})}}}}});
  const auto info = info_of(odd_deployment, odd_pods);
  EXPECT_EQ(info.id, "");
  ASSERT_EQ(info.endpoints.size(), 1u);
  EXPECT_EQ(info.endpoints[0].port, 8000) << "no port in the spec: the template's";
  EXPECT_EQ(info_of(Json("text"), Json(5)).state, ContainerState::kCreated);
  Json far_port = deployment(1);
  far_port["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 70000;
  EXPECT_EQ(info_of(far_port, Json::array({pod("10.0.0.3", true)})).endpoints[0].port, 8000);
}

TEST(KubernetesAnswers, WatchLines) {
  const auto event = parse_watch_event(
      R"({"type":"MODIFIED","object":{"metadata":{"name":"orsa-dep-1","resourceVersion":"42",)"
      R"("labels":{"a":"b"}},"spec":{"replicas":2},"status":{"readyReplicas":1}}})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "MODIFIED");
  EXPECT_EQ(event->name, "orsa-dep-1");
  EXPECT_EQ(event->resource_version, "42");
  EXPECT_EQ(event->labels.at("a"), "b");
  EXPECT_EQ(event->wanted, 2);
  EXPECT_EQ(event->ready, 1);
  EXPECT_FALSE(parse_watch_event("not json"));
  EXPECT_FALSE(parse_watch_event(R"({"type":"ADDED","object":"x"})"));
  const auto odd =
      parse_watch_event(R"({"type":3,"object":{"metadata":["x"],"spec":{"replicas":"2"}}})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->type, "");
  EXPECT_EQ(odd->name, "");
  EXPECT_EQ(odd->wanted, 1);
}

}  // namespace
}  // namespace orsa::runtime::kubernetes
