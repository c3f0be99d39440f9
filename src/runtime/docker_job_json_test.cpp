#include "docker_job_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/docker_api_runtime.hpp"

namespace orsa::runtime::docker {
namespace {

using Json = nlohmann::json;

JobSpec sample_job() {
  JobSpec spec;
  spec.name = "run-1";
  spec.image = "127.0.0.1:8080/alice/knap@sha256:abc";
  spec.labels = {{"orsa.run", "run_1"}};
  spec.env = {{"ORSA_RUN_ID", "run_1"}};
  spec.command = {"python3", "-m", "orsa_service.run"};
  spec.input_file = "/data/runs/inputs/ab/cd";
  spec.work_dir = "/data/runs/work/run_1";
  spec.memory_bytes = 256LL * 1024 * 1024;
  spec.cpus = 2;
  spec.pids_limit = 50;
  spec.log_max_bytes = 1024 * 1024;
  return spec;
}

JobMounts sample_mounts() {
  return {.input = "/data/runs/work/run_1/input.json",
          .options = "/data/runs/work/run_1/options.json",
          .output = "/data/runs/work/run_1/out"};
}

TEST(CreateJobBody, IsHardenedWithoutNetworkAndNeverRestarted) {
  const Json body = Json::parse(create_job_body(sample_job(), sample_mounts()));
  const Json& host = body["HostConfig"];
  EXPECT_EQ(host["NetworkMode"], "none");
  EXPECT_FALSE(host.contains("PortBindings"));
  EXPECT_FALSE(body.contains("ExposedPorts"));
  EXPECT_EQ(host["ReadonlyRootfs"], true);
  EXPECT_EQ(host["CapDrop"], Json::array({"ALL"}));
  EXPECT_EQ(host["SecurityOpt"], Json::array({"no-new-privileges"}));
  EXPECT_EQ(host["RestartPolicy"]["Name"], "no");
  EXPECT_EQ(host["Tmpfs"]["/tmp"], "rw,size=67108864,mode=1777");
  EXPECT_FALSE(host.contains("UsernsMode"));
}

TEST(CreateJobBody, CarriesLimitsCommandEnvAndTheJobLabel) {
  const Json body = Json::parse(create_job_body(sample_job(), sample_mounts(), "auto"));
  EXPECT_EQ(body["Image"], "127.0.0.1:8080/alice/knap@sha256:abc");
  EXPECT_EQ(body["Cmd"], Json::array({"python3", "-m", "orsa_service.run"}));
  EXPECT_EQ(body["Env"], Json::array({"ORSA_RUN_ID=run_1"}));
  EXPECT_EQ(body["Labels"]["orsa.job"], "true");
  EXPECT_EQ(body["Labels"]["orsa.run"], "run_1");
  EXPECT_FALSE(body["Labels"].contains("orsa.managed"));
  const Json& host = body["HostConfig"];
  EXPECT_EQ(host["Memory"], 256LL * 1024 * 1024);
  EXPECT_EQ(host["MemorySwap"], 256LL * 1024 * 1024);
  EXPECT_EQ(host["NanoCpus"], 2000000000LL);
  EXPECT_EQ(host["PidsLimit"], 50);
  EXPECT_EQ(host["LogConfig"]["Config"]["max-size"], "1048576");
  EXPECT_EQ(host["UsernsMode"], "auto");
}

TEST(CreateJobBody, MountsInputAndOptionsReadOnlyAndOutputWritable) {
  const Json body = Json::parse(create_job_body(sample_job(), sample_mounts()));
  const Json& mounts = body["HostConfig"]["Mounts"];
  ASSERT_EQ(mounts.size(), 3u);
  const auto find = [&](const std::string& target) {
    for (const Json& m : mounts) {
      if (m["Target"] == target) return m;
    }
    return Json();
  };
  EXPECT_EQ(find("/job/input.json"), (Json{{"Type", "bind"},
                                           {"Source", "/data/runs/work/run_1/input.json"},
                                           {"Target", "/job/input.json"},
                                           {"ReadOnly", true}}));
  EXPECT_EQ(find("/job/options.json")["ReadOnly"], true);
  EXPECT_EQ(find("/job/out"), (Json{{"Type", "bind"},
                                    {"Source", "/data/runs/work/run_1/out"},
                                    {"Target", "/job/out"},
                                    {"ReadOnly", false}}));
}

TEST(ValidateJobSpec, RefusesWhatWouldEscapeOrConfuseTheReconciler) {
  EXPECT_TRUE(validate_job_spec(sample_job()).has_value());
  const auto refused = [](auto change) {
    JobSpec spec = sample_job();
    change(spec);
    auto ok = validate_job_spec(spec);
    return !ok.has_value() ? ok.error().message : std::string("accepted");
  };
  EXPECT_THAT(refused([](JobSpec& s) { s.labels[kLabelManaged] = "true"; }),
              ::testing::HasSubstr("orsa.managed"));
  EXPECT_THAT(refused([](JobSpec& s) { s.network.clear(); }), ::testing::HasSubstr("network"));
  EXPECT_THAT(refused([](JobSpec& s) { s.name = "-x"; }), ::testing::HasSubstr("name"));
  EXPECT_THAT(refused([](JobSpec& s) { s.input_file = "relative.json"; }),
              ::testing::HasSubstr("input_file"));
  EXPECT_THAT(refused([](JobSpec& s) { s.work_dir.clear(); }), ::testing::HasSubstr("work_dir"));
  EXPECT_THAT(refused([](JobSpec& s) { s.options_json.assign(kMaxJobOptionsBytes + 1, ' '); }),
              ::testing::HasSubstr("options"));
  EXPECT_THAT(refused([](JobSpec& s) { s.max_output_bytes = 100; }),
              ::testing::HasSubstr("output"));
  EXPECT_THAT(refused([](JobSpec& s) { s.memory_bytes = 1024; }), ::testing::HasSubstr("memory"));
  EXPECT_THAT(refused([](JobSpec& s) { s.user = "root"; }), ::testing::HasSubstr("numeric"));
}

TEST(ParseJobState, ReadsStateTimesInMillisecondsAndTheOutputMount) {
  const std::string inspect = R"({
    "Id": "abc",
    "State": {"Status": "exited", "ExitCode": 3, "OOMKilled": true,
              "StartedAt": "2026-11-27T20:31:53.857768444Z",
              "FinishedAt": "2026-11-27T20:31:55.927542767Z"},
    "Config": {"Labels": {"orsa.job": "true", "orsa.run": "run_1"}},
    "Mounts": [
      {"Type": "bind", "Source": "/w/run_1/input.json", "Destination": "/job/input.json"},
      {"Type": "bind", "Source": "/w/run_1/out", "Destination": "/job/out", "RW": true}
    ]})";
  auto state = parse_job_state(inspect);
  ASSERT_TRUE(state.has_value()) << state.error().message;
  EXPECT_EQ(state->state, ContainerState::kExited);
  EXPECT_EQ(state->exit_code, 3);
  EXPECT_TRUE(state->oom_killed);
  EXPECT_TRUE(state->is_job);
  EXPECT_EQ(state->started_at_ms, 1795811513857LL);
  EXPECT_EQ(state->finished_at_ms, 1795811515927LL);
  EXPECT_EQ(state->output_dir, "/w/run_1/out");
}

