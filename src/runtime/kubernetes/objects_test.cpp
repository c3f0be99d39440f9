#include "runtime/kubernetes/objects.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace orsa::runtime::kubernetes {
namespace {

Workload workload() {
  Workload w;
  w.name = "orsa-dep-1";
  w.namespace_ = "orsa-tenant-alice";
  w.container.image = "registry.example:5000/alice/knap@sha256:abc";
  w.container.labels = {{kLabelManaged, "true"},
                        {kLabelDeployment, "dep_1"},
                        {kLabelProject, "alice/knap"},
                        {kLabelOwner, "usr_alice"}};
  w.container.env = {{"ORSA_PROJECT", "alice/knap"}};
  w.container.user = "65534:65534";
  w.container.memory_bytes = 256LL * 1024 * 1024;
  w.container.cpus = 0.5;
  w.container.network = "orsa-net-dep_1";
  w.replicas = 2;
  w.pull_secret = "orsa-pull";
  return w;
}

Isolation isolation(bool egress) {
  return {.name = "orsa-net-dep-1",
          .namespace_ = "orsa-tenant-alice",
          .labels = {{kLabelManaged, "true"}, {kLabelDeployment, "dep_1"}},
          .egress = egress};
}

Json parsed(const Result<std::string>& text) {
  EXPECT_TRUE(text) << text.error().message;
  return text ? Json::parse(*text) : Json();
}

TEST(KubernetesObjects, NamesFromIds) {
  EXPECT_EQ(object_name("dep_3K9x").value(), "orsa-dep-3k9x");
  EXPECT_FALSE(object_name(""));
  EXPECT_FALSE(object_name("dep.1"));
  EXPECT_FALSE(object_name("dep/1"));
  EXPECT_FALSE(object_name("dep_"));
  EXPECT_FALSE(object_name(std::string(59, 'a')));
  EXPECT_TRUE(object_name(std::string(58, 'a')));
  EXPECT_EQ(to_dns_label("orsa-dep_3K9x-ab12").value(), "orsa-dep-3k9x-ab12");
  EXPECT_FALSE(to_dns_label("orsa-net-dep_1/x"));
  EXPECT_FALSE(to_dns_label("-a"));
}

TEST(KubernetesObjects, ADeploymentRunsItsReplicasHardened) {
  const Json d = parsed(deployment_object(workload()));
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["metadata"]["namespace"], "orsa-tenant-alice");
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
  const Json& pod = d["spec"]["template"]["spec"];
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["imagePullSecrets"][0]["name"], "orsa-pull");
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "registry.example:5000/alice/knap@sha256:abc");
  EXPECT_EQ(c["securityContext"]["runAsUser"], 65534);
  EXPECT_EQ(c["securityContext"]["runAsGroup"], 65534);
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"][0], "ALL");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "268435456");
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "500m");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"], 8000);
  // The selector matches the pods' own labels; ORSA's deployment id stays.
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"][kLabelWorkload], "orsa-dep-1");
  const Json& pod_labels = d["spec"]["template"]["metadata"]["labels"];
  EXPECT_EQ(pod_labels[kLabelWorkload], "orsa-dep-1");
  EXPECT_EQ(pod_labels[kLabelDeployment], "dep_1");
  EXPECT_EQ(pod_labels[kLabelNetwork], "orsa-net-dep-1");
}

TEST(KubernetesObjects, ValuesNoLabelMayHoldBecomeAnnotations) {
  const Json d = parsed(deployment_object(workload()));
  EXPECT_FALSE(d["metadata"]["labels"].contains(kLabelProject));
  EXPECT_EQ(d["metadata"]["annotations"][kLabelProject], "alice/knap");
  EXPECT_EQ(d["metadata"]["labels"][kLabelOwner], "usr_alice");
  EXPECT_EQ(d["metadata"]["labels"][kManagedBy], "orsa");
}

TEST(KubernetesObjects, RootAndBadInputAreRefused) {
  auto w = workload();
  w.container.user = "0";
  EXPECT_EQ(deployment_object(w).error().code, ErrorCode::kInvalidArgument);
  w.container.user = "nobody";
  EXPECT_FALSE(deployment_object(w));
  w = workload();
  w.name = "Orsa_Dep";
  EXPECT_FALSE(deployment_object(w));
  EXPECT_FALSE(service_object(w));
  w = workload();
  w.namespace_ = "";
  EXPECT_FALSE(deployment_object(w));
  w = workload();
  w.replicas = -1;
  EXPECT_FALSE(deployment_object(w));
}

