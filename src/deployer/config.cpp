#include "deployer/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "http/trusted_proxies.hpp"
#include "sign_in_config.hpp"

namespace orsa::deployer {
namespace {

Result<void> parse_host_port(std::string_view flag, const std::string& listen, std::string& host,
                             std::uint16_t& port_out) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return fail(
        Error::invalid_argument(std::string(flag) + " must be HOST:PORT, got '" + listen + "'"));
  }
  unsigned port = 0;
  const std::string_view port_text = std::string_view(listen).substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return fail(
        Error::invalid_argument(std::string(flag) + " port must be 0-65535, got '" + listen + "'"));
  }
  host = listen.substr(0, colon);
  port_out = static_cast<std::uint16_t>(port);
  return {};
}

Result<void> check_public_urls(const Config& config) {
  const auto& url = config.public_url;
  if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
    return fail(Error::invalid_argument("--public-url must start with http:// or https://"));
  }
  if (!url.empty() && url.find('/', url.find("//") + 2) != std::string::npos) {
    return fail(
        Error::invalid_argument("--public-url is an origin: scheme://host[:port], no path"));
  }
  const auto& domain = config.services_domain;
  const bool bad_char = std::ranges::any_of(domain, [](char c) {
    return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':');
  });
  if (bad_char || domain.starts_with('.') || domain.ends_with('.')) {
    return fail(Error::invalid_argument(
        "--services-domain must be a lowercase host name (optionally :port), got '" + domain +
        "'"));
  }
  return {};
}

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// The collector's flags as given, checked after parsing.
struct GcFlags {
  std::string interval = "1h";
  std::string image_age = "7d";
  std::string idle = "24h";
  std::string pause_idle = "10m";
};

void add_gc_options(CLI::App& app, GcFlags& flags, Config& config) {
  app.add_option("--gc-interval", flags.interval, "Time between collector runs (e.g. 1h; 0: never)")
      ->envname("ORSA_GC_INTERVAL");
  app.add_option("--gc-image-age", flags.image_age, "Unused images older than this may go (7d)")
      ->envname("ORSA_GC_IMAGE_AGE");
  app.add_option("--gc-keep", config.gc_keep, "Newest images the collector keeps per project")
      ->envname("ORSA_GC_KEEP")
      ->check(CLI::Range(0, 1000));
  app.add_option("--gc-idle", flags.idle, "Stop deployments without a request for this long (24h)")
      ->envname("ORSA_GC_IDLE");
  app.add_option("--pause-idle", flags.pause_idle,
                 "Pause (freeze, memory kept) deployments without a request for this long; "
                 "the next request thaws them in milliseconds (10m; 0: never)")
      ->envname("ORSA_PAUSE_IDLE");
}

Result<void> apply_gc_flags(const GcFlags& flags, Config& config) {
  auto interval = flags.interval == "0" ? Result<std::chrono::seconds>(std::chrono::seconds(0))
                                        : parse_duration(flags.interval);
  if (!interval) return fail(Error::invalid_argument("--gc-interval: " + interval.error().message));
  auto age = parse_duration(flags.image_age);
  if (!age) return fail(Error::invalid_argument("--gc-image-age: " + age.error().message));
  auto idle = parse_duration(flags.idle);
  if (!idle) return fail(Error::invalid_argument("--gc-idle: " + idle.error().message));
  config.gc_interval = *interval;
  config.gc_image_age = *age;
  config.gc_idle = *idle;
  auto pause = flags.pause_idle == "0" ? Result<std::chrono::seconds>(std::chrono::seconds(0))
                                       : parse_duration(flags.pause_idle);
  if (!pause) return fail(Error::invalid_argument("--pause-idle: " + pause.error().message));
  config.pause_idle = *pause;
  return {};
}

// The runs' queue, limits and retention, as given (durations checked after parsing).
struct RunFlags {
  std::string retention = "30d";
  std::string max_time = "6h";
  std::string usage_flush = "10s";
  std::string usage_retention = "400d";
};

