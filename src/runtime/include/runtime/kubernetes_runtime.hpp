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
class JobWatch;
struct JobState;
}  // namespace kubernetes

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
  // Runs (ADR 0021): the jobs listener that serves their files, and its port
  // for the NetworkPolicy that lets their pods reach it. Without a grant,
  // start_job refuses and runs stay queued.
  JobFilesGrant job_files;
  std::uint16_t jobs_port = 0;
  std::chrono::milliseconds job_poll{std::chrono::seconds(1)};  // how often wait_job reads a Job
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
///
/// A job is a batch/v1 Job (ADR 0021) with a Secret holding its token for
/// the jobs listener: its input and options are copied into its work_dir,
/// which the listener serves, and its result lands in work_dir/out. The time
/// limit and cancel become the Job's activeDeadlineSeconds, so the Job
/// controller stops its pod and starts no other.
class KubernetesRuntime final : public Runtime, public JobRuntime {
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

  Result<std::string> start_job(const JobSpec& spec) override;
  Result<JobOutcome> wait_job(const std::string& id, const JobWait& wait) override;
  Result<std::uint64_t> copy_job_output(const std::string& id, JobOutput which,
                                        const std::filesystem::path& destination,
                                        std::uint64_t max_bytes) override;
  Result<void> job_logs(const std::string& id, const LogOptions& options,
                        const std::function<bool(const LogLine&)>& sink) override;
  Result<void> remove_job(const std::string& id) override;
  Result<void> discard_work_dir(const std::filesystem::path& work_dir) override;
  Result<std::vector<ContainerInfo>> list_jobs(
      const std::map<std::string, std::string>& labels) override;

 private:
  Result<void> pod_logs(const std::string& selector, const LogOptions& options,
                        const std::function<bool(const LogLine&)>& sink);
  Result<std::string> read_job(const std::string& id);
  Result<kubernetes::JobState> job_state(const std::string& id);
  Result<std::filesystem::path> job_work_dir(const std::string& id);
  Result<void> stop_job_now(const std::string& id, std::int64_t after_seconds);
  Result<void> ensure_jobs_policy();
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
  bool jobs_policy_ready_ = false;  // under auth_mutex_
  // Declared after api_, which it uses: destroyed (its thread stopped) first.
  std::unique_ptr<kubernetes::JobWatch> job_watch_;
};

}  // namespace orsa::runtime