TEST(KubernetesObjects, OnlyTheGatewayMayCallIn) {
  const Json p = parsed(network_policy_object(isolation(false)));
  EXPECT_EQ(p["spec"]["podSelector"]["matchLabels"][kLabelNetwork], "orsa-net-dep-1");
  EXPECT_EQ(p["spec"]["ingress"][0]["ports"][0]["port"], 8000);
  const Json& from = p["spec"]["ingress"][0]["from"][0];
  EXPECT_EQ(from["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "orsa");
  EXPECT_EQ(from["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "orsa");
  // Without egress: DNS only.
  ASSERT_EQ(p["spec"]["egress"].size(), 1u);
  EXPECT_FALSE(p["spec"]["egress"][0].contains("to"));
  const Json open = parsed(network_policy_object(isolation(true)));
  ASSERT_EQ(open["spec"]["egress"].size(), 2u);
  EXPECT_EQ(open["spec"]["egress"][1]["to"][0]["ipBlock"]["except"].size(), 4u);
}

TEST(KubernetesObjects, ARunIsAJobWithItsDeadlineThatFetchesItsFilesWithItsToken) {
  RunJob r;
  r.name = "orsa-run-1";
  r.namespace_ = "orsa-tenant-alice";
  r.job.image = "registry.example:5000/alice/knap@sha256:abc";
  r.job.user = "65534:65534";
  r.job.labels = {{"orsa.run", "run_1"}};
  r.job_url = "http://10.0.0.5:8082/jobs/run_1";
  r.files_secret = "orsa-run-1-files";
  r.input_bytes = 10 * 1024 * 1024;
  r.time_limit = std::chrono::seconds(90);
  const Json j = parsed(job_object(r));
  EXPECT_EQ(j["apiVersion"], "batch/v1");
  EXPECT_EQ(j["spec"]["activeDeadlineSeconds"], 90);
  EXPECT_EQ(j["spec"]["backoffLimit"], 0);
  EXPECT_EQ(j["metadata"]["labels"][kLabelJob], "true");
  EXPECT_EQ(j["spec"]["template"]["metadata"]["labels"][kLabelJobName], "orsa-run-1");
  const Json& pod = j["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["volumes"][1]["emptyDir"]["sizeLimit"], std::to_string(21 * 1024 * 1024));
  EXPECT_EQ(pod["volumes"][2]["emptyDir"]["sizeLimit"], std::to_string(r.job.max_output_bytes));
  Json env = Json::object();
  for (const auto& e : pod["containers"][0]["env"]) {
    env[e["name"].get<std::string>()] = e.contains("value") ? e["value"] : e["valueFrom"];
  }
  EXPECT_EQ(env["ORSA_INPUT"], "/job/in/input.json");
  EXPECT_EQ(env["ORSA_OUTPUT_DIR"], "/job/out");
  EXPECT_EQ(env["ORSA_JOB_URL"], r.job_url);
  // The token is not in the Job: it comes from the Secret.
  EXPECT_EQ(env["ORSA_JOB_TOKEN"]["secretKeyRef"]["name"], "orsa-run-1-files");
  EXPECT_EQ(j.dump().find("token-value"), std::string::npos);
  r.time_limit = std::chrono::seconds(0);
  EXPECT_FALSE(job_object(r));
  r.time_limit = std::chrono::seconds(90);
  r.job_url.clear();
  EXPECT_FALSE(job_object(r));
}

TEST(KubernetesObjects, ARunsTokenSecretAndTheJobsPolicy) {
  const Json s =
      parsed(job_files_secret_object("orsa-run-1-files", "ns", "orsa-run-1", "token-value"));
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_EQ(s["metadata"]["labels"][kLabelJobName], "orsa-run-1");
  EXPECT_EQ(s["data"][kJobTokenKey], "dG9rZW4tdmFsdWU=");
  EXPECT_FALSE(job_files_secret_object("orsa-run-1-files", "ns", "orsa-run-1", ""));
  const Json p = parsed(jobs_network_policy_object("ns", "orsa", {{"app", "orsa"}}, 8082));
  EXPECT_EQ(p["spec"]["podSelector"]["matchLabels"][kLabelJob], "true");
  EXPECT_TRUE(p["spec"]["ingress"].empty());
  ASSERT_EQ(p["spec"]["egress"].size(), 2u);
  EXPECT_EQ(p["spec"]["egress"][1]["ports"][0]["port"], 8082);
  EXPECT_EQ(p["spec"]["egress"][1]["to"][0]["podSelector"]["matchLabels"]["app"], "orsa");
  EXPECT_FALSE(jobs_network_policy_object("ns", "orsa", {}, 0));
}

TEST(KubernetesObjects, APullSecretHoldsADockerConfig) {
  const Json s = parsed(pull_secret_object("orsa-pull", "orsa-tenant-alice",
                                           {"registry.example:5000", "alice", "tok"}));
  EXPECT_EQ(s["type"], "kubernetes.io/dockerconfigjson");
  // {"auths":{"registry.example:5000":{"auth":"YWxpY2U6dG9r",…}}} in base64.
  const std::string data = s["data"][".dockerconfigjson"];
  EXPECT_FALSE(data.empty());
  EXPECT_EQ(
      data.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
      std::string::npos);
  EXPECT_FALSE(pull_secret_object("orsa-pull", "ns", {}));
}

}  // namespace
}  // namespace orsa::runtime::kubernetes
