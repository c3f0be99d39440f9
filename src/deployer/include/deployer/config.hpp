#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "services/identity_provider.hpp"
#include "services/registration.hpp"

namespace orsa::deployer {

using services::Registration;

/// `orsa-deployer check [--repair] [--json]`: the consistency check of the
/// data dir (and database) the other flags name, instead of serving.
struct CheckCommand {
  bool repair = false;
  bool json = false;
  bool verify_content = true;  // --no-verify: sizes only, no hashing of every blob
};

/// Everything orsa-deployer is told at start, parsed once at the edge
/// (flags, then environment, then defaults; a flag wins over its variable).
struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  // Deployed services never run on ORSA's origin: they get their own listener.
  std::string services_listen_host = "127.0.0.1";
  std::uint16_t services_listen_port = 8081;
  // The jobs listener (ADR 0021): where a run on a runtime without this
  // machine's disk (kubernetes, swarm) fetches its input and uploads its
  // result. Empty host: none, and runs on such a runtime stay queued.
  std::string jobs_listen_host;
  std::uint16_t jobs_listen_port = 0;
  // The jobs listener as the jobs reach it; empty → "http://<jobs listen>".
  std::string jobs_url;
  // Host-based routing, one origin per service: <project>--<owner>.<services_domain>
  // (may end in ":port" for the URLs handed out). Empty: paths on the services listener.
  std::string services_domain;
  // The URL browsers use for ORSA itself ("https://orsa.example.net"), when it
  // is not the listener's own: https turns on Secure __Host- cookies and HSTS.
  std::string public_url;
  std::filesystem::path data_dir = "orsa-data";
  std::string database_url;  // empty → sqlite:<data_dir>/orsa.db
  // What several instances on one database share (ADR 0019): repositories,
  // registry blobs, the signing key, build logs and run data. Empty: all of
  // it lives in data_dir, which then holds only this instance's own files.
  std::filesystem::path shared_dir;
  Registration registration = Registration::kOpen;
  std::chrono::seconds session_ttl = std::chrono::hours(12);
  std::string log_level = "info";
  int worker_threads = 4;
  std::size_t max_connections = 1024;
  // Reverse proxies whose X-Forwarded-For names the client ("CIDR,…"; empty: none).
  std::string trusted_proxies;
  std::optional<std::filesystem::path> ready_file;  // written with the base URL once serving
  std::string admin_username = "admin";
  std::string admin_email = "admin@localhost";
  std::optional<std::string> admin_password;  // generated and printed once when absent
  std::filesystem::path builder_bin;          // empty → default_builder_bin()
  std::string base_image = "orsa/base-python-or:latest";
  std::size_t max_builds = 2;  // builders running at once
  std::chrono::seconds build_timeout = std::chrono::minutes(10);
  std::optional<std::filesystem::path> templates_dir;  // else the embedded templates
  // Deployments. No socket: a private podman service is started under the data dir.
  std::optional<std::filesystem::path> runtime_socket;
  // "docker-api" (podman or a lone dockerd), "swarm" (a swarm manager's
  // dockerd: deployments become replicated services spread over its nodes)
  // or "kubernetes" (Deployments in kube_namespace of the cluster named by
  // kubeconfig, or the one this process runs in).
  std::string runtime_kind = "docker-api";
  std::optional<std::filesystem::path> kubeconfig;  // none → the pod's service account
  std::string kube_context;                         // "" → the kubeconfig's current one
  std::string kube_namespace;                       // "" → the context's, else orsa-workloads
  // Replicas of a deployment that asks for none, and the most one may ask
  // for, on runtimes that run several (swarm); the others run one.
  std::int32_t replicas = 1;
  std::int32_t max_replicas = 4;
  // This instance's name among several on one database (ADR 0019); "" → the
  // one kept in the data dir.
  std::string instance_id;
  // The container this process runs in, when it runs in one (compose): it
  // joins each deployment network to reach the containers there (ADR 0017).
  // "self": the container whose id is this host name.
  std::string runtime_attach;
  // How long a database that refuses connections is waited for at start.
  std::chrono::seconds database_wait{0};
  bool no_runtime = false;  // serve without containers: deploying answers 503
  // Pull the base and each built image into the runtime's store ahead of
  // their first deploy (off: a deploy pulls what it needs, as a peer would).
  bool prefetch_images = true;
  std::int64_t prefetch_min_free_mb = 2048;  // no prefetch below this free disk
  std::string podman_bin = "podman";
  // Each container's user namespace: "auto" (its own; podman needs
  // "containers" ranges in /etc/subuid and /etc/subgid) or "" (the host's).
  std::string container_userns;
  std::int64_t max_memory_mb = 4096;
  double max_cpus = 4.0;
  std::chrono::seconds health_timeout{60};
  std::chrono::seconds max_service_timeout{3600};  // cap on orsa.toml's [service] timeout
  std::string ensure_base;  // build orsa/base-<name> at start when missing (empty: never)
  // The built web app; empty → default_web_dir().
  std::filesystem::path web_dir;
  // Collector (garbage collection); see deployer/collector.hpp.
  std::chrono::seconds gc_interval = std::chrono::hours(1);  // 0: no periodic runs
  std::chrono::seconds gc_image_age = std::chrono::hours(24 * 7);
  std::size_t gc_keep = 3;  // newest images kept per project
  std::chrono::seconds gc_idle = std::chrono::hours(24);
  std::chrono::seconds pause_idle = std::chrono::minutes(10);  // 0: never paused
  // Registry tenancy limits (see docs/security.md).
  std::int64_t registry_quota_mb = 20480;   // per owner namespace; 0: unlimited
  std::int64_t repository_quota_mb = 2048;  // per owner's git repositories; 0: unlimited
  std::size_t max_uploads_per_user = 8;     // open blob upload sessions
  std::chrono::seconds upload_idle_timeout = std::chrono::hours(1);
  std::optional<CheckCommand> check;  // set: run the check and exit
  // Runs (see services/runs.hpp).
  std::size_t max_concurrent_runs = 0;  // 0 → the number of cores
  std::size_t max_runs_per_user = 2;    // running at once
  std::size_t max_queued_runs_per_user = 100;
  std::chrono::seconds runs_retention = std::chrono::hours(24 * 30);
  std::int64_t max_run_input_mb = 50;
  std::int64_t max_run_result_mb = 200;
  std::int64_t runs_quota_mb = 10240;  // inputs, results and logs of one user's runs; 0: none
  std::chrono::seconds max_run_time = std::chrono::hours(6);  // the largest time_limit_s
  // Usage metering (services/usage_meter.hpp): counts are written every
  // flush interval (a crash loses at most that much) and kept this long.
  std::chrono::seconds usage_flush_interval = std::chrono::seconds(10);
  std::chrono::seconds usage_retention = std::chrono::hours(24 * 400);
  // Federated sign-in (services/federated_login.hpp); empty: passwords only.
  std::vector<services::IdentityProvider> identity_providers;

