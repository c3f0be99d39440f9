// KubernetesRuntime against the API server stand-in that
// tests/kube/runtime_contract_test.sh starts (TLS, a bearer token, strict
// validation of every object, simulated controllers: pods are records with
// addresses nothing answers on). A contract test, not a test on Kubernetes.
// tests/kube/live_test.sh runs the tests that hold on any cluster against a
// real one, opt-in, with its own namespace (ORSA_TEST_NAMESPACE) and an
// image that serves /healthz on 8000 (ORSA_TEST_IMAGE).

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "api_client.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "core/temp_dir.hpp"
#include "runtime/kubernetes_runtime.hpp"
#include "testing/eventually.hpp"

namespace orsa::runtime {
namespace {

using namespace std::chrono_literals;

ClusterAccess access() {
  const char* path = std::getenv("ORSA_TEST_KUBECONFIG");
  if (path == nullptr) {
    ADD_FAILURE() << "ORSA_TEST_KUBECONFIG is not set: run tests/kube/runtime_contract_test.sh";
    return {};
  }
  auto found = kubeconfig_access(path);
  EXPECT_TRUE(found) << found.error().message;
  return found ? *found : ClusterAccess{};
}

std::string env_or(const char* name, std::string otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : otherwise;
}

const std::string kNamespace = env_or("ORSA_TEST_NAMESPACE", "orsa-workloads");
const std::string kImage =
    env_or("ORSA_TEST_IMAGE", "127.0.0.1:8080/alice/knap@sha256:" + std::string(64, 'a'));

KubernetesOptions options() {
  return {.access = access(), .namespace_ = kNamespace, .call_timeout = 10s};
}

std::map<std::string, std::string> labels_of(const std::string& deployment) {
  return {{kLabelManaged, "true"},
          {kLabelDeployment, deployment},
          {kLabelProject, "alice/knap"},
          {kLabelOwner, "usr_alice"}};
}

ContainerSpec spec_of(const std::string& deployment, std::int32_t replicas) {
  ContainerSpec spec;
  spec.name = "orsa-" + deployment + "-ab12cd34";
  spec.image = kImage;
  spec.labels = labels_of(deployment);
  spec.env = {{"ORSA_PROJECT", "alice/knap"}};
  spec.user = "65534:65534";
  spec.network = "orsa-net-" + deployment;
  spec.replicas = replicas;
  return spec;
}

int status_of(const std::string& path) {
  const kubernetes::ApiClient api(access(), 10s);
  auto reply = api.request("GET", path);
  EXPECT_TRUE(reply) << reply.error().message;
  return reply ? reply->status : 0;
}

std::string in_namespace(const std::string& api, const std::string& rest) {
  return api + "/namespaces/" + kNamespace + "/" + rest;
}

// The stand-in's controller acts within moments; asked gently until then.
::testing::AssertionResult soon(const std::function<bool()>& predicate) {
  return testing::eventually(20s, [&] {
    if (predicate()) return true;
    std::this_thread::sleep_for(100ms);
    return false;
  });
}

class KubernetesRuntimeContract : public ::testing::Test {
 protected:
  // A deployment as the rollouts make one: its network, then its workload.
  std::string deploy(const std::string& deployment, std::int32_t replicas) {
    EXPECT_TRUE(runtime.pull(kImage, {"127.0.0.1:8080", "alice", "pull-token"}));
    auto made = runtime.create_network(
        {.name = "orsa-net-" + deployment, .labels = labels_of(deployment), .egress = false});
    EXPECT_TRUE(made) << made.error().message;
    auto id = runtime.run(spec_of(deployment, replicas));
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : "";
  }

  std::size_t ready_endpoints(const std::string& id) {
    auto info = runtime.inspect(id);
    return info && info->state == ContainerState::kRunning ? info->endpoints.size() : 0;
  }