void add_run_options(CLI::App& app, RunFlags& flags, Config& config) {
  app.add_option("--max-concurrent-runs", config.max_concurrent_runs,
                 "Runs executing at once (0: the number of cores)")
      ->envname("ORSA_MAX_CONCURRENT_RUNS")
      ->check(CLI::Range(0, 1024));
  app.add_option("--max-runs-per-user", config.max_runs_per_user, "Runs one user executes at once")
      ->envname("ORSA_MAX_RUNS_PER_USER")
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-queued-runs-per-user", config.max_queued_runs_per_user,
                 "Runs one user may have waiting (more: 429)")
      ->envname("ORSA_MAX_QUEUED_RUNS_PER_USER")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--runs-retention", flags.retention, "Ended runs are deleted after this (30d)")
      ->envname("ORSA_RUNS_RETENTION");
  app.add_option("--max-run-input-mb", config.max_run_input_mb, "Largest run input, in MiB")
      ->envname("ORSA_MAX_RUN_INPUT_MB")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4096}));
  app.add_option("--max-run-result-mb", config.max_run_result_mb, "Largest run result, in MiB")
      ->envname("ORSA_MAX_RUN_RESULT_MB")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{16384}));
  app.add_option("--runs-quota-mb", config.runs_quota_mb,
                 "Inputs, results and logs one user's runs may hold, in MiB (0: unlimited)")
      ->envname("ORSA_RUNS_QUOTA_MB")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--max-run-time", flags.max_time, "Largest time limit a run may ask (6h)")
      ->envname("ORSA_MAX_RUN_TIME");
  app.add_option("--usage-flush-interval", flags.usage_flush,
                 "Metered usage is written this often; a crash loses at most this much (10s)")
      ->envname("ORSA_USAGE_FLUSH_INTERVAL");
  app.add_option("--usage-retention", flags.usage_retention,
                 "Hourly usage rows are deleted after this (400d)")
      ->envname("ORSA_USAGE_RETENTION");
}

Result<void> apply_run_flags(const RunFlags& flags, Config& config) {
  auto retention = parse_duration(flags.retention);
  if (!retention || retention->count() == 0) {
    return fail(Error::invalid_argument("--runs-retention must be a duration above 0"));
  }
  auto max_time = parse_duration(flags.max_time);
  if (!max_time || max_time->count() == 0 || *max_time > std::chrono::hours(24 * 7)) {
    return fail(Error::invalid_argument("--max-run-time must be a duration from 1s to 7d"));
  }
  auto flush = parse_duration(flags.usage_flush);
  if (!flush || flush->count() == 0 || *flush > std::chrono::hours(1)) {
    return fail(Error::invalid_argument("--usage-flush-interval must be a duration from 1s to 1h"));
  }
  auto usage_retention = parse_duration(flags.usage_retention);
  if (!usage_retention || *usage_retention < std::chrono::hours(24)) {
    return fail(Error::invalid_argument("--usage-retention must be a duration of 1d or more"));
  }
  config.runs_retention = *retention;
  config.max_run_time = *max_time;
  config.usage_flush_interval = *flush;
  config.usage_retention = *usage_retention;
  return {};
}

// The registry's tenancy limits.
void add_registry_options(CLI::App& app, std::string& idle, Config& config) {
  app.add_option("--registry-quota-mb", config.registry_quota_mb,
                 "Registry storage per user namespace, in MiB (0: unlimited)")
      ->envname("ORSA_REGISTRY_QUOTA_MB")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--repository-quota-mb", config.repository_quota_mb,
                 "Disk space of one user's project repositories, history included, in MiB "
                 "(0: unlimited)")
      ->envname("ORSA_REPOSITORY_QUOTA_MB")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--max-uploads-per-user", config.max_uploads_per_user,
                 "Open registry upload sessions per user")
      ->envname("ORSA_MAX_UPLOADS_PER_USER")
      ->check(CLI::Range(1, 1024));
  app.add_option("--upload-idle-timeout", idle,
                 "An untouched registry upload session is dropped after this (e.g. 1h)")
      ->envname("ORSA_UPLOAD_IDLE_TIMEOUT");
}

}  // namespace

std::size_t Config::effective_max_concurrent_runs() const {
  if (max_concurrent_runs > 0) return max_concurrent_runs;
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

/// Absolute, without "." or ".." or a trailing slash: comparable.
std::filesystem::path normal_path(const std::filesystem::path& path) {
  auto normal = std::filesystem::absolute(path).lexically_normal();
  if (!normal.has_filename() && normal != normal.root_path()) normal = normal.parent_path();
  return normal;
}

}  // namespace

