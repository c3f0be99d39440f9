// KubernetesRuntime against the API server stand-in that
// tests/kube/runtime_contract_test.sh starts (TLS, a bearer token, strict
// validation of every object, simulated controllers: pods are records with
// addresses nothing answers on). A contract test, not a test on Kubernetes.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "api_client.hpp"
#include "core/json.hpp"
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

KubernetesOptions options() {
  return {.access = access(), .namespace_ = "orsa-workloads", .call_timeout = 10s};
}

const std::string kImage = "127.0.0.1:8080/alice/knap@sha256:" + std::string(64, 'a');

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
  return api + "/namespaces/orsa-workloads/" + rest;
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

}  // namespace
}  // namespace orsa::runtime
