#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace orsa::runtime {

/// How to run a private `podman system service`.
struct PodmanServiceOptions {
  std::filesystem::path state_dir;  // config files, podman.log, the socket when the path fits
  std::filesystem::path root;       // image and container store; empty → state_dir/root
  // Podman's run state (and, as --tmpdir, its events file and exit codes).
  // At most 50 characters (podman refuses longer ones). Empty →
  // state_dir/runroot, or short_dir()/runroot when that is too long. Podman
  // assumes it is wiped on reboot (a tmpfs under /run in production);
  // otherwise containers that died with the host show as running until the
  // next start of each.
  std::filesystem::path runroot;
  // Measured on this machine's kernel (6.x, ext4 /tmp): native overlay works
  // under a temp dir and creates+starts a container from a 300 MB image in
  // ~0.3 s with no copy; vfs copies the whole image per container (0.65–1.5 s
  // and 300 MB of disk each). Use "vfs" where overlay mounts are refused
  // (e.g. inside an unprivileged container whose /tmp is itself overlayfs).
  // A store keeps the driver it was created with.
  std::string storage_driver = "overlay";
  std::vector<std::string> insecure_registries;  // "127.0.0.1:5000": plain HTTP allowed
  std::string podman_binary = "podman";          // a name is looked up in PATH
  std::chrono::milliseconds start_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(10)};  // SIGTERM → SIGKILL
};

/// A child `podman system service` serving the Docker API on a unix socket,
/// with its own store. It dies with the process (PR_SET_PDEATHSIG: with the
/// *thread* that started it, so start it from a long-lived thread); the
/// containers (conmon) outlive it and a later service on the same
/// root/runroot sees them again.
class PodmanService {
 public:
  /// Writes the config files, starts the service and waits until it answers.
  static Result<std::unique_ptr<PodmanService>> start(PodmanServiceOptions options);

  ~PodmanService();
  PodmanService(const PodmanService&) = delete;
  PodmanService& operator=(const PodmanService&) = delete;

  /// The Docker API socket (DockerApiOptions::socket_path).
  const std::string& socket_path() const { return socket_path_; }
  /// /tmp/orsa-podman-<hash of state_dir>, holding the socket and/or runroot
  /// when their natural paths are too long; empty when unused. Never removed
  /// while it holds a runroot (the next service needs it).
  const std::filesystem::path& short_dir() const { return short_dir_; }
  /// The image and container store, and podman's run state.
  const std::filesystem::path& root() const { return options_.root; }
  const std::filesystem::path& runroot() const { return options_.runroot; }
  /// The service's process id (0 once stopped).
  pid_t pid() const { return pid_; }
  /// `podman` plus the global flags that address this store, for CLI use.
  std::vector<std::string> cli_command() const;
  /// The environment variables the CLI needs besides `cli_command()`.
  std::vector<std::pair<std::string, std::string>> cli_environment() const;
  /// SIGTERM, SIGKILL after `stop_timeout`; reaps the child. Idempotent.
  Result<void> stop();
  /// Starts the service again if it exited on its own (a crash, a kill):
  /// the containers it ran keep running and the new service sees them.
  /// Whether it restarted; false after stop(). Call it from the same kind of
  /// long-lived thread as start() (PR_SET_PDEATHSIG).
  Result<bool> restart_if_exited();

 private:
  PodmanService() = default;
  Result<void> launch();
  Result<void> wait_ready();
  Result<void> stop_locked();
  std::string log_tail() const;

  PodmanServiceOptions options_;
  std::string podman_path_;
  std::string socket_path_;
  std::filesystem::path short_dir_;
  std::filesystem::path log_path_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::atomic<pid_t> pid_ = 0;
  bool stopped_ = false;        // stop() was called: never restart
  std::mutex lifecycle_mutex_;  // stop() against restart_if_exited()
};

}  // namespace orsa::runtime
