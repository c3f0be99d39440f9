#include "swarm_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace orsa::runtime::swarm {
namespace {

using Json = nlohmann::json;

ContainerSpec spec() {
  ContainerSpec s;
  s.name = "orsa-dep-1";
  s.image = "10.0.0.1:8080/alice/knap@sha256:abc";
  s.labels = {{kLabelManaged, "true"}, {kLabelDeployment, "dep_1"}};
  s.env = {{"A", "1"}};
  s.user = "65534:65534";
  s.network = "orsa-net-dep_1";
  s.memory_bytes = 256LL * 1024 * 1024;
  s.cpus = 0.5;
  return s;
}

TEST(SwarmJson, AServiceIsHardenedPublishedPerNodeAndRollsStartFirst) {
  const Json body = Json::parse(service_spec(spec(), {.replicas = 2, .health_command = {"true"}}));
  EXPECT_EQ(body["Name"], "orsa-dep-1");
  EXPECT_EQ(body["Mode"]["Replicated"]["Replicas"], 2);
  EXPECT_EQ(body["UpdateConfig"]["Order"], "start-first");
  EXPECT_EQ(body["UpdateConfig"]["FailureAction"], "rollback");
  EXPECT_EQ(body["EndpointSpec"]["Mode"], "dnsrr");
  EXPECT_EQ(body["EndpointSpec"]["Ports"][0]["PublishMode"], "host");
  EXPECT_FALSE(body["EndpointSpec"]["Ports"][0].contains("PublishedPort"));
  const Json& task = body["TaskTemplate"];
  EXPECT_EQ(task["Networks"][0]["Target"], "orsa-net-dep_1");
  EXPECT_EQ(task["Resources"]["Limits"]["MemoryBytes"], 256LL * 1024 * 1024);
  EXPECT_EQ(task["Resources"]["Limits"]["NanoCPUs"], 500'000'000);
  EXPECT_EQ(task["Resources"]["Limits"]["Pids"], 256);
  const Json& c = task["ContainerSpec"];
  EXPECT_EQ(c["ReadOnly"], true);
  EXPECT_EQ(c["User"], "65534:65534");
  EXPECT_EQ(c["CapabilityDrop"][0], "ALL");
  EXPECT_EQ(c["Env"][0], "A=1");
  EXPECT_EQ(c["Healthcheck"]["Test"], Json::array({"CMD", "true"}));
  EXPECT_EQ(c["Labels"][kLabelDeployment], "dep_1");
  // A tmpfs /tmp everyone may write, with its size limit.
  const Json& tmp = c["Mounts"][0];
  EXPECT_EQ(tmp["Target"], "/tmp");
  EXPECT_EQ(tmp["VolumeOptions"]["DriverConfig"]["Options"]["type"], "tmpfs");
  EXPECT_EQ(tmp["VolumeOptions"]["DriverConfig"]["Options"]["o"],
            "size=67108864,mode=1777,nosuid,nodev");
}

TEST(SwarmJson, AJobIsOneTaskNeverRestartedWithItsTokenAsASecretFile) {
  JobSpec job;
  job.name = "orsa-run-1";
  job.image = "10.0.0.1:8080/alice/knap@sha256:abc";
  job.labels = {{"orsa.run", "run_1"}, {kLabelJob, "true"}};
  job.user = "65534:65534";
  job.max_output_bytes = 4096;
  const Json body = Json::parse(job_service_spec(job, {.job_url = "http://10.0.0.1:8082/jobs/run_1",
                                                       .token_secret = "orsa-run-1-token",
                                                       .token_secret_id = "s3cr3tid",
                                                       .network = "orsa-run-1-net",
                                                       .input_bytes = 1024 * 1024}));
  EXPECT_EQ(body["Mode"]["Replicated"]["Replicas"], 1);
  const Json& task = body["TaskTemplate"];
  EXPECT_EQ(task["RestartPolicy"]["Condition"], "none");
  EXPECT_EQ(task["Networks"][0]["Target"], "orsa-run-1-net");
  const Json& c = task["ContainerSpec"];
  EXPECT_EQ(c["ReadOnly"], true);
  EXPECT_EQ(c["CapabilityDrop"][0], "ALL");
  EXPECT_EQ(c["User"], "65534:65534");
  EXPECT_EQ(c["Secrets"][0]["SecretID"], "s3cr3tid");
  EXPECT_EQ(c["Secrets"][0]["File"]["Name"], "orsa-job-token");
  const std::string env = c["Env"].dump();
  EXPECT_NE(env.find("ORSA_JOB_URL=http://10.0.0.1:8082/jobs/run_1"), std::string::npos);
  EXPECT_NE(env.find(std::string("ORSA_JOB_TOKEN_FILE=") + kJobTokenFile), std::string::npos);
  EXPECT_EQ(env.find("ORSA_JOB_TOKEN="), std::string::npos);  // the token is never in the spec
  ASSERT_EQ(c["Mounts"].size(), 3u);
  EXPECT_EQ(c["Mounts"][1]["Target"], "/job/in");
  EXPECT_NE(c["Mounts"][1].dump().find("size=3145728"), std::string::npos);  // twice, plus 1 MiB
  EXPECT_EQ(c["Mounts"][2]["Target"], "/job/out");
  EXPECT_NE(c["Mounts"][2].dump().find("size=4096"), std::string::npos);
  const Json secret =
      Json::parse(secret_body("orsa-run-1-token", {{kLabelJob, "true"}}, "the-token"));
  EXPECT_EQ(secret["Data"], "dGhlLXRva2Vu");
}

TEST(SwarmJson, ServiceNamesAreDnsLabels) {
  EXPECT_EQ(service_name("orsa-dep_3K9x-ab12"), "orsa-dep-3k9x-ab12");
  auto s = spec();
  s.name = "orsa-dep_1-ab";
  EXPECT_EQ(Json::parse(service_spec(s, {}))["Name"], "orsa-dep-1-ab");
}

TEST(SwarmJson, NoNetworkMeansNoAttachment) {
  auto s = spec();
  s.network = "";
  EXPECT_FALSE(Json::parse(service_spec(s, {}))["TaskTemplate"].contains("Networks"));
}

TEST(SwarmJson, AnOverlayIsAttachableAndRecordsItsEgress) {
  const Json closed =
      Json::parse(overlay_network_body({.name = "n", .labels = {}, .egress = false}));
  EXPECT_EQ(closed["Driver"], "overlay");
  EXPECT_EQ(closed["Attachable"], true);
  // Host-mode ports are never published from an internal overlay.
  EXPECT_EQ(closed["Internal"], false);
  EXPECT_EQ(closed["Labels"]["orsa.egress"], "false");
  EXPECT_EQ(Json::parse(overlay_network_body(
                {.name = "n", .labels = {}, .egress = true}))["Labels"]["orsa.egress"],
            "true");
}

TEST(SwarmJson, ScalingKeepsTheRestOfTheSpec) {
  const std::string body = service_spec(spec(), {.replicas = 2});
  const auto scaled = with_replicas(body, 0);
  ASSERT_TRUE(scaled);
  Json expected = Json::parse(body);
  expected["Mode"]["Replicated"]["Replicas"] = 0;
  EXPECT_EQ(Json::parse(*scaled), expected);
  EXPECT_FALSE(with_replicas("[", 1));
}

TEST(SwarmJson, TheCreatedServiceIdIsItsID) {
  EXPECT_EQ(parse_created_id(R"({"ID":"094jnbakutzfk2mgo9smsrvke","Warnings":null})").value(),
            "094jnbakutzfk2mgo9smsrvke");
  EXPECT_FALSE(parse_created_id(R"({"Id":"x"})"));
}

// Recorded from dockerd 20.10 on the two-node test swarm (trimmed): a task
// running on node 2 with its host-mode port, and one that failed.
constexpr std::string_view kTasks = R"json([
 {"ID":"0nptazalz78vdx0l494ccqro5","NodeID":"zcw2rgvyu3urp81ht1uopzd47","DesiredState":"running",
  "Status":{"Timestamp":"2026-12-07T12:45:25.328081304Z","State":"running","Message":"started",
   "ContainerStatus":{"ContainerID":"4843a3f8d811","PID":226,"ExitCode":0},
   "PortStatus":{"Ports":[{"Protocol":"tcp","TargetPort":8000,"PublishedPort":32768,"PublishMode":"host"}]}}},
 {"ID":"392dwlg7qg9twtdbt1aqlspp7","NodeID":"ks7fy43iwujtovbxnsegxmlwt","DesiredState":"shutdown",
  "Status":{"Timestamp":"2026-12-07T12:50:50.980901441Z","State":"failed","Err":"task: non-zero exit (1)",
   "ContainerStatus":{"ContainerID":"6c89780140a9","PID":0,"ExitCode":1},"PortStatus":{}}}])json";

