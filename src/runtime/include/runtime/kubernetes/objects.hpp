#pragma once

// The Kubernetes objects ORSA creates, as JSON text for the API server: a
// Deployment, a Service and a NetworkPolicy per ORSA deployment, a Job per
// run, a dockerconfigjson Secret for pulls from ORSA's registry. Pure
// functions of runtime-neutral specs; the adapter sends what these return.
// tests/kube/ validates each strictly against the Kubernetes OpenAPI
// definitions (a contract test: no cluster runs in our tests).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::kubernetes {

/// Label every object carries; the adapter adopts and sweeps by it.
inline constexpr const char* kManagedBy = "app.kubernetes.io/managed-by";  // value "orsa"
/// The pods of one workload (the Deployment's selector): its object name.
inline constexpr const char* kLabelWorkload = "orsa.workload";
/// The NetworkPolicy a pod is under (ContainerSpec::network, as an object name).
inline constexpr const char* kLabelNetwork = "orsa.network";

/// Where a run's input Secret is mounted; the runner finds it through
/// ORSA_INPUT and ORSA_OPTIONS (a Secret volume is read-only, so the output
/// directory cannot sit inside it).
inline constexpr const char* kJobInputDir = "/job/in";

/// One ORSA deployment as a Deployment (its replicas), a Service in front of
/// them and a NetworkPolicy that lets only the gateway in.
struct Workload {
  std::string name;           // the objects' name: object_name(deployment id)
  std::string namespace_;     // the tenant's namespace
  ContainerSpec container;    // image, env, labels, limits, user, container_port
  std::int32_t replicas = 1;  // 0: scaled to zero (idle)
  std::string pull_secret;    // a Secret of pull_secret_object; "" → none
  std::string health_path = "/healthz";
  // Pods allowed to call the service: the gateway's labels ("k=v"), in the
  // gateway's namespace (kubernetes.io/metadata.name=<it>).
  std::string gateway_namespace = "orsa";
  std::map<std::string, std::string> gateway_labels = {{"app.kubernetes.io/name", "orsa"}};
};

/// A runtime "network": a NetworkPolicy over the pods labelled with its
/// name (kLabelNetwork) that lets only the gateway in on `port` and nothing
/// out but DNS, unless `egress` (then anywhere but private addresses).
struct Isolation {
  std::string name;  // to_dns_label(NetworkSpec::name)
  std::string namespace_;
  std::map<std::string, std::string> labels;
  bool egress = false;
  std::uint16_t port = 8000;
  std::string gateway_namespace = "orsa";
  std::map<std::string, std::string> gateway_labels = {{"app.kubernetes.io/name", "orsa"}};
};

/// One run as a batch/v1 Job: the input and options from a Secret, the
/// output on an emptyDir capped at max_output_bytes, the time limit as
/// activeDeadlineSeconds (the cluster stops it even if ORSA is gone).
struct RunJob {
  std::string name;
  std::string namespace_;
  JobSpec job;               // image, env, labels, limits, user; files are not used
  std::string input_secret;  // holds input.json and options.json
  std::chrono::seconds time_limit{300};
  std::string pull_secret;
  // How long the finished Job stays for ORSA to read its log and result.
  std::chrono::seconds keep_after_finish{3600};
};

/// A DNS-1123 label from an ORSA id: "dep_3k9x" → "orsa-dep-3k9x"; kInvalidArgument
/// when the id has characters no label may hold or is too long.
Result<std::string> object_name(std::string_view id);
/// A DNS-1123 label from an ORSA name ("orsa-dep_3k9x-ab12" → "orsa-dep-3k9x-ab12"):
/// lower case, '_' as '-'; kInvalidArgument when no label can hold it.
Result<std::string> to_dns_label(std::string_view name);

Result<std::string> deployment_object(const Workload& workload);
Result<std::string> service_object(const Workload& workload);
Result<std::string> network_policy_object(const Isolation& isolation);
Result<std::string> job_object(const RunJob& run);
/// A kubernetes.io/dockerconfigjson Secret with a pull credential.
Result<std::string> pull_secret_object(std::string_view name, std::string_view namespace_,
                                       const RegistryAuth& auth);
/// An Opaque Secret with a run's input and options files.
Result<std::string> input_secret_object(std::string_view name, std::string_view namespace_,
                                        std::string_view input_json, std::string_view options_json);

}  // namespace orsa::runtime::kubernetes
