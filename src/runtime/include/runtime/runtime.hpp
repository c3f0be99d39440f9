#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace orsa::runtime {

/// Labels every container ORSA creates carries; the reconciler finds its
/// containers by them, and removes `kLabelManaged` ones no deployment wants.
inline constexpr const char* kLabelManaged = "orsa.managed";  // value "true"
inline constexpr const char* kLabelDeployment = "orsa.deployment";
inline constexpr const char* kLabelProject = "orsa.project";  // "<owner>/<name>"
inline constexpr const char* kLabelOwner = "orsa.owner";      // owner user id

/// `ContainerSpec::network` for a container with loopback only (solve jobs).
inline constexpr const char* kNoNetwork = "none";

/// Label every job container carries (value "true"). Jobs never carry
/// `kLabelManaged`: the reconciler removes those no deployment wants.
inline constexpr const char* kLabelJob = "orsa.job";

/// Credentials the runtime presents to the registry when it pulls.
struct RegistryAuth {
  std::string server;  // "127.0.0.1:8080"
  std::string username;
  std::string password;
};

/// What to run. Runtime-neutral: adapters translate it (Docker API body,
/// ECS task definition, Kubernetes pod spec).
struct ContainerSpec {
  std::string name;   // unique; adapters may use it as the container name
  std::string image;  // a pullable reference, "127.0.0.1:8080/alice/knap@sha256:…"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> env;
  std::vector<std::string> command;  // empty → the image's Cmd
  std::uint16_t container_port = 8000;
  // "" → the runtime's default network, with `container_port` published on
  // host_ip:host_port; kNoNetwork → loopback only; else a network made by
  // create_network, where nothing is published and the host reaches the
  // container at ContainerInfo::ip_address:container_port.
  std::string network;
  std::string host_ip = "127.0.0.1";  // the published port binds here only
  std::uint16_t host_port = 0;        // 0 → the runtime picks a free one
  std::int64_t memory_bytes = 512LL * 1024 * 1024;
  double cpus = 1.0;
  std::int64_t pids_limit = 256;
  std::int64_t open_files_limit = 1024;  // RLIMIT_NOFILE, soft and hard
  // RLIMIT_NPROC, soft and hard: counts every process of the same host uid
  // (the cgroup's pids_limit is the per-container cap); root is exempt.
  std::int64_t processes_limit = 1024;
  // The runtime keeps at most about this much of the container's output; an
  // endless writer cannot fill the disk (older lines are dropped).
  std::int64_t log_max_bytes = 8LL * 1024 * 1024;
  // "uid[:gid]" the process runs as; "" → the image's user.
  std::string user;
  bool read_only_root = true;
  std::int64_t tmp_size_bytes = 64LL * 1024 * 1024;  // tmpfs at /tmp
  // The reconciler restarts crashed containers itself (with backoff and
  // crash-loop detection that work the same on every runtime), so the
  // runtime's own restart policy defaults to none.
  std::string restart_policy = "no";
  // Copies of the container, on runtimes that run several (swarm); the
  // others run one.
  std::int32_t replicas = 1;
};

/// Where one replica of a workload answers.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

enum class ContainerState { kCreated, kRunning, kPaused, kRestarting, kExited, kDead, kUnknown };

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image;
  std::map<std::string, std::string> labels;
  ContainerState state = ContainerState::kUnknown;
  int exit_code = 0;
  bool oom_killed = false;
  std::optional<std::int64_t> started_at;   // unix seconds
  std::optional<std::int64_t> finished_at;  // unix seconds
  std::string host_ip;                      // where the published port listens
  std::uint16_t host_port = 0;              // 0 when not (yet) published
  std::string network;                      // ContainerSpec::network when it named an own network
  std::string ip_address;                   // on that network; "" otherwise
  // Runtimes with replicas (swarm): where each running replica answers, in
  // a stable order. When set, it is where callers go (not host_port or
  // ip_address, which then name the first replica).
  std::vector<Endpoint> endpoints;
};

