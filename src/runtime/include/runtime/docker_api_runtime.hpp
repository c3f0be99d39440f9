#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/runtime.hpp"

namespace orsa::runtime {

namespace detail {
class UnixHttp;
}
namespace docker {
struct NetworkDetails;
struct JobState;
}  // namespace docker

/// Where and how to reach a Docker Engine API (podman system service or dockerd).
struct DockerApiOptions {
  std::string socket_path;           // "/run/podman/podman.sock"
  std::string api_version = "1.41";  // paths are "/v1.41/…"
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // A socket that refuses connections (an engine restarting under its
  // supervisor: the socket is unbound until the new one answers) is tried
  // again until this much time has passed. Such a request was never sent, so
  // repeating it is safe for every method. Zero: fail at once.
  std::chrono::milliseconds reconnect_window{std::chrono::seconds(30)};
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};  // each non-streaming call
  std::chrono::milliseconds pull_timeout{std::chrono::minutes(15)};
  std::size_t max_stream_line_bytes = 1024 * 1024;  // one JSON line of pull progress or events
  std::size_t max_log_line_bytes = 64 * 1024;       // longer log lines arrive in pieces
  // HostConfig.UsernsMode of every container. "auto": each container gets a
  // user namespace of its own, so its root is an unprivileged uid on the
  // host (podman needs a "containers" range in /etc/subuid and /etc/subgid,
  // see docs/security.md). "" keeps the engine's default: the host's.
  std::string userns_mode;
  // The container this process itself runs in (ORSA as a compose
  // application): it joins each deployment network to reach the containers
  // there, where a process on the host gives the host an address on the
  // network's bridge instead. Empty: the host's network namespace.
  std::string attach_container;
  // Registries served over plain HTTP (ORSA's own, "127.0.0.1:8080"). podman
  // pulls from them through its libpod endpoint with tlsVerify=false, as its
  // Docker-compatible one only reads registries.conf, which a socket given
  // to ORSA does not let it write; an engine without that endpoint (dockerd,
  // which allows plain HTTP to loopback registries itself) gets the
  // compatible pull.
  std::vector<std::string> insecure_registries;
};

/// The Runtime and JobRuntime ports over the Docker Engine API on a unix
/// socket (libcurl). A job is a container whose files live in its work_dir,
/// bind-mounted; the output directory is a tmpfs the adapter mounts, so the
/// process needs CAP_SYS_ADMIN (as rootful podman does anyway).
class DockerApiRuntime final : public Runtime, public JobRuntime {
 public:
  explicit DockerApiRuntime(DockerApiOptions options);
  ~DockerApiRuntime() override;
  DockerApiRuntime(const DockerApiRuntime&) = delete;
  DockerApiRuntime& operator=(const DockerApiRuntime&) = delete;

  /// The runtime's version (GET /version): a readiness and health probe.
  Result<std::string> version();

  Result<void> pull(const std::string& image, const RegistryAuth& auth) override;
  bool has_image(const std::string& image) override;
  Result<std::string> run(const ContainerSpec& spec) override;
  Result<ContainerInfo> inspect(const std::string& id) override;
  Result<void> start(const std::string& id) override;
  Result<void> stop(const std::string& id, std::chrono::seconds grace) override;
  bool can_pause() const override { return true; }
  Result<void> pause(const std::string& id) override;
  Result<void> unpause(const std::string& id) override;
  std::optional<std::int64_t> memory_bytes(const std::string& id) override;
  Result<void> remove(const std::string& id) override;
  Result<std::vector<ContainerInfo>> list(
      const std::map<std::string, std::string>& labels) override;
  Result<void> logs(const std::string& id, const LogOptions& options,
                    const std::function<bool(const LogLine&)>& sink) override;
  Result<void> events(const std::map<std::string, std::string>& labels,
                      const std::function<bool(const Event*)>& sink) override;
  Result<void> remove_image(const std::string& image) override;
  Result<void> create_network(const NetworkSpec& spec) override;
  Result<void> remove_network(const std::string& name) override;
  Result<void> ensure_reachable(const std::string& network) override;
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
  std::string path(std::string_view rest) const;
  /// Gives the host an address on `network`'s bridge where the engine gave
  /// it none (podman with CNI on internal networks), so it can reach the
  /// containers there. Needs the bridge, which exists once a container runs.
  Result<void> ensure_host_address(const std::string& network);
  Result<void> ensure_attached(const std::string& network);
  void detach(const std::string& network);
  Result<void> start_and_attach(const std::string& id, const std::string& network);
  Result<docker::NetworkDetails> inspect_network(const std::string& name);
  Result<docker::JobState> inspect_job(const std::string& id);
  /// Sends `signal` ("SIGTERM", "SIGKILL"); a job that already ended is fine.
  Result<void> signal_job(const std::string& id, const char* signal);
  /// The CPU time the engine counts for a running job, in nanoseconds;
  /// empty when it says nothing usable (the job has stopped, an error).
  std::optional<std::int64_t> job_cpu_ns(const std::string& id);
  /// Blocks until the container stops or `keep_waiting` returns false.
  Result<void> await_exit(const std::string& id, const std::function<bool()>& keep_waiting);

  DockerApiOptions options_;
  std::unique_ptr<detail::UnixHttp> http_;
  std::mutex attached_mutex_;
  std::set<std::string> attached_;  // networks attach_container is known to be on
};

/// Checks a spec before it reaches a runtime (names, limits, restart policy).
Result<void> validate_spec(const ContainerSpec& spec);

/// Checks a job spec (the container it becomes, its files, its labels).
Result<void> validate_job_spec(const JobSpec& spec);

}  // namespace orsa::runtime
