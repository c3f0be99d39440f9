#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/runtime.hpp"

namespace orsa::runtime {

namespace kubernetes {
class ApiClient;
}

/// Where a Kubernetes API server is and how ORSA proves who it is. Holds
/// secrets (token, client key): never logged, never in an error message.
struct ClusterAccess {
  std::string server;                // "https://10.96.0.1:443"
  std::string ca_pem;                // the server's CA bundle (PEM); "" → the system's
  std::string token;                 // a bearer token; or:
  std::filesystem::path token_file;  // read on every call: projected tokens rotate
  std::string client_cert_pem;       // client certificate authentication
  std::string client_key_pem;
  std::string namespace_;  // the context's (or service account's) namespace; may be ""
};

/// The service account a pod is given: KUBERNETES_SERVICE_HOST/PORT and the
/// token, CA and namespace under `secrets_dir`.
Result<ClusterAccess> in_cluster_access(
    const std::filesystem::path& secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

/// A kubeconfig file's context (its current-context when `context` is
/// empty): server, CA, token or client certificate, namespace. Exec and
/// auth-provider plugins are refused: ORSA runs no programs a file names.
Result<ClusterAccess> kubeconfig_access(const std::filesystem::path& file,
                                        std::string_view context = {});

struct KubernetesOptions {
  ClusterAccess access;
  std::string namespace_ = "orsa-workloads";  // where every workload goes (it must exist)
  // The gateway's pods, the only ones a workload's NetworkPolicy lets in.
  std::string gateway_namespace = "orsa";
  std::map<std::string, std::string> gateway_labels = {{"app.kubernetes.io/name", "orsa"}};
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  std::int32_t max_replicas = 64;
};

/// The Runtime port on Kubernetes: a "container" of the port is a Deployment
/// (ContainerSpec::replicas pods) with a Service and a Secret to pull from
/// ORSA's registry; ContainerInfo::endpoints lists the ready pods' addresses
/// (the gateway runs in the cluster and calls pods directly, keeping its own
/// balancing and passive health). A "network" is a NetworkPolicy selecting
/// the pods of one deployment: only the gateway in, nothing out but DNS
/// unless egress is allowed. Stop scales to zero, start back to the replicas
/// it was created with. The cluster restarts crashed pods itself; status
/// changes reach the reconciler through a watch, not polling.
class KubernetesRuntime final : public Runtime {
 public:
  explicit KubernetesRuntime(KubernetesOptions options);
  ~KubernetesRuntime() override;
  KubernetesRuntime(const KubernetesRuntime&) = delete;
  KubernetesRuntime& operator=(const KubernetesRuntime&) = delete;

  /// The server's version ("v1.29.2"); kUnavailable when it cannot be
  /// reached, kUnauthenticated when the credential is refused.
  Result<std::string> version();

  Result<void> pull(const std::string& image, const RegistryAuth& auth) override;
  Result<std::string> run(const ContainerSpec& spec) override;
  Result<ContainerInfo> inspect(const std::string& id) override;
  Result<void> start(const std::string& id) override;
  Result<void> stop(const std::string& id, std::chrono::seconds grace) override;
  Result<void> remove(const std::string& id) override;
  Result<std::vector<ContainerInfo>> list(
      const std::map<std::string, std::string>& labels) override;
  Result<void> logs(const std::string& id, const LogOptions& options,
                    const std::function<bool(const LogLine&)>& sink) override;
  Result<void> events(const std::map<std::string, std::string>& labels,
                      const std::function<bool(const Event*)>& sink) override;
  Result<void> remove_image(const std::string& image) override;
  std::int32_t max_replicas() const override { return options_.max_replicas; }
  Result<void> create_network(const NetworkSpec& spec) override;
  Result<void> remove_network(const std::string& name) override;
  Result<std::vector<NetworkInfo>> list_networks(
      const std::map<std::string, std::string>& labels) override;

 private:
  std::string objects(std::string_view kind, std::string_view name = {}) const;
  Result<void> scale(const std::string& id, std::optional<std::int32_t> replicas);
  Result<ContainerInfo> describe(const std::string& deployment_json);
  Result<void> ensure_pull_secret(const std::string& name, const RegistryAuth& auth);
  Result<void> apply(std::string_view kind, const std::string& name, const std::string& body);

  KubernetesOptions options_;
  std::unique_ptr<kubernetes::ApiClient> api_;
  std::mutex auth_mutex_;
  std::map<std::string, RegistryAuth> auth_by_image_;  // from pull(), for run()
  std::map<std::string, std::string> egress_by_network_;
};

}  // namespace orsa::runtime