  KubernetesRuntime runtime{options()};
};

TEST_F(KubernetesRuntimeContract, TheServerAndTheNamespaceAnswer) {
  auto version = runtime.version();
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ(*version, "v1.20.0-orsa-standin");
}

TEST_F(KubernetesRuntimeContract, ADeploymentComesUpWithItsReplicasServiceSecretAndPolicy) {
  const std::string id = deploy("dep_up1", 2);
  ASSERT_EQ(id, "orsa-dep-up1-ab12cd34");
  ASSERT_TRUE(soon([&] { return ready_endpoints(id) == 2; }));
  const auto info = runtime.inspect(id).value();
  EXPECT_EQ(info.endpoints.front().port, 8000);
  EXPECT_EQ(info.ip_address, info.endpoints.front().host);
  EXPECT_EQ(info.image, kImage);
  EXPECT_EQ(info.labels.at(kLabelDeployment), "dep_up1");
  EXPECT_EQ(info.labels.at(kLabelProject), "alice/knap");  // kept as an annotation
  EXPECT_EQ(status_of(in_namespace("/api/v1", "services/" + id)), 200);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/" + id + "-pull")), 200);
  EXPECT_EQ(
      status_of(in_namespace("/apis/networking.k8s.io/v1", "networkpolicies/orsa-net-dep-up1")),
      200);
  const auto networks = runtime.list_networks({{kLabelDeployment, "dep_up1"}}).value();
  ASSERT_EQ(networks.size(), 1u);
  EXPECT_EQ(networks.front().name, "orsa-net-dep_up1");  // ORSA's name, not the DNS form
  EXPECT_TRUE(networks.front().internal);
  // The same network asked for again is there; with egress it is another.
  EXPECT_TRUE(runtime.create_network(
      {.name = "orsa-net-dep_up1", .labels = labels_of("dep_up1"), .egress = false}));
  EXPECT_EQ(runtime
                .create_network(
                    {.name = "orsa-net-dep_up1", .labels = labels_of("dep_up1"), .egress = true})
                .error()
                .code,
            ErrorCode::kConflict);
  EXPECT_TRUE(runtime.remove(id));
  EXPECT_TRUE(runtime.remove_network("orsa-net-dep_up1"));
}

TEST_F(KubernetesRuntimeContract, StopScalesToZeroAndStartBringsBackTheReplicasAskedFor) {
  const std::string id = deploy("dep_scale", 2);
  ASSERT_TRUE(soon([&] { return ready_endpoints(id) == 2; }));
  ASSERT_TRUE(runtime.stop(id, 5s));
  ASSERT_TRUE(soon([&] {
    auto info = runtime.inspect(id);
    return info && info->state == ContainerState::kExited && info->endpoints.empty();
  }));
  ASSERT_TRUE(runtime.start(id));
  EXPECT_TRUE(soon([&] { return ready_endpoints(id) == 2; }));
  EXPECT_TRUE(runtime.remove(id));
  EXPECT_TRUE(runtime.remove_network("orsa-net-dep_scale"));
}

TEST_F(KubernetesRuntimeContract, ListFindsWorkloadsByLabelsAnnotationsIncluded) {
  const std::string id = deploy("dep_list", 1);
  auto mine = runtime.list({{kLabelManaged, "true"}, {kLabelProject, "alice/knap"}});
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_TRUE(std::ranges::any_of(*mine, [&](const ContainerInfo& c) { return c.id == id; }));
  auto others = runtime.list({{kLabelManaged, "true"}, {kLabelProject, "bob/other"}});
  ASSERT_TRUE(others);
  EXPECT_FALSE(std::ranges::any_of(*others, [&](const ContainerInfo& c) { return c.id == id; }));
  EXPECT_TRUE(runtime.remove(id));
  EXPECT_TRUE(runtime.remove_network("orsa-net-dep_list"));
}

TEST_F(KubernetesRuntimeContract, RemoveLeavesNothingAndIsIdempotent) {
  const std::string id = deploy("dep_gone", 1);
  ASSERT_TRUE(runtime.remove(id));
  EXPECT_EQ(runtime.inspect(id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "services/" + id)), 404);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/" + id + "-pull")), 404);
  EXPECT_TRUE(soon([&] {
    const kubernetes::ApiClient api(access(), 10s);
    auto pods =
        api.request("GET", in_namespace("/api/v1", "pods?labelSelector=orsa.workload%3D" + id));
    return pods && Json::parse(pods->body)["items"].empty();
  }));
  EXPECT_TRUE(runtime.remove(id));
  EXPECT_TRUE(runtime.remove_network("orsa-net-dep_gone"));
  EXPECT_TRUE(runtime.list_networks({{kLabelDeployment, "dep_gone"}}).value().empty());
}

TEST_F(KubernetesRuntimeContract, TheWatchReportsAWorkloadThatGoes) {
  const std::string id = deploy("dep_watch", 1);
  ASSERT_TRUE(soon([&] { return ready_endpoints(id) == 1; }));
  std::atomic<bool> destroyed{false};
  std::atomic<int> ticks{0};
  std::thread watcher([&] {
    auto watched = runtime.events({{kLabelManaged, "true"}}, [&](const Event* event) {
      if (event == nullptr) return ++ticks < 60;  // about a minute at most
      if (event->container_id == id && event->action == "destroy") destroyed = true;
      return !destroyed;
    });
    EXPECT_TRUE(watched) << watched.error().message;
  });
  std::this_thread::sleep_for(500ms);  // the watch is made
  ASSERT_TRUE(runtime.remove(id));
  watcher.join();
  EXPECT_TRUE(destroyed);
  EXPECT_TRUE(runtime.remove_network("orsa-net-dep_watch"));
}

TEST_F(KubernetesRuntimeContract, BadInputIsRefusedBeforeAnythingIsMade) {
  auto spec = spec_of("dep_bad", 0);
  EXPECT_EQ(runtime.run(spec).error().code, ErrorCode::kInvalidArgument);
  spec.replicas = 65;
  EXPECT_EQ(runtime.run(spec).error().code, ErrorCode::kInvalidArgument);
  spec = spec_of("dep_bad", 1);
  spec.user = "0";
  EXPECT_EQ(runtime.run(spec).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(runtime.list({{kLabelDeployment, "dep_bad"}}).value().empty());
  EXPECT_EQ(runtime.inspect("../secrets").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(runtime.inspect("Orsa_X").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KubernetesRuntimeContract, AWrongTokenOrAnotherCaIsRefused) {
  auto opts = options();
  opts.access.token = "not-the-token";
  KubernetesRuntime stranger(opts);
  EXPECT_EQ(stranger.version().error().code, ErrorCode::kUnauthenticated);

  opts = options();
  opts.access.ca_pem.clear();  // the system's CAs do not know the stand-in's
  KubernetesRuntime unverified(opts);
  auto refused = unverified.version();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message.find(options().access.token), std::string::npos);

  opts = options();
  opts.namespace_ = "nowhere";
  EXPECT_EQ(KubernetesRuntime(opts).version().error().code, ErrorCode::kNotFound);
}

// Runs as Jobs (ADR 0021). The stand-in's Jobs are simulated: a pod that
// "runs" a second and succeeds, with nothing uploaded; an upload is what
// the test writes into the work directory, as the jobs listener would.
class KubernetesJobsContract : public KubernetesRuntimeContract {
 protected:
  KubernetesJobsContract() {
    std::ofstream(dir_.path() / "input.json") << R"({"n":3})";
    std::filesystem::create_directories(dir_.path() / "work");
  }

  static KubernetesOptions job_options(std::vector<std::string>* granted) {
    auto o = options();
    o.jobs_port = 8082;
    o.job_files = [granted](const std::filesystem::path& work_dir, std::uint64_t max,
                            std::chrono::seconds ttl) -> Result<JobFilesAccess> {
      if (granted != nullptr) {
        granted->push_back(work_dir.filename().string() + " " + std::to_string(max) + " " +
                           std::to_string(ttl.count()));
      }
      return JobFilesAccess{.url = "http://10.0.0.5:8082/jobs/" + work_dir.filename().string(),
                            .token = "token-of-" + work_dir.filename().string()};
    };
    return o;
  }

  JobSpec job_of(const std::string& run) {
    JobSpec spec;
    spec.name = "orsa-" + run;
    spec.image = kImage;
    spec.labels = {{"orsa.run", run}, {kLabelOwner, "usr_alice"}};
    spec.input_file = dir_.path() / "input.json";
    spec.options_json = R"({"time_limit_s":60})";
    spec.work_dir = dir_.path() / "work" / run;
    spec.user = "65534:65534";
    spec.deadline = 90s;
    return spec;
  }

  TempDir dir_{"orsa-kube-jobs"};
  std::vector<std::string> granted_;
  KubernetesRuntime jobs{job_options(&granted_)};
};

TEST_F(KubernetesJobsContract, AJobRunsWithItsFilesTokenAndLeavesNothingWhenRemoved) {
  ASSERT_TRUE(jobs.pull(kImage, {"127.0.0.1:8080", "alice", "pull-token"}));
  const auto spec = job_of("run_k1");
  auto id = jobs.start_job(spec);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "orsa-run-k1");
  ASSERT_EQ(granted_.size(), 1u);
  EXPECT_EQ(granted_.front(), "run_k1 209715200 390");  // the deadline and five minutes more
  // The files the jobs listener serves, and the objects: a Job, its token's
  // Secret, its pull Secret and the policy every job is under.
  EXPECT_EQ(read_file(spec.work_dir / "input.json").value_or(""), R"({"n":3})");
  EXPECT_EQ(read_file(spec.work_dir / "options.json").value_or(""), R"({"time_limit_s":60})");
  EXPECT_TRUE(std::filesystem::is_directory(spec.work_dir / "out"));
  EXPECT_EQ(status_of(in_namespace("/apis/batch/v1", "jobs/orsa-run-k1")), 200);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/orsa-run-k1-files")), 200);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/orsa-run-k1-pull")), 200);
  EXPECT_EQ(status_of(in_namespace("/apis/networking.k8s.io/v1", "networkpolicies/orsa-jobs")),
            200);
  const auto listed = jobs.list_jobs({{"orsa.run", "run_k1"}});
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, "orsa-run-k1");
  EXPECT_TRUE(jobs.list_jobs({{"orsa.run", "run_other"}}).value().empty());

  const auto outcome = jobs.wait_job(*id, {.time_limit = 30s});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_TRUE(outcome->started_at_ms.has_value());
  EXPECT_EQ(jobs.list_jobs({{"orsa.run", "run_k1"}}).value().front().state,
            ContainerState::kExited);
  // Nothing uploaded yet: no result. Then as the listener stores one.
  const auto dest = dir_.path() / "result.json";
  EXPECT_EQ(jobs.copy_job_output(*id, JobOutput::kResult, dest, 1024).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(write_file_atomic(spec.work_dir / "out" / "result.json", R"({"x":1})"));
  EXPECT_EQ(jobs.copy_job_output(*id, JobOutput::kResult, dest, 1024).value_or(0), 7u);
  EXPECT_EQ(jobs.copy_job_output(*id, JobOutput::kResult, dest, 3).error().code,
            ErrorCode::kTooLarge);
  // The simulated pod ran nothing: its log is empty, and reading it works.
  std::size_t lines = 0;
  EXPECT_TRUE(jobs.job_logs(*id, {}, [&](const LogLine&) { return ++lines > 0; }));

  ASSERT_TRUE(jobs.remove_job(*id));
  EXPECT_FALSE(std::filesystem::exists(spec.work_dir));
  EXPECT_EQ(status_of(in_namespace("/apis/batch/v1", "jobs/orsa-run-k1")), 404);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/orsa-run-k1-files")), 404);
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/orsa-run-k1-pull")), 404);
  EXPECT_TRUE(jobs.remove_job(*id));  // idempotent
  EXPECT_EQ(jobs.wait_job(*id, {}).error().code, ErrorCode::kNotFound);
}

