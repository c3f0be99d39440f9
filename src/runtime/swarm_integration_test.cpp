// The Swarm adapter on a real two-node swarm (tests/cluster/lib/swarm.sh,
// started by tests/cluster/swarm_runtime_test.sh, which passes its sockets,
// node addresses and an image in ORSA_SWARM_* variables): replicas on both
// nodes reached at their node's address, scale to zero and back, logs,
// removal, and refusals that leave nothing behind.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/files.hpp"
#include "core/temp_dir.hpp"
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

// Runs (ADR 0021) as one-shot services. The busybox task fetches nothing:
// it shows the token it was given as a secret file, prints and exits; what
// it would upload is written into its work directory as the jobs listener
// would.
class SwarmJobs : public SwarmIntegration {
 protected:
  void SetUp() override {
    SwarmIntegration::SetUp();
    std::ofstream(dir_.path() / "input.json") << R"({"n":3})";
    std::filesystem::create_directories(dir_.path() / "work");
    auto o = options(env("ORSA_SWARM_SOCK"));
    o.job_poll = 250ms;
    o.job_files = [](const std::filesystem::path& work_dir, std::uint64_t,
                     std::chrono::seconds) -> Result<JobFilesAccess> {
      return JobFilesAccess{.url = "http://192.0.2.1:8082/jobs/" + work_dir.filename().string(),
                            .token = "token-of-" + work_dir.filename().string()};
    };
    jobs_ = std::make_unique<SwarmRuntime>(o);
    ASSERT_TRUE(jobs_->pull(env("ORSA_SWARM_IMAGE"), {}));
  }

  JobSpec job(const std::string& run, const std::string& script) {
    JobSpec spec;
    spec.name = "orsa-it-" + run;
    spec.image = env("ORSA_SWARM_IMAGE");
    spec.labels = {{"orsa.run", run}};
    spec.input_file = dir_.path() / "input.json";
    spec.work_dir = dir_.path() / "work" / run;
    spec.user = "65534:65534";
    spec.memory_bytes = 64LL * 1024 * 1024;
    spec.cpus = 0.25;
    spec.deadline = 60s;
    spec.command = {"/bin/sh", "-c", script};
    return spec;
  }

  std::string log_of(const std::string& id) {
    std::string log;
    std::ignore = jobs_->job_logs(id, {}, [&](const LogLine& line) {
      log += line.text + "\n";
      return true;
    });
    return log;
  }

  TempDir dir_{"orsa-swarm-jobs"};
  std::unique_ptr<SwarmRuntime> jobs_;
};

TEST_F(SwarmJobs, AJobRunsOnceWithItsTokenAndLeavesNothingWhenRemoved) {
  const auto spec =
      job("run_s1", "cat /run/secrets/orsa-job-token; echo; echo $ORSA_JOB_URL; exit 3");
  auto id = jobs_->start_job(spec);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "orsa-it-run-s1");
  EXPECT_EQ(read_file(spec.work_dir / "input.json").value_or(""), R"({"n":3})");
  const auto outcome = jobs_->wait_job(*id, {.time_limit = 120s});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 3);  // once: a failed run is not restarted
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_TRUE(eventually(
      10s, [&] { return log_of(*id).find("token-of-run_s1") != std::string::npos; },
      "the token file and the URL in the log"))
      << log_of(*id);
  EXPECT_NE(log_of(*id).find("http://192.0.2.1:8082/jobs/run_s1"), std::string::npos);
  ASSERT_EQ(jobs_->list_jobs({{"orsa.run", "run_s1"}}).value().size(), 1u);
  const auto dest = dir_.path() / "result.json";
  EXPECT_EQ(jobs_->copy_job_output(*id, JobOutput::kResult, dest, 1024).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(write_file_atomic(spec.work_dir / "out" / "result.json", R"({"x":1})"));
  EXPECT_EQ(jobs_->copy_job_output(*id, JobOutput::kResult, dest, 1024).value_or(0), 7u);

  ASSERT_TRUE(jobs_->remove_job(*id));
  EXPECT_FALSE(std::filesystem::exists(spec.work_dir));
  EXPECT_TRUE(jobs_->list_jobs({{"orsa.run", "run_s1"}}).value().empty());
  EXPECT_TRUE(jobs_->remove_job(*id));  // idempotent
  EXPECT_EQ(jobs_->wait_job(*id, {}).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(eventually(
      60s,
      [&] {
        auto networks = jobs_->list_networks({{kLabelJob, "true"}});
        return networks && networks->empty();
      },
      "the job's network removed"));
}

TEST_F(SwarmJobs, TheTimeLimitStopsTheTaskAndWithoutAListenerNothingStarts) {
  auto id = jobs_->start_job(job("run_s2", "trap 'exit 143' TERM; echo started; sleep 60 & wait"));
  ASSERT_TRUE(id) << id.error().message;
  const auto began = std::chrono::steady_clock::now();
  const auto outcome = jobs_->wait_job(*id, {.time_limit = 3s});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_EQ(outcome->exit_code, 143);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 60s);
  EXPECT_TRUE(jobs_->remove_job(*id));

  auto no_listener = swarm_->start_job(job("run_s3", "exit 0"));
  ASSERT_FALSE(no_listener);
  EXPECT_EQ(no_listener.error().code, ErrorCode::kUnavailable);
  auto managed = job("run_s3", "exit 0");
  managed.labels[kLabelManaged] = "true";
  EXPECT_EQ(jobs_->start_job(managed).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(managed.work_dir));
  EXPECT_TRUE(jobs_->list_jobs({}).value().empty());
}

}  // namespace
}  // namespace orsa::runtime
