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

Json job(const std::string& condition, const std::string& reason = "") {
  Json j = {{"metadata", {{"name", "orsa-run-1"}, {"labels", {{kLabelJob, "true"}}}}},
            {"status", {{"startTime", "2026-12-08T01:00:00Z"}}}};
  if (!condition.empty()) {
    j["status"]["completionTime"] = "2026-12-08T01:00:09Z";
    j["status"]["conditions"] =
        Json::array({{{"type", condition}, {"status", "True"}, {"reason", reason}}});
  }
  return j;
}

Json job_pod(const Json& state) {
  return {{"status", {{"containerStatuses", Json::array({{{"name", "run"}, {"state", state}}})}}}};
}

TEST(KubernetesAnswers, AJobRunsUntilItsControllerSaysItFinished) {
  auto running = job_state_of(job(""), Json::array({job_pod({{"running", Json::object()}})}));
  EXPECT_FALSE(running.finished);
  EXPECT_TRUE(running.pod_started);
  EXPECT_FALSE(running.exit_known);
  EXPECT_EQ(running.started_at, 1796691600);
  auto waiting = job_state_of(
      job(""), Json::array({job_pod({{"waiting", {{"reason", "ImagePullBackOff"}}}})}));
  EXPECT_FALSE(waiting.pod_started);
  EXPECT_EQ(job_info_of(job("")).state, ContainerState::kRunning);
}

TEST(KubernetesAnswers, AFinishedJobGivesItsContainersExitAndWhy) {
  const Json oom = job_pod(
      {{"terminated",
        {{"exitCode", 137}, {"reason", "OOMKilled"}, {"finishedAt", "2026-12-08T01:00:08Z"}}}});
  auto failed = job_state_of(job("Failed", "BackoffLimitExceeded"), Json::array({oom}));
  EXPECT_TRUE(failed.finished);
  EXPECT_FALSE(failed.deadline_exceeded);
  EXPECT_TRUE(failed.exit_known);
  EXPECT_EQ(failed.exit_code, 137);
  EXPECT_TRUE(failed.oom_killed);
  EXPECT_EQ(failed.finished_at, 1796691609);
  auto deadline = job_state_of(job("Failed", "DeadlineExceeded"), Json::array());
  EXPECT_TRUE(deadline.deadline_exceeded);
  EXPECT_FALSE(deadline.exit_known);  // its pod went with the deadline
  auto done =
      job_state_of(job("Complete"), Json::array({job_pod({{"terminated", {{"exitCode", 0}}}})}));
  EXPECT_TRUE(done.finished);
  EXPECT_EQ(done.exit_code, 0);
  const auto info = job_info_of(job("Complete"));
  EXPECT_EQ(info.state, ContainerState::kExited);
  EXPECT_EQ(info.labels.at(kLabelJob), "true");
}

TEST(KubernetesAnswers, AJobAnswerOfAnotherShapeReadsAsRunning) {
  for (const Json& odd : {Json(), Json(3), Json::array(), Json{{"status", "x"}},
                          Json{{"status", {{"conditions", "Complete"}}}}}) {
    const auto state = job_state_of(odd, odd);
    EXPECT_FALSE(state.finished);
    EXPECT_FALSE(state.exit_known);
  }
}

}  // namespace
}  // namespace orsa::runtime::kubernetes