// Recorded from podman 4.3 `system service` (API v1.41): a job that exited 3.
TEST(ParseJobState, ReadsARecordedPodmanJob) {
  std::ifstream in(std::string(ORSA_RUNTIME_TESTDATA) + "/inspect_job_exited.json");
  ASSERT_TRUE(in);
  std::ostringstream body;
  body << in.rdbuf();
  auto state = parse_job_state(body.str());
  ASSERT_TRUE(state.has_value()) << state.error().message;
  EXPECT_EQ(state->state, ContainerState::kExited);
  EXPECT_EQ(state->exit_code, 3);
  EXPECT_FALSE(state->oom_killed);
  EXPECT_TRUE(state->is_job);
  EXPECT_EQ(state->started_at_ms, 1796461191612LL);  // 2026-12-05T08:59:51.612584496Z
  EXPECT_EQ(state->finished_at_ms, 1796461191719LL);
  EXPECT_EQ(state->output_dir, "/tmp/orsa-rec-job/out");
}

TEST(ParseJobState, AStartStampedAfterTheFinishIsTheFinish) {
  auto state = parse_job_state(R"({"Id": "abc",
    "State": {"Status": "exited", "ExitCode": 0,
              "StartedAt": "2026-12-05T19:03:58.304Z", "FinishedAt": "2026-12-05T19:03:58.277Z"},
    "Config": {"Labels": {"orsa.job": "true"}}})");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->finished_at_ms, 1796497438277LL);
  EXPECT_EQ(state->started_at_ms, state->finished_at_ms);
}