/// A private network for the containers of one deployment: reachable from
/// the host (the gateway) only; without egress it has no route beyond its
/// own subnet (no internet, no metadata address, no other tenant).
struct NetworkSpec {
  std::string name;  // same rules as container names
  std::map<std::string, std::string> labels;
  bool egress = false;  // true: outbound traffic is routed (and masqueraded) by the host
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  bool internal = false;  // no egress
};

struct LogLine {
  enum class Stream { kStdout, kStderr };
  Stream stream = Stream::kStdout;
  std::int64_t at_ns = 0;  // unix nanoseconds, 0 when the runtime gave none
  std::string text;        // one line, without its newline
};

struct LogOptions {
  std::optional<std::size_t> tail;    // last N lines; nullopt → all
  std::optional<std::int64_t> since;  // unix seconds
  bool follow = false;                // keep streaming until cancelled or the container stops
  // With `follow`: polled at least once a second, also while the container is
  // silent; returning false ends the stream (a sink alone only runs on lines).
  std::function<bool()> keep_going;
};

/// A container event (start, die, …) as the reconciler cares about it.
struct Event {
  std::string container_id;
  std::string action;  // "start", "die", "stop", "destroy", …
  std::map<std::string, std::string> labels;
};

/// The container runtime port. Implementations: docker_api (podman or
/// dockerd over a unix socket); later ECS and Kubernetes. All calls block
/// and are thread-safe; failures are values (kUnavailable when the runtime
/// cannot be reached, kNotFound for an unknown container).
class Runtime {
 public:
  virtual ~Runtime() = default;

  /// Pulls an image with the given registry credentials.
  virtual Result<void> pull(const std::string& image, const RegistryAuth& auth) = 0;
  /// Whether the runtime's store holds `image` (for a reference pinned by
  /// digest: exactly that image). False when unknown, so a caller pulls.
  virtual bool has_image(const std::string& image) {
    static_cast<void>(image);
    return false;
  }
  /// Creates and starts a container from an already pulled image; returns its id.
  virtual Result<std::string> run(const ContainerSpec& spec) = 0;
  virtual Result<ContainerInfo> inspect(const std::string& id) = 0;
  /// Starts a stopped container again.
  virtual Result<void> start(const std::string& id) = 0;
  /// SIGTERM, then SIGKILL after `grace`. A paused container is stopped too.
  virtual Result<void> stop(const std::string& id, std::chrono::seconds grace) = 0;
  /// Whether pause() can work here: the warm idle tier is skipped where it
  /// cannot (a cluster engine scales idle deployments to zero instead).
  virtual bool can_pause() const { return false; }
  /// How many replicas one workload may have here (ContainerSpec::replicas):
  /// a single engine runs one; a cluster engine spreads several over nodes.
  virtual std::int32_t max_replicas() const { return 1; }
  /// Freezes every process of a running container (the cgroup freezer): no
  /// CPU, memory kept. Runtimes without a freezer answer kUnavailable.
  virtual Result<void> pause(const std::string& id) {
    static_cast<void>(id);
    return fail(Error::unavailable("this runtime cannot pause containers"));
  }
  /// Memory the container holds now (the engine's stats: its cgroup's
  /// usage); none when unknown.
  virtual std::optional<std::int64_t> memory_bytes(const std::string& id) {
    static_cast<void>(id);
    return std::nullopt;
  }
  /// Thaws a paused container; one that is not paused is not an error.
  virtual Result<void> unpause(const std::string& id) {
    static_cast<void>(id);
    return fail(Error::unavailable("this runtime cannot pause containers"));
  }
  /// Removes a container, killing it if it runs; an unknown id is not an error.
  virtual Result<void> remove(const std::string& id) = 0;
  /// Every container (running or not) carrying all the given labels.
  virtual Result<std::vector<ContainerInfo>> list(
      const std::map<std::string, std::string>& labels) = 0;
  /// Log lines of a container. With `follow`, calls `sink` for each line as
  /// it arrives until `sink` returns false or the container stops.
  virtual Result<void> logs(const std::string& id, const LogOptions& options,
                            const std::function<bool(const LogLine&)>& sink) = 0;
  /// Streams container events carrying all `labels` until `sink` returns false
  /// (checked at least once a second, also without events).
  virtual Result<void> events(const std::map<std::string, std::string>& labels,
                              const std::function<bool(const Event*)>& sink) = 0;
  /// Removes a local image (frees the runtime's disk); unknown is not an error.
  virtual Result<void> remove_image(const std::string& image) = 0;
  /// Creates a network; one of that name that already exists is kept (and
  /// reported as kConflict when its egress differs).
  virtual Result<void> create_network(const NetworkSpec& spec) = 0;
  /// Removes a network; an unknown one is not an error, one still in use is kConflict.
  virtual Result<void> remove_network(const std::string& name) = 0;
  /// Makes a network's containers reachable from this process again, for
  /// those it adopted: a process in a container (ORSA under compose) that was
  /// re-created is on none of the networks its predecessor had joined.
  /// Cheap when nothing is to be done; the default has nothing to do.
  virtual Result<void> ensure_reachable(const std::string& network) {
    (void)network;
    return {};
  }
  /// Every network carrying all the given labels.
  virtual Result<std::vector<NetworkInfo>> list_networks(
      const std::map<std::string, std::string>& labels) = 0;
};