std::string Config::effective_database_url() const {
  if (!database_url.empty()) return database_url;
  return "sqlite:" + (data_dir / "orsa.db").string();
}

std::filesystem::path default_builder_bin() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto dir = ec ? std::filesystem::current_path(ec) : self.parent_path();
  auto beside = dir / "orsa-builder";
  auto in_tree = dir.parent_path() / "orsa-builder" / "orsa-builder";
  if (!std::filesystem::exists(beside, ec) && std::filesystem::exists(in_tree, ec)) return in_tree;
  return beside;
}

std::filesystem::path default_web_dir() {
  // Deep enough to reach the source root from build/<preset>/apps/orsa-deployer/.
  constexpr int kLevels = 5;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto dir = ec ? std::filesystem::current_path(ec) : self.parent_path();
  auto at = dir;
  for (int i = 0; i < kLevels && !at.empty(); ++i, at = at.parent_path()) {
    if (std::filesystem::is_directory(at / "web" / "dist", ec)) return at / "web" / "dist";
    if (at == at.root_path()) break;
  }
  return dir / "web" / "dist";
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, text.data() + text.size());
  long long scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (ec != std::errc() || end == text.data() || scale == 0 || value <= 0) {
    return fail(Error::invalid_argument("duration must look like 90s, 30m, 12h or 7d, got '" +
                                        std::string(text) + "'"));
  }
  return std::chrono::seconds(value * scale);
}

