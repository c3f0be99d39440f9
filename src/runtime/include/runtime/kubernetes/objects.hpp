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

/// Where a run's pod fetches its input and options (a scratch volume of
/// its own; the runner finds the files through ORSA_INPUT and ORSA_OPTIONS).
inline constexpr const char* kJobInputDir = "/job/in";
/// The pods of one run's Job: the Job's name (the Job controller's own
/// job-name label is not the same on every version).
inline constexpr const char* kLabelJobName = "orsa.job-name";
/// The key of a run's token in its files Secret.
inline constexpr const char* kJobTokenKey = "token";

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

/// One run as a batch/v1 Job (ADR 0021): the runner fetches its input and
/// options from the jobs listener into a scratch volume and uploads its
/// result or error from an output volume capped at max_output_bytes, with
/// the token of its files Secret; the time limit is activeDeadlineSeconds
/// (the cluster stops it even if ORSA is gone).
struct RunJob {
  std::string name;
  std::string namespace_;
  JobSpec job;                    // image, env, labels, limits, user; files are not used
  std::string job_url;            // JobFilesAccess::url
  std::string files_secret;       // a Secret of job_files_secret_object
  std::uint64_t input_bytes = 0;  // input.json and options.json: sizes the scratch volume
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
/// An Opaque Secret with a run's token for the jobs listener (kJobTokenKey),
/// labelled with its Job's name.
Result<std::string> job_files_secret_object(std::string_view name, std::string_view namespace_,
                                            std::string_view job_name, std::string_view token);
/// The NetworkPolicy every run's pod is under: nothing in; out, DNS and the
/// jobs listener (the gateway's pods on `jobs_port`) only.
Result<std::string> jobs_network_policy_object(
    std::string_view namespace_, std::string_view gateway_namespace,
    const std::map<std::string, std::string>& gateway_labels, std::uint16_t jobs_port);

}  // namespace orsa::runtime::kubernetes