TEST_F(KubernetesJobsContract, TheTimeLimitAndACancelStopTheJobThroughItsDeadline) {
  auto id = jobs.start_job(job_of("run_k2"));
  ASSERT_TRUE(id) << id.error().message;
  // The simulated pod takes a second; the caller's limit is shorter.
  auto timed_out = jobs.wait_job(*id, {.time_limit = 1ms});
  ASSERT_TRUE(timed_out) << timed_out.error().message;
  EXPECT_TRUE(timed_out->timed_out);
  EXPECT_FALSE(timed_out->canceled);
  EXPECT_TRUE(jobs.remove_job(*id));

  id = jobs.start_job(job_of("run_k3"));
  ASSERT_TRUE(id) << id.error().message;
  auto canceled = jobs.wait_job(*id, {.time_limit = 60s, .cancel = [] { return true; }});
  ASSERT_TRUE(canceled) << canceled.error().message;
  EXPECT_TRUE(canceled->canceled);
  EXPECT_FALSE(canceled->timed_out);
  EXPECT_TRUE(jobs.remove_job(*id));
}

TEST_F(KubernetesJobsContract, WithoutTheJobsListenerOrWithBadInputNothingIsMade) {
  auto no_listener = runtime.start_job(job_of("run_k4"));
  ASSERT_FALSE(no_listener);
  EXPECT_EQ(no_listener.error().code, ErrorCode::kUnavailable);
  auto spec = job_of("run_k4");
  spec.deadline = 0s;
  EXPECT_EQ(jobs.start_job(spec).error().code, ErrorCode::kInvalidArgument);
  spec = job_of("run_k4");
  spec.user = "0";
  EXPECT_EQ(jobs.start_job(spec).error().code, ErrorCode::kInvalidArgument);
  spec = job_of("run_k4");
  spec.labels[kLabelManaged] = "true";
  EXPECT_EQ(jobs.start_job(spec).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(job_of("run_k4").work_dir));
  EXPECT_TRUE(jobs.list_jobs({{"orsa.run", "run_k4"}}).value().empty());
  EXPECT_EQ(status_of(in_namespace("/api/v1", "secrets/orsa-run-k4-files")), 404);
  EXPECT_EQ(jobs.wait_job("../secrets", {}).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orsa::runtime