TEST(ParseJobState, ADeploymentIsNotAJobAndUnsetTimesAreAbsent) {
  auto state = parse_job_state(R"({"Id": "abc",
    "State": {"Status": "running", "StartedAt": "2026-11-27T20:31:53Z",
              "FinishedAt": "0001-01-01T00:00:00Z"},
    "Config": {"Labels": {"orsa.managed": "true"}}})");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->state, ContainerState::kRunning);
  EXPECT_FALSE(state->is_job);
  EXPECT_EQ(state->started_at_ms, 1795811513000LL);
  EXPECT_FALSE(state->finished_at_ms.has_value());
  EXPECT_TRUE(state->output_dir.empty());
  EXPECT_FALSE(parse_job_state("not json").has_value());
  EXPECT_FALSE(parse_job_state("[]").has_value());
}

// Shapes from podman 4.3 (a running container; one that had stopped).
TEST(ParseCpuUsage, ReadsTheTotalOfARunningContainerAndNothingOfAStoppedOne) {
  EXPECT_EQ(parse_cpu_usage_ns(R"({"read": "2026-12-06T19:30:00Z",
    "cpu_stats": {"cpu_usage": {"total_usage": 2339034698, "percpu_usage": [2018667883, 320366815],
                                "usage_in_kernelmode": 168000000,
                                "usage_in_usermode": 2171034698},
                  "system_cpu_usage": 15817235362413, "online_cpus": 2}})"),
            2339034698LL);
  EXPECT_FALSE(parse_cpu_usage_ns(R"({"cpu_stats": {"cpu_usage": {"total_usage": 0}}})"));
  EXPECT_FALSE(parse_cpu_usage_ns(R"({"cpu_stats": {"cpu_usage": {"total_usage": -5}}})"));
  EXPECT_FALSE(parse_cpu_usage_ns(R"({"cpu_stats": {"cpu_usage": {"total_usage": "12"}}})"));
  EXPECT_FALSE(parse_cpu_usage_ns(R"({"cpu_stats": []})"));
  EXPECT_FALSE(parse_cpu_usage_ns(""));
  EXPECT_FALSE(parse_cpu_usage_ns("not json"));
}

TEST(ParseMemoryUsage, ReadsTheCgroupsUsageAndNothingElse) {
  EXPECT_EQ(parse_memory_usage(R"({"memory_stats": {"usage": 48328704, "limit": 536870912}})"),
            48328704LL);
  EXPECT_FALSE(parse_memory_usage(R"({"memory_stats": {"usage": 0}})"));
  EXPECT_FALSE(parse_memory_usage(R"({"memory_stats": {"usage": "12"}})"));
  EXPECT_FALSE(parse_memory_usage(R"({"memory_stats": []})"));
  EXPECT_FALSE(parse_memory_usage(R"({"cpu_stats": {}})"));
  EXPECT_FALSE(parse_memory_usage("not json"));
}

}  // namespace
}  // namespace orsa::runtime::docker