/// Where a job finds its input and leaves its output, inside its container.
/// The template's runner reads these paths (overridable by environment).
inline constexpr const char* kJobInputPath = "/job/input.json";
inline constexpr const char* kJobOptionsPath = "/job/options.json";
inline constexpr const char* kJobOutputDir = "/job/out";

/// The most `JobSpec::options_json` may hold.
inline constexpr std::size_t kMaxJobOptionsBytes = 64 * 1024;

/// One run of an image to completion: input in, output files out, stdout and
/// stderr as its log. Runtime-neutral (a container on docker-api, an ECS
/// task, a Kubernetes Job). Hardened like deployments: read-only root,
/// tmpfs /tmp, no capabilities, no new privileges; no network by default.
struct JobSpec {
  std::string name;   // unique; a caller that lost the id finds the job by it
  std::string image;  // a pulled reference
  std::map<std::string, std::string> labels;  // kLabelJob is added; kLabelManaged refused
  std::map<std::string, std::string> env;
  std::vector<std::string> command;  // empty → the image's Cmd
  std::filesystem::path input_file;  // on the control plane's disk → kJobInputPath
  std::string options_json = "{}";   // → kJobOptionsPath (≤ kMaxJobOptionsBytes)
  // A directory of the control plane for this job alone (it must not exist
  // yet): the adapter keeps the job's input copy and its output there until
  // remove_job. Its parent must exist.
  std::filesystem::path work_dir;
  std::string network = kNoNetwork;  // or a network made by create_network
  std::int64_t memory_bytes = 512LL * 1024 * 1024;
  double cpus = 1.0;
  std::int64_t pids_limit = 256;
  std::int64_t open_files_limit = 1024;
  std::int64_t processes_limit = 1024;
  std::int64_t log_max_bytes = 8LL * 1024 * 1024;  // the solver log keeps about this much
  std::int64_t tmp_size_bytes = 64LL * 1024 * 1024;
  // The capacity of kJobOutputDir: a job cannot write more than this (the
  // adapter backs it with storage of that size, not the host's disk).
  std::int64_t max_output_bytes = 200LL * 1024 * 1024;
  std::string user;  // "uid[:gid]"; "" → the image's user
  // The engine's own stop for a job no caller waits on any more (Kubernetes
  // activeDeadlineSeconds); JobWait::time_limit stays the caller's. 0: none.
  std::chrono::seconds deadline{0};
};

/// How a job on a runtime without the control plane's disk reaches its
/// files over the jobs listener (ADR 0021): the listener's URL of the job
/// and a bearer token that opens that job's files alone.
struct JobFilesAccess {
  std::string url;  // "http://10.0.0.5:8082/jobs/<name>"
  std::string token;
};

/// Grants that access for a job's work_dir (its name under the run
/// worker's work root), with the most the job may upload per file and how
/// long the token lives.
using JobFilesGrant =
    std::function<Result<JobFilesAccess>(const std::filesystem::path& work_dir,
                                         std::uint64_t max_output_bytes, std::chrono::seconds ttl)>;