Result<Config> parse_config(int argc, const char* const* argv) {
  Config config;
  CLI::App app{"orsa-deployer: the ORSA control plane"};
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = config.data_dir.string();
  std::string registration = "open";
  std::string session_ttl = "12h";
  std::string ready_file;
  std::string builder_bin, build_timeout = "10m", templates_dir;
  app.add_option("--listen", listen, "HOST:PORT to serve on (port 0 picks one)")
      ->envname("ORSA_LISTEN");
  std::string services_listen = "127.0.0.1:8081";
  app.add_option("--services-listen", services_listen,
                 "HOST:PORT deployed services are served on, never ORSA's own (port 0 picks one)")
      ->envname("ORSA_SERVICES_LISTEN");
  app.add_option("--services-domain", config.services_domain,
                 "Serve each service on its own host <project>--<owner>.DOMAIN (wildcard DNS)")
      ->envname("ORSA_SERVICES_DOMAIN");
  app.add_option("--public-url", config.public_url,
                 "ORSA's origin as browsers see it (https://… turns on Secure cookies and HSTS)")
      ->envname("ORSA_PUBLIC_URL");
  app.add_option("--data-dir", data_dir, "Directory for the database, repositories and keys")
      ->envname("ORSA_DATA_DIR");
  app.add_option("--database", config.database_url, "sqlite:PATH or postgresql://… URL")
      ->envname("ORSA_DATABASE_URL");
  std::string shared_dir;
  app.add_option("--shared-dir", shared_dir,
                 "Directory every instance on the database shares (repositories, registry, keys, "
                 "build logs, run data); the data dir keeps this instance's own files")
      ->envname("ORSA_SHARED_DIR");
  std::string database_wait;
  app.add_option("--database-wait", database_wait,
                 "Wait this long for a database that refuses connections at start (e.g. 60s)")
      ->envname("ORSA_DATABASE_WAIT");
  app.add_option("--registration", registration, "open: anyone may register; closed: admins only")
      ->envname("ORSA_REGISTRATION")
      ->check(CLI::IsMember({"open", "closed"}));
  app.add_option("--session-ttl", session_ttl, "Lifetime of login sessions (e.g. 12h)")
      ->envname("ORSA_SESSION_TTL");
  app.add_option("--log-level", config.log_level, "trace|debug|info|warn|error")
      ->envname("ORSA_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--workers", config.worker_threads, "Threads for blocking work (DB, git)")
      ->envname("ORSA_WORKERS")
      ->check(CLI::Range(1, 256));
  app.add_option("--max-connections", config.max_connections, "Open connection limit")
      ->envname("ORSA_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--trusted-proxies", config.trusted_proxies,
                 "CIDR ranges of reverse proxies whose X-Forwarded-For names the client")
      ->envname("ORSA_TRUSTED_PROXIES");
  app.add_option("--ready-file", ready_file, "Write the base URL here once serving");
  app.add_option("--builder-bin", builder_bin, "The orsa-builder executable")
      ->envname("ORSA_BUILDER_BIN");
  app.add_option("--base-image", config.base_image, "Base image of built services (repo:tag)")
      ->envname("ORSA_BASE_IMAGE");
  app.add_option("--max-builds", config.max_builds, "Builds running at once")
      ->envname("ORSA_MAX_BUILDS")
      ->check(CLI::Range(1, 64));
  app.add_option("--build-timeout", build_timeout, "Wall-clock limit of one build (e.g. 10m)")
      ->envname("ORSA_BUILD_TIMEOUT");
  app.add_option("--ensure-base", config.ensure_base,
                 "Build this base recipe (e.g. python-or) at start when it is missing")
      ->envname("ORSA_ENSURE_BASE");
  std::string web_dir;
  app.add_option("--web-dir", web_dir, "The built web app (default: web/dist near the executable)")
      ->envname("ORSA_WEB_DIR");
  std::string runtime_socket, health_timeout = "60s", max_service_timeout = "1h";
  app.add_option("--runtime-socket", runtime_socket,
                 "Docker Engine API socket (podman or dockerd); default: start podman here")
      ->envname("ORSA_RUNTIME_SOCKET");
  app.add_option("--runtime", config.runtime_kind,
                 "docker-api (podman or dockerd, default), swarm (the --runtime-socket of a "
                 "swarm manager: deployments are services spread over its nodes) or kubernetes "
                 "(Deployments in a cluster: --kubeconfig, or the pod's service account)")
      ->check(CLI::IsMember({"docker-api", "swarm", "kubernetes"}))
      ->envname("ORSA_RUNTIME");
  std::string kubeconfig;
  app.add_option("--kubeconfig", kubeconfig,
                 "Kubernetes cluster and credential for --runtime kubernetes (token or client "
                 "certificate; no exec plugins); default: the pod's service account")
      ->envname("ORSA_KUBECONFIG");
  app.add_option("--kube-context", config.kube_context,
                 "Context of --kubeconfig (default: its current-context)")
      ->envname("ORSA_KUBE_CONTEXT");
  app.add_option("--kube-namespace", config.kube_namespace,
                 "Namespace of the workloads (default: the context's, else orsa-workloads); it "
                 "must exist")
      ->envname("ORSA_KUBE_NAMESPACE");
  app.add_option("--replicas", config.replicas,
                 "Replicas of a deployment that asks for none, on a runtime that runs several "
                 "(swarm, kubernetes); 1-16")
      ->check(CLI::Range(1, 16))
      ->envname("ORSA_REPLICAS");
  app.add_option("--max-replicas", config.max_replicas,
                 "Most replicas a deployment may ask for (swarm, kubernetes); 1-16")
      ->check(CLI::Range(1, 16))
      ->envname("ORSA_MAX_REPLICAS");
  std::string jobs_listen;
  app.add_option("--jobs-listen", jobs_listen,
                 "HOST:PORT of the jobs listener, where runs on --runtime kubernetes or swarm "
                 "fetch their input and upload their result with a token for their run alone "
                 "(default: none; runs then stay queued there)")
      ->envname("ORSA_JOBS_LISTEN");
  app.add_option("--jobs-url", config.jobs_url,
                 "The jobs listener's URL as the jobs reach it (default: http://<--jobs-listen>)")
      ->envname("ORSA_JOBS_URL");
  app.add_option("--instance-id", config.instance_id,
                 "This instance's name among several orsa-deployer on one database (default: "
                 "made once and kept in the data dir)")
      ->envname("ORSA_INSTANCE_ID");
  app.add_option("--runtime-attach", config.runtime_attach,
                 "This process's own container (name, id, or self: the one named by the host "
                 "name), which joins each deployment network; for ORSA in a container")
      ->envname("ORSA_RUNTIME_ATTACH");
  app.add_flag("--no-runtime", config.no_runtime,
               "Serve without a container runtime (deploying answers 503)")
      ->envname("ORSA_NO_RUNTIME");
  app.add_flag("--prefetch-images,!--no-prefetch-images", config.prefetch_images,
               "Pull the base and each built image into the runtime ahead of deploys (default on)")
      ->envname("ORSA_PREFETCH_IMAGES");
  app.add_option("--prefetch-min-free-mb", config.prefetch_min_free_mb,
                 "Prefetch only while the data dir's disk has this much free (default 2048)")
      ->envname("ORSA_PREFETCH_MIN_FREE_MB")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--podman-bin", config.podman_bin, "podman, started when no socket is given")
      ->envname("ORSA_PODMAN_BIN");
  app.add_option("--container-userns", config.container_userns,
                 "User namespace of deployed containers: auto (each its own; needs "
                 "\"containers\" ranges in /etc/subuid and /etc/subgid) or host")
      ->envname("ORSA_CONTAINER_USERNS")
      ->check(CLI::IsMember({"auto", "host"}));
  app.add_option("--max-memory-mb", config.max_memory_mb, "Largest memory a deployment may ask")
      ->envname("ORSA_MAX_MEMORY_MB")
      ->check(CLI::Range(64, 1'048'576));
  app.add_option("--max-cpus", config.max_cpus, "Most CPUs a deployment may ask")
      ->envname("ORSA_MAX_CPUS")
      ->check(CLI::Range(0.1, 256.0));
  app.add_option("--max-service-timeout", max_service_timeout,
                 "Longest [service] timeout a project's orsa.toml may ask for one call (e.g. 1h)")
      ->envname("ORSA_MAX_SERVICE_TIMEOUT");
  app.add_option("--health-timeout", health_timeout,
                 "Time a new container has to answer /healthz (e.g. 60s)")
      ->envname("ORSA_HEALTH_TIMEOUT");
  app.add_option("--templates-dir", templates_dir,
                 "Service templates (python-flask/…) instead of the embedded ones")
      ->envname("ORSA_TEMPLATES_DIR");
  GcFlags gc;
  add_gc_options(app, gc, config);
  std::string upload_idle = "1h";
  add_registry_options(app, upload_idle, config);
  CheckCommand check;
  bool no_verify = false;
  auto* check_cmd = app.add_subcommand(
      "check",
      "Check the data dir, database, registry store and runtime for what a crash left (takes the "
      "server's flags: --data-dir, --database, --runtime-socket, --no-runtime, "
      "--upload-idle-timeout); exit 0 clean, 1 findings remain, 2 error");
  check_cmd->fallthrough();  // the server's flags name what to check
  check_cmd->add_flag("--repair", check.repair,
                      "Fix what is safe (needs the data dir free of a running server)");
  check_cmd->add_flag("--json", check.json, "Print the report as JSON");
  check_cmd->add_flag("--no-verify", no_verify, "Do not hash every blob (sizes only)");
  RunFlags runs;
  add_run_options(app, runs, config);
  SignInFlags sign_in;
  add_sign_in_options(app, sign_in);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return fail(Error::invalid_argument(""));
  } catch (const CLI::ParseError& e) {
    return fail(Error::invalid_argument(e.what()));
  }
  if (auto ok = parse_host_port("--listen", listen, config.listen_host, config.listen_port); !ok) {
    return fail(ok.error());
  }
  if (auto ok = parse_host_port("--services-listen", services_listen, config.services_listen_host,
                                config.services_listen_port);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = check_public_urls(config); !ok) return fail(ok.error());
  auto ttl = parse_duration(session_ttl);
  if (!ttl) return fail(Error::invalid_argument("--session-ttl: " + ttl.error().message));
  config.session_ttl = *ttl;
  config.data_dir = data_dir;
  if (!shared_dir.empty()) {
    config.shared_dir = normal_path(shared_dir);
    const auto own = normal_path(config.data_dir);
    if (config.shared_dir == own)
      return fail(Error::invalid_argument("--shared-dir must not be the --data-dir"));
    // SQLite is one file of one instance; shared storage is for several.
    if (!config.database_url.starts_with("postgresql://") &&
        !config.database_url.starts_with("postgres://")) {
      return fail(Error::invalid_argument("--shared-dir needs a PostgreSQL --database"));
    }
  }
  auto timeout = parse_duration(build_timeout);
  if (!timeout || *timeout > std::chrono::hours(1)) {
    return fail(Error::invalid_argument("--build-timeout must be a duration of at most 1h"));
  }
  config.build_timeout = *timeout;
  // Absolute: builders are started with their own working directory.
  config.builder_bin =
      builder_bin.empty() ? default_builder_bin() : std::filesystem::absolute(builder_bin);
  if (!templates_dir.empty()) config.templates_dir = templates_dir;
  if (!runtime_socket.empty()) config.runtime_socket = runtime_socket;
  if (config.runtime_kind == "swarm" && !config.runtime_socket) {
    return fail(Error::invalid_argument("--runtime swarm needs the manager's --runtime-socket"));
  }
  if (!kubeconfig.empty()) config.kubeconfig = std::filesystem::absolute(kubeconfig);
  const bool kube = config.runtime_kind == "kubernetes";
  if (!kube &&
      (config.kubeconfig || !config.kube_context.empty() || !config.kube_namespace.empty())) {
    return fail(Error::invalid_argument(
        "--kubeconfig, --kube-context and --kube-namespace need --runtime kubernetes"));
  }
  if (kube && config.runtime_socket) {
    return fail(Error::invalid_argument("--runtime kubernetes takes no --runtime-socket"));
  }
  if (!jobs_listen.empty()) {
    if (!kube && config.runtime_kind != "swarm") {
      return fail(Error::invalid_argument(
          "--jobs-listen is for a runtime whose jobs run on other machines (kubernetes, swarm)"));
    }
    if (auto ok = parse_host_port("--jobs-listen", jobs_listen, config.jobs_listen_host,
                                  config.jobs_listen_port);
        !ok) {
      return fail(ok.error());
    }
  }
  if (!config.jobs_url.empty()) {
    if (jobs_listen.empty()) return fail(Error::invalid_argument("--jobs-url needs --jobs-listen"));
    if (!config.jobs_url.starts_with("http://") && !config.jobs_url.starts_with("https://")) {
      return fail(Error::invalid_argument("--jobs-url must be an http:// or https:// URL"));
    }
    while (config.jobs_url.ends_with('/')) config.jobs_url.pop_back();
  }
  if (config.replicas > 1 && config.runtime_kind == "docker-api") {
    return fail(Error::invalid_argument("--replicas above 1 needs --runtime swarm or kubernetes"));
  }
  if (config.replicas > config.max_replicas) {
    return fail(Error::invalid_argument("--replicas may not exceed --max-replicas"));
  }
  if (!database_wait.empty()) {
    auto wait = parse_duration(database_wait);
    if (!wait || *wait > std::chrono::minutes(30)) {
      return fail(Error::invalid_argument("--database-wait must be a duration of at most 30m"));
    }
    config.database_wait = *wait;
  }
  auto health = parse_duration(health_timeout);
  if (!health || *health > std::chrono::minutes(30)) {
    return fail(Error::invalid_argument("--health-timeout must be a duration of at most 30m"));
  }
  config.health_timeout = *health;
  auto service_timeout = parse_duration(max_service_timeout);
  if (!service_timeout || *service_timeout < std::chrono::seconds(1) ||
      *service_timeout > std::chrono::hours(24)) {
    return fail(Error::invalid_argument("--max-service-timeout must be a duration from 1s to 24h"));
  }
  config.max_service_timeout = *service_timeout;
  config.web_dir = web_dir.empty() ? default_web_dir() : std::filesystem::path(web_dir);
  config.registration = registration == "closed" ? Registration::kClosed : Registration::kOpen;
  if (!ready_file.empty()) config.ready_file = ready_file;
  if (auto ok = http::TrustedProxies::parse(config.trusted_proxies); !ok) return fail(ok.error());
  if (auto ok = apply_gc_flags(gc, config); !ok) return fail(ok.error());
  if (auto ok = apply_run_flags(runs, config); !ok) return fail(ok.error());
  auto upload_idle_timeout = parse_duration(upload_idle);
  if (!upload_idle_timeout) {
    return fail(
        Error::invalid_argument("--upload-idle-timeout: " + upload_idle_timeout.error().message));
  }
  config.upload_idle_timeout = *upload_idle_timeout;
  auto providers = identity_providers(sign_in);
  if (!providers) return fail(providers.error());
  config.identity_providers = std::move(*providers);
  if (check_cmd->parsed()) {
    check.verify_content = !no_verify;
    config.check = check;
  }
  if (auto v = env("ORSA_ADMIN_USERNAME")) config.admin_username = *v;
  if (auto v = env("ORSA_ADMIN_EMAIL")) config.admin_email = *v;
  config.admin_password = env("ORSA_ADMIN_PASSWORD");
  return config;
}

}  // namespace orsa::deployer
