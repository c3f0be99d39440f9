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
};

/// The Runtime port on Docker Swarm mode: a "container" of the port is a
/// replicated service (ContainerSpec::replicas tasks) whose tasks publish
/// their port in host mode on the node they run on; ContainerInfo::endpoints
/// lists where each running replica answers. Stop scales to zero, start
/// back to the replicas it was created with. The engine restarts failed
/// tasks and moves them off drained or lost nodes itself. Networks are
/// attachable overlays. Images are pulled by the nodes when a task starts,
/// with the credentials given to pull() for that image.
class SwarmRuntime final : public Runtime {
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

 private:
  std::string path(std::string_view rest) const;
  Result<std::string> get(const std::string& rest, const std::string& what) const;
  Result<void> scale(const std::string& id, std::optional<std::int32_t> replicas);
  Result<ContainerInfo> describe(const std::string& service_json);

  SwarmOptions options_;
  std::unique_ptr<detail::UnixHttp> http_;
  DockerApiRuntime engine_;  // what a manager does as a plain engine: networks, logs
  std::mutex auth_mutex_;
  std::map<std::string, RegistryAuth> auth_by_image_;  // from pull(), for run()
};

}  // namespace orsa::runtime
