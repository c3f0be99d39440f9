#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/docker_api_runtime.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime {

namespace detail {
class UnixHttp;
}

/// Where the Swarm's Engine API is: a manager node's dockerd socket.
struct SwarmOptions {
  std::string socket_path;
  std::string api_version = "1.41";  // dockerd 20.10
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  // The command each task's engine runs to call the service healthy (a new
  // replica replaces an old one only once it is): empty → the image's own.
  std::vector<std::string> health_command = {
      "python3", "-c",
      "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"};
  // Runs (ADR 0021): the jobs listener that serves their files. Without a
  // grant, start_job refuses and runs stay queued.
  JobFilesGrant job_files;
  std::chrono::milliseconds job_poll{std::chrono::seconds(1)};  // how often wait_job reads a task
};

/// The Runtime port on Docker Swarm mode: a "container" of the port is a
/// replicated service (ContainerSpec::replicas tasks) whose tasks publish
/// their port in host mode on the node they run on; ContainerInfo::endpoints
/// lists where each running replica answers. Stop scales to zero, start
/// back to the replicas it was created with. The engine restarts failed
/// tasks and moves them off drained or lost nodes itself. Networks are
/// attachable overlays. Images are pulled by the nodes when a task starts,
/// with the credentials given to pull() for that image.
///
/// A job is a one-shot service (one task, restart condition none) on an
/// overlay network of its own, with its token for the jobs listener as a
/// Swarm secret: its input and options are copied into its work_dir, which
/// the listener serves, and its result lands in work_dir/out. A time limit
/// or cancel scales it to zero (SIGTERM, SIGKILL after the stop grace).
class SwarmRuntime final : public Runtime, public JobRuntime {
 public:
  explicit SwarmRuntime(SwarmOptions options);
  ~SwarmRuntime() override;
  SwarmRuntime(const SwarmRuntime&) = delete;
  SwarmRuntime& operator=(const SwarmRuntime&) = delete;

  /// The manager's engine version; kUnavailable when it is not a swarm manager.
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
  std::int32_t max_replicas() const override;
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
  Result<std::string> create_job_secret(const std::string& name, const JobSpec& spec,
                                        const std::string& token);
  Result<void> delete_object(const std::string& kind, const std::string& name);
  std::string path(std::string_view rest) const;
  Result<std::string> get(const std::string& rest, const std::string& what) const;
  Result<void> scale(const std::string& id, std::optional<std::int32_t> replicas);
  std::vector<std::string> registry_auth_headers(const std::string& image);
  Result<ContainerInfo> describe(const std::string& service_json);

  SwarmOptions options_;
  std::unique_ptr<detail::UnixHttp> http_;
  DockerApiRuntime engine_;  // what a manager does as a plain engine: networks, logs
  std::mutex auth_mutex_;
  std::map<std::string, RegistryAuth> auth_by_image_;  // from pull(), for run()
};

}  // namespace orsa::runtime