  /// --max-concurrent-runs with its default (the number of cores) applied.
  std::size_t effective_max_concurrent_runs() const;

  /// The database URL with the default applied.
  std::string effective_database_url() const;
  /// Where the shared files live: shared_dir, else data_dir.
  const std::filesystem::path& storage_dir() const {
    return shared_dir.empty() ? data_dir : shared_dir;
  }
  /// Whether instances share storage: then any of them takes over the
  /// builds of one that died.
  bool shares_storage() const { return !shared_dir.empty(); }
  /// Whether browsers reach ORSA over TLS (public_url is https).
  bool tls() const { return public_url.starts_with("https://"); }
};

/// Parses the command line and ORSA_* environment. Returns kInvalidArgument
/// naming the bad flag; `--help` output is written to stdout and reported as
/// an error with an empty message so the caller exits 0.
Result<Config> parse_config(int argc, const char* const* argv);

/// orsa-builder beside the running executable, or in the build tree's
/// apps/orsa-builder/ when the deployer runs from apps/orsa-deployer/.
std::filesystem::path default_builder_bin();

/// The first web/dist found in the executable's directory or an ancestor of
/// it (the source tree when run from build/<preset>/apps/orsa-deployer/), else
/// web/dist beside the executable.
std::filesystem::path default_web_dir();

/// "12h", "30m", "90s" or a plain number of seconds.
Result<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace orsa::deployer