TEST(SwarmJson, TasksAndNodesAsTheEngineWritesThem) {
  auto tasks = parse_tasks(kTasks);
  ASSERT_TRUE(tasks) << tasks.error().message;
  ASSERT_EQ(tasks->size(), 2u);
  const Task& running = (*tasks)[0];
  EXPECT_EQ(running.node_id, "zcw2rgvyu3urp81ht1uopzd47");
  EXPECT_EQ(running.state, "running");
  EXPECT_EQ(running.desired_state, "running");
  EXPECT_EQ(running.published_port, 32768);
  EXPECT_EQ(running.updated_at, 1796647525);
  const Task& failed = (*tasks)[1];
  EXPECT_EQ(failed.state, "failed");
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.error, "task: non-zero exit (1)");
  EXPECT_EQ(failed.published_port, 0);

  auto nodes = parse_nodes(R"([{"ID":"n2","Spec":{"Availability":"drain"},
                                "Status":{"State":"ready","Addr":"10.213.0.2"}}])");
  ASSERT_TRUE(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].address, "10.213.0.2");
  EXPECT_EQ((*nodes)[0].availability, "drain");

  auto service = parse_service(R"({"ID":"s1","Version":{"Index":27},"Spec":{"Name":"web",
      "Labels":{"orsa.replicas":"2"},"TaskTemplate":{"ContainerSpec":{"Image":"r/i@sha256:5d"}},
      "Mode":{"Replicated":{"Replicas":2}}}})");
  ASSERT_TRUE(service);
  EXPECT_EQ(service->version, 27u);
  EXPECT_EQ(service->replicas, 2);
  EXPECT_EQ(service->image, "r/i@sha256:5d");
  EXPECT_EQ(service->labels.at("orsa.replicas"), "2");
}

TEST(SwarmJson, MalformedAnswersAreErrors) {
  EXPECT_FALSE(parse_tasks("{"));
  EXPECT_FALSE(parse_tasks("{}"));
  EXPECT_FALSE(parse_service("[]"));
  EXPECT_FALSE(parse_service("{}"));
  EXPECT_FALSE(parse_nodes("null"));
  // Wrongly typed fields read as empty, they do not throw.
  auto tasks = parse_tasks(R"([{"ID": 7, "Status": {"PortStatus": {"Ports": "x"}}}])");
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].id, "");
  EXPECT_EQ((*tasks)[0].published_port, 0);
}

}  // namespace
}  // namespace orsa::runtime::swarm