/// How the caller waits: the limits are enforced here, by the caller's side,
/// whatever the job does with its signals.
struct JobWait {
  // Measured from the job's start as the runtime recorded it, so a caller
  // that restarts and waits again keeps the original deadline.
  std::chrono::milliseconds time_limit{std::chrono::minutes(5)};
  // SIGTERM at the time limit or on cancel; SIGKILL this much later.
  std::chrono::milliseconds grace{std::chrono::seconds(10)};
  // Polled about four times a second; true → stop the job (as above).
  std::function<bool()> cancel;
  // Polled likewise; true → stop waiting and leave the job running (a
  // control plane shutting down): wait_job returns kUnavailable.
  std::function<bool()> abandon;
  // How often the job's CPU time is read while it runs (JobOutcome::cpu_ms).
  std::chrono::milliseconds cpu_sample_interval{500};
};

/// How a job ended.
struct JobOutcome {
  int exit_code = 0;
  bool oom_killed = false;
  bool timed_out = false;  // it was still running at the time limit
  bool canceled = false;   // `cancel` asked for the stop (and not the time limit first)
  bool killed = false;     // it ignored SIGTERM for the grace period
  std::optional<std::int64_t> started_at_ms;  // unix milliseconds
  std::optional<std::int64_t> finished_at_ms;
  // CPU time the engine counted for the job's container (all its processes,
  // user and system), sampled while the caller waited: an engine forgets it
  // once the container has stopped, so the time since the last sample (at
  // most JobWait::cpu_sample_interval) is missing. Empty when no sample was
  // read (a job that ended before the wait began, an engine without stats).
  std::optional<std::int64_t> cpu_ms;
};

/// The files a job leaves in kJobOutputDir.
enum class JobOutput {
  kResult,  // result.json: what the model returned
  kError,   // error.json: {"status", "message"} when the runner refused the input
};

/// The job half of the runtime port: start, wait and clean up are separate
/// calls so that a control plane that restarts mid-run finds its jobs again
/// (list_jobs, by label or name) and waits on them anew. All calls block and
/// are thread-safe; ids are the adapter's (container id, task ARN, Job name).
class JobRuntime {
 public:
  virtual ~JobRuntime() = default;

  /// Prepares the job's files and starts it; returns its id. On failure
  /// nothing is left behind (no container, no work_dir).
  virtual Result<std::string> start_job(const JobSpec& spec) = 0;
  /// Blocks until the job ends, stopping it at the time limit or on cancel.
  /// kNotFound when the job is unknown (removed underneath).
  virtual Result<JobOutcome> wait_job(const std::string& id, const JobWait& wait) = 0;
  /// Copies one output file of an ended job to `destination` (written
  /// atomically) and returns its size. kNotFound when the job wrote none,
  /// kTooLarge when it holds more than `max_bytes` (nothing is written), and
  /// kUnprocessable when it is not a regular file.
  virtual Result<std::uint64_t> copy_job_output(const std::string& id, JobOutput which,
                                                const std::filesystem::path& destination,
                                                std::uint64_t max_bytes) = 0;
  /// The job's log (stdout and stderr), as Runtime::logs.
  virtual Result<void> job_logs(const std::string& id, const LogOptions& options,
                                const std::function<bool(const LogLine&)>& sink) = 0;
  /// Kills the job if it runs and removes it with its work_dir; an unknown
  /// id is not an error. After it, the job's output and log are gone.
  virtual Result<void> remove_job(const std::string& id) = 0;
  /// Removes a work_dir no job owns (a start that a crash interrupted before
  /// the container existed), undoing what the adapter set up there; a
  /// missing one is fine. Never for the work_dir of a job that exists.
  virtual Result<void> discard_work_dir(const std::filesystem::path& work_dir) = 0;
  /// Every job (running or ended) carrying all `labels`: what a restarted
  /// control plane adopts or removes.
  virtual Result<std::vector<ContainerInfo>> list_jobs(
      const std::map<std::string, std::string>& labels) = 0;
};

}  // namespace orsa::runtime
