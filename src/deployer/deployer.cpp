#include "deployer/deployer.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stop_token>
#include <thread>
#include <tuple>

#include "api/api.hpp"
#include "api/job_files_api.hpp"
#include "api/request_auth.hpp"
#include "api/service_gate.hpp"
#include "api/static_site.hpp"
#include "auth/credentials.hpp"
#include "auth/hash_gate.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/work_queue.hpp"
#include "data_dir_lock.hpp"
#include "gateway/gateway.hpp"
#include "gateway/route_table.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "instance_id.hpp"
#include "metering.hpp"
#include "oci/blob_store.hpp"
#include "oci/registry.hpp"
#include "provider_http.hpp"
#include "registry/registry_api.hpp"
#include "runs/run_data.hpp"
#include "runtime/docker_api_runtime.hpp"
#include "runtime/kubernetes_runtime.hpp"
#include "runtime/podman_service.hpp"
#include "runtime/swarm_runtime.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/builds.hpp"
#include "services/credential_directory.hpp"
#include "services/deployments.hpp"
#include "services/federated_login.hpp"
#include "services/images.hpp"
#include "services/projects.hpp"
#include "services/runs.hpp"
#include "services/system.hpp"
#include "source/repos.hpp"
#include "store/store.hpp"
#include "workers/base_bootstrap.hpp"
#include "workers/build_queue.hpp"
#include "workers/collector.hpp"
#include "workers/image_prefetch.hpp"
#include "workers/lease_keeper.hpp"
#include "workers/rollouts.hpp"
#include "workers/run_worker.hpp"
#include "workers/service_templates.hpp"

namespace orsa::deployer {

struct Deployer::Parts {
  std::optional<DataDirLock> lock;  // first: held until everything else is gone
  Config config;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  // Of several instances on one database, the one holding it runs the
  // reconciler's container changes and the periodic collector (ADR 0019).
  // Before what asks it, so it outlives them.
  std::unique_ptr<workers::LeaseKeeper> leader;
  std::unique_ptr<workers::LeaseKeeper> heartbeat;  // this instance lives (its builds are its own)
  std::unique_ptr<source::SourceRepos> repos;
  std::unique_ptr<auth::SessionSigner> signer;
  std::unique_ptr<auth::PushTokenSigner> push_signer;
  std::unique_ptr<auth::JobTokenSigner> job_signer;
  std::unique_ptr<auth::LoginRateLimiter> limiter;
  std::unique_ptr<services::Audit> audit;
  // Before what counts into it (runs, the gateway), so it outlives them.
  std::unique_ptr<services::UsageMeter> meter;  // counts in memory, flushed by usage_flusher
  std::unique_ptr<services::ConsumerKeys> consumer_keys;
  std::unique_ptr<BackgroundThread> usage_flusher;
  std::unique_ptr<services::Accounts> accounts;
  std::unique_ptr<services::StoreCredentialDirectory> directory;
  std::unique_ptr<auth::CredentialResolver> credentials;
  std::unique_ptr<services::ProviderHttp> provider_http;  // to the OpenID providers
  std::unique_ptr<services::FederatedLogin> federated;
  std::unique_ptr<services::Projects> projects;
  std::unique_ptr<services::System> system;
  std::unique_ptr<oci::BlobStore> blobs;
  std::unique_ptr<oci::Registry> registry;
  // Outlives the build queue and the bootstrap, which wait on and open it.
  workers::BaseGate base_gate;  // closed while --ensure-base builds the base
  std::unique_ptr<workers::BuildQueue> build_queue;
  std::unique_ptr<services::Builds> builds;
  std::unique_ptr<services::Images> images;
  std::unique_ptr<workers::Collector> collector;  // deployment hooks: set_deployment_hooks()
  std::unique_ptr<workers::BaseBootstrap> base_bootstrap;  // only with --ensure-base
  // Declared before what uses them: members are destroyed in reverse order.
  gateway::RouteTable routes;
  api::ServiceAddress service_address;                  // read by the /s/ redirect and the API
  std::unique_ptr<runtime::PodmanService> podman;       // only without --runtime-socket
  std::unique_ptr<BackgroundThread> podman_supervisor;  // restarts it when it dies
  std::unique_ptr<runtime::Runtime> runtime;
  std::unique_ptr<workers::ImagePrefetch> prefetch;  // pulls through the runtime
  std::unique_ptr<workers::Rollouts> rollouts;
  std::unique_ptr<services::Deployments> deployments;
  std::unique_ptr<runs::RunData> run_data;
  std::unique_ptr<workers::RunWorker> run_worker;  // started with the runtime
  std::unique_ptr<services::Runs> runs;
  std::unique_ptr<gateway::Gateway> gateway;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<api::ApiContext> api;
  std::unique_ptr<registry::RegistryContext> registry_api;
  std::unique_ptr<http::Server> server;
  // The services listener: the gateway alone, on another origin than ORSA's.
  http::Router services_router;  // empty: every path is the gateway's
  std::unique_ptr<http::Server> services_server;
  std::string services_listen_url;
  // The jobs listener (ADR 0021): a running job's own files, nothing else.
  http::Router jobs_router;
  std::unique_ptr<http::Server> jobs_server;
  std::string jobs_url;         // as the jobs reach it
  std::uint16_t jobs_port = 0;  // the bound port (--jobs-listen may say 0)
  std::optional<std::string> generated_admin_password;
};

namespace {

constexpr int kAddressFailures = 20;
constexpr std::chrono::seconds kAddressWindow = std::chrono::minutes(5);

std::filesystem::path spool_dir(const std::filesystem::path& data_dir) {
  return data_dir / "spool";
}

// A job's work_dir is <run work root>/<run id>: the jobs listener serves it.
std::filesystem::path run_work_root(const Config& config) {
  return config.data_dir / "runs" / "work";
}

// Per-namespace registry quotas; the reserved namespace of base images has none.
oci::QuotaLookup registry_quota(const Config& config) {
  if (config.registry_quota_mb <= 0) return {};
  const std::int64_t bytes = config.registry_quota_mb * 1024 * 1024;
  return [bytes](std::string_view owner) -> std::optional<std::int64_t> {
    if (owner == auth::kReservedNamespace) return std::nullopt;
    return bytes;
  };
}

Result<void> prepare_data_dir(const Config& config) {
  const auto& dir = config.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(config.storage_dir() / "repos", ec);
  if (!ec) std::filesystem::create_directories(spool_dir(dir), ec);
  if (ec) {
    return fail(
        Error::unavailable("cannot create data directory " + dir.string() + ": " + ec.message()));
  }
  // Request bodies spooled by a previous process were never handled.
  for (const auto& entry : std::filesystem::directory_iterator(spool_dir(dir), ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  // They hold the signing key and password hashes: owner only.
  ::chmod(dir.c_str(), 0700);
  ::chmod(config.storage_dir().c_str(), 0700);
  return {};
}

// Unlinks an image's tag, and its manifest when no other tag still names it.
Result<void> remove_image_tag(oci::BlobStore& blobs, const store::Image& image) {
  auto digest = oci::Digest::parse(image.digest);
  if (!digest) {
    auto ok = blobs.delete_tag(image.repository, image.tag);
    if (!ok && ok.error().code != ErrorCode::kNotFound) return ok;
    return {};
  }
  return oci::remove_tag_and_unshared_manifest(blobs, image.repository, image.tag, *digest);
}

// Each instance keeps a lease of its own while it runs (a heartbeat): the
// instance that claimed a build lives while its lease does (ADR 0019).
std::string heartbeat_lease(std::string_view instance) {
  return "instance/" + std::string(instance);
}

bool instance_alive(Deployer::Parts& p, const std::string& instance) {
  auto lease = p.store->leases().find(heartbeat_lease(instance));
  // Unknown: assume it lives rather than take over its work twice.
  if (!lease) return lease.error().code != ErrorCode::kNotFound;
  return lease->holder == instance && lease->expires_at > p.clock.now_unix();
}

Result<void> build_runs(Deployer::Parts& p) {
  auto data = runs::RunData::open(p.config.storage_dir() / "runs");
  if (!data) return fail(data.error());
  p.run_data = std::move(*data);
  const std::filesystem::path live_logs = p.config.storage_dir() / "runs" / "live";
  // Until the runtime is attached, runs wait queued.
  p.run_worker = std::make_unique<workers::RunWorker>(
      *p.store, *p.run_data, *p.accounts, p.clock,
      workers::RunWorkerOptions{
          .work_root = run_work_root(p.config),
          .live_log_dir = live_logs,
          .limits = {.max_concurrent = p.config.effective_max_concurrent_runs(),
                     .max_per_user = p.config.max_runs_per_user},
          .max_result_bytes = p.config.max_run_result_mb * runs::kMiB,
          .instance_id = p.leader->holder(),
          .runner_alive = [&p](const std::string& runner) { return instance_alive(p, runner); },
          .take_over_others = p.config.shares_storage()});
  services::RunOptions options;
  options.live_log_dir = live_logs;
  options.max_time_limit_s = p.config.max_run_time.count();
  options.default_time_limit_s = std::min(options.default_time_limit_s, options.max_time_limit_s);
  options.retention = p.config.runs_retention;
  options.data = {.max_input_bytes = p.config.max_run_input_mb * runs::kMiB,
                  .max_result_bytes = p.config.max_run_result_mb * runs::kMiB};
  options.admission.max_queued_per_user = p.config.max_queued_runs_per_user;
  options.max_data_bytes_per_user = p.config.runs_quota_mb * runs::kMiB;
  options.max_memory_mb = p.config.max_memory_mb;
  options.max_cpu_millis = static_cast<std::int64_t>(p.config.max_cpus * 1000);
  options.default_memory_mb = std::min(options.default_memory_mb, options.max_memory_mb);
  options.default_cpu_millis = std::min(options.default_cpu_millis, options.max_cpu_millis);
  p.runs = std::make_unique<services::Runs>(
      services::RunTables{p.store->runs(), p.store->projects(), p.store->images(),
                          p.store->deployments()},
      *p.repos, *p.run_data, p.clock, *p.run_worker, options, p.meter.get());
  p.collector->set_run_retention([&p]() -> Result<void> {
    auto collected = p.runs->collect();
    if (!collected) return fail(collected.error());
    if (collected->runs > 0 || collected->blobs > 0) {
      spdlog::info("collector: deleted {} runs past retention and {} run data files",
                   collected->runs, collected->blobs);
    }
    return collect_usage(p.store->usage(), p.clock, p.config.usage_retention);
  });
  // A project's run data goes with it: read what its runs hold while they
  // exist, release it once the cascade has deleted them.
  p.projects->set_removal_hook([&runs = *p.runs](const store::Project& project) {
    auto digests = runs.project_data(project.id);
    return std::function<void()>([&runs, digests = digests.value_or(std::vector<std::string>{})] {
      if (auto released = runs.release_data(digests); !released) {
        // The collector's sweep removes what is left.
        spdlog::warn("cannot release the run data of a deleted project: {}",
                     released.error().message);
      }
    });
  });
  return {};
}

Result<void> build_queue(Deployer::Parts& p) {
  auto templates = p.config.templates_dir
                       ? Result<std::filesystem::path>(*p.config.templates_dir)
                       : workers::install_service_templates(p.config.data_dir / "templates");
  if (!templates) return fail(templates.error());
  workers::BuildQueueOptions options{
      .data_dir = p.config.storage_dir(),
      .builder_bin = p.config.builder_bin,
      .template_dir = *templates / "python-flask",
      .base_image = p.config.base_image,
      .max_concurrent = p.config.max_builds,
      .timeout = p.config.build_timeout,
      .base_gate = &p.base_gate,
      .discard_push =
          [&blobs = *p.blobs](const std::string& repo, const std::string& tag) {
            auto digest = blobs.resolve_tag(repo, tag);
            if (!digest) return;  // nothing was pushed
            // A leftover is swept by `orsa-deployer check`.
            std::ignore = oci::remove_tag_and_unshared_manifest(blobs, repo, tag, *digest);
          },
      .on_image =
          [&p](const store::Image& image) {
            if (p.prefetch) p.prefetch->prefetch(image);
          },
      .instance_id = p.leader->holder(),
      .runner_alive = [&p](const std::string& runner) { return instance_alive(p, runner); },
      .take_over_others = p.config.shares_storage()};
  p.build_queue = std::make_unique<workers::BuildQueue>(*p.store, *p.repos, *p.accounts, p.clock,
                                                        std::move(options));
  if (p.config.prefetch_images) {
    p.prefetch = std::make_unique<workers::ImagePrefetch>(
        *p.accounts,
        workers::ImagePrefetchOptions{
            .store_dir = p.config.data_dir,
            .min_free_bytes = static_cast<std::uint64_t>(p.config.prefetch_min_free_mb) << 20,
            // Only a base this process makes is known to be there.
            .base_image = p.config.ensure_base.empty() ? std::string() : p.config.base_image,
            .base_gate = &p.base_gate});
  }
  p.builds = std::make_unique<services::Builds>(p.store->builds(), p.store->projects(), *p.repos,
                                                p.clock, *p.build_queue, *p.audit);
  p.images = std::make_unique<services::Images>(
      p.store->images(), p.store->projects(), p.store->deployments(),
      [&blobs = *p.blobs](const store::Image& image) { return remove_image_tag(blobs, image); });
  p.collector = std::make_unique<workers::Collector>(
      *p.store, *p.images, *p.blobs, *p.audit, p.clock,
      workers::CollectorOptions{.interval = p.config.gc_interval,
                                .image_age = p.config.gc_image_age,
                                .keep = p.config.gc_keep,
                                .idle = p.config.gc_idle});
  const services::DeploymentOptions deployment_options{
      .max_memory_mb = p.config.max_memory_mb,
      .max_cpu_millis = static_cast<std::int64_t>(p.config.max_cpus * 1000),
      .max_timeout_s = p.config.max_service_timeout.count(),
      .health_timeout = p.config.health_timeout,
      .pause_idle = p.config.pause_idle,
      .replicas = p.config.replicas,
      .max_replicas = p.config.max_replicas};
  p.rollouts = std::make_unique<workers::Rollouts>(*p.store, *p.accounts, p.routes, *p.audit,
                                                   p.clock, deployment_options);
  p.rollouts->set_leadership([&leader = *p.leader] { return leader.held(); });
  p.collector->set_leadership([&leader = *p.leader] { return leader.held(); });
  p.deployments = std::make_unique<services::Deployments>(
      p.store->deployments(), p.store->images(), p.store->projects(), *p.repos, p.routes, *p.audit,
      *p.rollouts, deployment_options);
  if (auto ok = build_runs(p); !ok) return fail(ok.error());
  p.collector->set_deployment_hooks(
      {.stop_idle = [&r = *p.rollouts](const store::Deployment& x) { return r.stop_idle(x); },
       .paused_memory =
           [&r = *p.rollouts](const store::Deployment& x) { return r.paused_memory(x); },
       .last_request_at =
           [&r = p.routes](const std::string& id) { return r.stats(id).last_request_at; }});
  if (!p.config.ensure_base.empty()) {
    p.base_bootstrap = std::make_unique<workers::BaseBootstrap>(
        *p.blobs, *p.store, *p.accounts, p.base_gate,
        workers::BaseBootstrapOptions{.name = p.config.ensure_base,
                                      .builder_bin = p.config.builder_bin,
                                      .bases_dir = *templates / "bases",
                                      .work_dir = p.config.data_dir / "builds" / "base-work",
                                      .admin_username = p.config.admin_username});
  }
  return {};
}

// A database started beside ORSA (the compose application) may not accept
// connections yet: a refused connection is tried again for --database-wait.
Result<std::unique_ptr<store::Store>> open_store_waiting(const Config& config, const Clock& clock) {
  const auto deadline = std::chrono::steady_clock::now() + config.database_wait;
  for (;;) {
    auto store = store::open_store(config.effective_database_url(), clock);
    if (store || store.error().code != ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return store;
    }
    spdlog::warn("{}; trying again", store.error().message);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

Result<void> build_services(Deployer::Parts& p) {
  auto store = open_store_waiting(p.config, p.clock);
  if (!store) return fail(store.error());
  p.store = std::move(*store);
  auto instance = instance_id(p.config.data_dir, p.config.instance_id);
  if (!instance) return fail(instance.error());
  p.heartbeat = std::make_unique<workers::LeaseKeeper>(p.store->leases(), p.clock,
                                                       heartbeat_lease(*instance), *instance);
  p.leader = std::make_unique<workers::LeaseKeeper>(p.store->leases(), p.clock, "leader",
                                                    std::move(*instance));
  p.repos = source::make_git_repos(p.config.storage_dir() / "repos");
  auto key = auth::SessionSigner::load_or_create_key(p.config.storage_dir() / "secret.key");
  if (!key) return fail(key.error());
  // One key per token type, derived from the one key file.
  p.push_signer =
      std::make_unique<auth::PushTokenSigner>(auth::derive_token_key(*key, "registry"), p.clock);
  p.job_signer =
      std::make_unique<auth::JobTokenSigner>(auth::derive_token_key(*key, "jobs"), p.clock);
  p.signer = std::make_unique<auth::SessionSigner>(auth::derive_token_key(*key, "session"),
                                                   p.config.session_ttl, p.clock);
  // Failed logins per client address: generous for people behind one NAT,
  // tight enough that random usernames cannot buy many argon2 runs.
  p.limiter = std::make_unique<auth::LoginRateLimiter>(p.clock, kAddressFailures, kAddressWindow);
  p.audit = std::make_unique<services::Audit>(p.store->audit(), p.clock);
  p.accounts = std::make_unique<services::Accounts>(
      services::AccountTables{.users = p.store->users(),
                              .sessions = p.store->sessions(),
                              .tokens = p.store->tokens(),
                              .projects = p.store->projects()},
      *p.signer, *p.push_signer, *p.limiter, *p.audit, p.clock, p.config.registration);
  p.directory = std::make_unique<services::StoreCredentialDirectory>(
      p.store->users(), p.store->tokens(), p.store->sessions());
  p.credentials = std::make_unique<auth::CredentialResolver>(
      *p.directory, *p.signer, *p.push_signer, p.clock,
      [&accounts = *p.accounts](std::string_view login, std::string_view password,
                                std::string_view ip) {
        return accounts.check_password(login, password, services::Caller{std::string(ip)});
      });
  p.projects = std::make_unique<services::Projects>(
      p.store->projects(), p.store->users(), *p.repos, *p.audit, p.clock,
      services::kDefaultMaxProjectsPerUser, p.config.repository_quota_mb * 1024 * 1024);
  // Also without providers: the identity routes then list none and start none.
  p.provider_http = std::make_unique<CurlProviderHttp>();
  // Without --public-url the callback base is known once the listener is bound.
  p.federated = std::make_unique<services::FederatedLogin>(
      p.config.identity_providers,
      services::FederatedTables{p.store->users(), p.store->identities()}, *p.provider_http,
      *p.signer, *p.audit, p.clock, p.config.registration, p.config.public_url);
  p.meter = std::make_unique<services::UsageMeter>(p.store->usage(), p.clock);
  p.consumer_keys = std::make_unique<services::ConsumerKeys>(
      p.store->consumer_keys(), p.store->projects(), *p.meter, *p.audit, p.clock);
  p.system = std::make_unique<services::System>([&store = *p.store] { return store.ping(); },
                                                p.store->audit());
  auto blobs = oci::BlobStore::open(p.config.storage_dir() / "registry",
                                    {.max_open_uploads_per_user = p.config.max_uploads_per_user,
                                     .upload_idle_timeout = p.config.upload_idle_timeout});
  if (!blobs) return fail(blobs.error());
  p.blobs = std::move(*blobs);
  p.registry = std::make_unique<oci::Registry>(*p.blobs, registry_quota(p.config));
  return build_queue(p);
}

/// "http://host:port" as a client on this machine reaches a listener.
std::string reachable_origin(const std::string& host, std::uint16_t port) {
  const std::string reachable = host == "0.0.0.0" || host.empty() ? "127.0.0.1"
                                : host == "::"                    ? "[::1]"
                                                                  : host;
  return "http://" + reachable + ":" + std::to_string(port);
}

/// The host name of a "host[:port]".
std::string host_part(const std::string& host_port) {
  return host_port.substr(0, host_port.find(':'));
}

// The gateway asks the control plane who may call a private deployment and
// to wake an idle one. It runs on its own listener: a service page never
// shares ORSA's origin.
Result<void> start_services(Deployer::Parts& p, const std::string& app_origin) {
  gateway::Hooks hooks{
      .admit =
          [&credentials = *p.credentials, keys = p.consumer_keys.get()](const gateway::Route& route,
                                                                        const http::Request& req) {
            return api::admit_service_call(credentials, keys, route, req);
          },
      .try_admit =
          [keys = p.consumer_keys.get()](const gateway::Route& route, const http::Request& req) {
            return api::try_admit_service_call(keys, route, req);
          },
      .wake = [&r = *p.rollouts](const gateway::Route& route) { r.wake(route.deployment_id); },
      .meter = [&meter = *p.meter](
                   const gateway::CallRecord& call) { api::meter_service_call(meter, call); }};
  gateway::Options options;
  options.services_domain = host_part(p.config.services_domain);
  options.app_origin = p.config.public_url.empty() ? app_origin : p.config.public_url;
  p.gateway = std::make_unique<gateway::Gateway>(p.routes, std::move(options), std::move(hooks));
  http::ServerOptions server_options;
  server_options.address = p.config.services_listen_host;
  server_options.port = p.config.services_listen_port;
  server_options.worker_threads = p.config.worker_threads;
  server_options.max_connections = p.config.max_connections;
  p.services_server = std::make_unique<http::Server>(server_options, p.services_router, p.metrics);
  p.gateway->mount(*p.services_server);
  auto port = p.services_server->start();
  if (!port) {
    return fail(Error::unavailable("cannot listen on " + p.config.services_listen_host + ":" +
                                   std::to_string(p.config.services_listen_port) +
                                   " for services: " + port.error().message));
  }
  p.services_listen_url = "http://" + p.config.services_listen_host + ":" + std::to_string(*port);
  gateway::ServiceUrls urls;
  if (p.config.services_domain.empty()) {
    urls.origin = reachable_origin(p.config.services_listen_host, *port);
  } else {
    urls.domain = p.config.services_domain;
    urls.scheme = p.config.tls() ? "https" : "http";
  }
  p.service_address.set(std::move(urls));
  return {};
}

// The base (pulled in the bootstrap admin's name) and each built image go
// into the runtime's store ahead of their first deploy.
void start_prefetch(Deployer::Parts& p, const std::string& registry_host) {
  if (!p.prefetch) return;
  if (auto admin = p.store->users().find_by_login(p.config.admin_username))
    p.prefetch->set_base_puller({admin->id, admin->username, admin->role});
  p.prefetch->start(*p.runtime, registry_host);
}

// Runs need the job half of the runtime port (and, on a runtime whose jobs
// run elsewhere, the jobs listener); without it they wait queued.
Result<void> start_runs(Deployer::Parts& p, const std::string& registry_host) {
  auto* jobs = dynamic_cast<runtime::JobRuntime*>(p.runtime.get());
  if (jobs == nullptr) {
    spdlog::warn("runs: the runtime cannot run jobs; runs stay queued");
    return {};
  }
  if (p.config.runtime_kind != "docker-api" && !p.jobs_server) {
    spdlog::warn("runs: jobs on {} need the jobs listener (--jobs-listen); runs stay queued",
                 p.config.runtime_kind);
    return {};
  }
  return p.run_worker->start(*p.runs, *p.runtime, *jobs, registry_host);
}

// A podman service that died (a crash, an OOM kill, an operator's kill) is
// started again within seconds: its containers keep serving through the
// gateway meanwhile, and rollouts, runs and restarts resume once it answers.
std::unique_ptr<BackgroundThread> supervise(runtime::PodmanService& podman) {
  static constexpr auto kCheckInterval = std::chrono::seconds(2);
  return std::make_unique<BackgroundThread>(
      "podman supervisor", [&podman](const std::stop_token& stop) {
        std::mutex mu;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
          {
            std::unique_lock lock(mu);
            wake.wait_for(lock, stop, kCheckInterval, [] { return false; });
          }
          if (stop.stop_requested()) return;
          if (auto restarted = podman.restart_if_exited(); !restarted) {
            spdlog::error("the podman service could not be started again: {}",
                          restarted.error().message);
          }
        }
      });
}

// --runtime-attach: "self" is the container this process runs in, whose host
// name is its id unless the operator named it otherwise.
Result<std::string> attach_container(const std::string& flag) {
  if (flag != "self") return flag;
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
    return fail(Error::unavailable("--runtime-attach self: cannot read the host name"));
  }
  return std::string(name.data());
}

// The jobs listener (ADR 0021), for a runtime whose jobs run on other
// machines: it serves each job its own files under the run work root.
Result<void> start_jobs_listener(Deployer::Parts& p) {
  if (p.config.jobs_listen_host.empty()) return {};
  const auto max_upload = static_cast<std::uint64_t>(p.config.max_run_result_mb + 1) * runs::kMiB;
  api::register_job_file_routes(
      p.jobs_router, *p.job_signer,
      {.work_root = run_work_root(p.config), .max_upload_bytes = max_upload});
  http::ServerOptions options;
  options.address = p.config.jobs_listen_host;
  options.port = p.config.jobs_listen_port;
  options.worker_threads = 2;
  options.max_connections = 256;
  options.spool_dir = spool_dir(p.config.data_dir);
  p.jobs_server = std::make_unique<http::Server>(options, p.jobs_router, p.metrics);
  auto port = p.jobs_server->start();
  if (!port) {
    return fail(Error::unavailable("cannot listen on " + p.config.jobs_listen_host + ":" +
                                   std::to_string(p.config.jobs_listen_port) +
                                   " for jobs: " + port.error().message));
  }
  p.jobs_port = *port;
  p.jobs_url = p.config.jobs_url.empty() ? reachable_origin(p.config.jobs_listen_host, *port)
                                         : p.config.jobs_url;
  return {};
}

// What a job is handed to reach its files: this listener's URL of it and a
// token for it alone; none without the listener.
runtime::JobFilesGrant job_files_grant(Deployer::Parts& p) {
  if (!p.jobs_server) return {};
  return [&p](const std::filesystem::path& work_dir, std::uint64_t max_output_bytes,
              std::chrono::seconds ttl) -> Result<runtime::JobFilesAccess> {
    if (work_dir.parent_path() != run_work_root(p.config)) {
      return fail(Error::invalid_argument("a job's files must be under the run work root"));
    }
    const std::string job = work_dir.filename().string();
    auto token = p.job_signer->issue(job, max_output_bytes, ttl);
    if (!token) return fail(token.error());
    return runtime::JobFilesAccess{.url = p.jobs_url + "/jobs/" + job, .token = std::move(*token)};
  };
}

// A cluster that does not answer, refuses the credential or lacks the
// namespace is reported at start, not at the first deploy.
Result<std::unique_ptr<runtime::Runtime>> kubernetes_runtime(Deployer::Parts& p) {
  const Config& config = p.config;
  auto access = config.kubeconfig
                    ? runtime::kubeconfig_access(*config.kubeconfig, config.kube_context)
                    : runtime::in_cluster_access();
  if (!access) return fail(access.error());
  std::string ns = config.kube_namespace;
  if (ns.empty()) ns = access->namespace_.empty() ? "orsa-workloads" : access->namespace_;
  auto kube = std::make_unique<runtime::KubernetesRuntime>(
      runtime::KubernetesOptions{.access = std::move(*access),
                                 .namespace_ = ns,
                                 .job_files = job_files_grant(p),
                                 .jobs_port = p.jobs_port});
  auto version = kube->version();
  if (!version) return fail(version.error());
  spdlog::info("runtime: Kubernetes {} at namespace {}", *version, ns);
  return std::unique_ptr<runtime::Runtime>(std::move(kube));
}

// The container runtime: one given ready-made, the given Docker API socket,
// or a private podman service under the data dir that may pull from this
// process's registry.
Result<void> attach_runtime(Deployer::Parts& p, const std::string& registry_host) {
  if (p.runtime) {
    p.rollouts->start(*p.runtime, {registry_host});
    start_prefetch(p, registry_host);
    return start_runs(p, registry_host);
  }
  if (p.config.runtime_kind == "swarm") {
    if (!p.config.runtime_socket) {
      return fail(Error::invalid_argument("--runtime swarm needs the manager's --runtime-socket"));
    }
    auto swarm = std::make_unique<runtime::SwarmRuntime>(runtime::SwarmOptions{
        .socket_path = p.config.runtime_socket->string(), .job_files = job_files_grant(p)});
    // A worker node or a lone engine cannot place services: say so at start.
    if (auto version = swarm->version(); !version) return fail(version.error());
    p.runtime = std::move(swarm);
    p.rollouts->start(*p.runtime, {registry_host});
    start_prefetch(p, registry_host);
    return start_runs(p, registry_host);
  }
  if (p.config.runtime_kind == "kubernetes") {
    auto kube = kubernetes_runtime(p);
    if (!kube) return fail(kube.error());
    p.runtime = std::move(*kube);
    p.rollouts->start(*p.runtime, {registry_host});
    return start_runs(p, registry_host);
  }
  std::string socket;
  if (p.config.runtime_socket) {
    socket = p.config.runtime_socket->string();
  } else {
    auto podman = runtime::PodmanService::start({.state_dir = p.config.data_dir / "podman",
                                                 .insecure_registries = {registry_host},
                                                 .podman_binary = p.config.podman_bin});
    if (!podman) return fail(podman.error());
    p.podman = std::move(*podman);
    socket = p.podman->socket_path();
    p.podman_supervisor = supervise(*p.podman);
  }
  auto attach = attach_container(p.config.runtime_attach);
  if (!attach) return fail(attach.error());
  // The private service's registries.conf already names ORSA's registry.
  std::vector<std::string> insecure;
  if (p.config.runtime_socket) insecure.push_back(registry_host);
  p.runtime = std::make_unique<runtime::DockerApiRuntime>(
      runtime::DockerApiOptions{.socket_path = socket,
                                .userns_mode = p.config.container_userns == "auto" ? "auto" : "",
                                .attach_container = *attach,
                                .insecure_registries = std::move(insecure)});
  p.rollouts->start(*p.runtime, {registry_host});
  start_prefetch(p, registry_host);
  return start_runs(p, registry_host);
}

}  // namespace

Result<std::unique_ptr<Deployer>> Deployer::create(const Config& config, Adapters adapters) {
  auto parts = std::make_unique<Parts>();
  parts->config = config;
  parts->runtime = std::move(adapters.runtime);
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  // Before anything in the data dir is touched: one server per data dir.
  auto lock = DataDirLock::acquire(config.data_dir);
  if (!lock) return fail(lock.error());
  parts->lock.emplace(std::move(*lock));
  if (auto ok = prepare_data_dir(config); !ok) return fail(ok.error());
  if (auto ok = build_services(*parts); !ok) return fail(ok.error());
  auto generated = parts->accounts->bootstrap_admin(config.admin_username, config.admin_email,
                                                    config.admin_password);
  if (!generated) return fail(generated.error());
  parts->generated_admin_password = std::move(*generated);

  parts->api = std::make_unique<api::ApiContext>(
      api::ApiContext{*parts->credentials, *parts->accounts, *parts->projects, *parts->system,
                      parts->metrics, *parts->registry, *parts->builds, *parts->images});
  parts->api->collector = parts->collector.get();
  parts->api->consumer_keys = parts->consumer_keys.get();
  parts->api->meter = parts->meter.get();
  parts->api->federated = parts->federated.get();
  parts->api->deployments = parts->deployments.get();
  parts->api->runs = parts->runs.get();
  parts->api->routes = &parts->routes;
  parts->api->services = &parts->service_address;
  parts->api->instance_id = parts->leader->holder();
  parts->api->leading = [&leader = *parts->leader] { return leader.held(); };
  api::register_routes(parts->router, *parts->api);
  parts->registry_api = std::make_unique<registry::RegistryContext>(
      registry::RegistryContext{*parts->credentials, *parts->accounts, *parts->registry});
  registry::register_routes(parts->router, *parts->registry_api);
  // The web app: GET / and a catch-all that every API route outranks.
  const auto web_dir = config.web_dir.empty() ? default_web_dir() : config.web_dir;
  const auto site = std::make_shared<const api::StaticSite>(api::StaticSiteOptions{
      .dir = web_dir,
      .service_origins = [&address = parts->service_address] { return address.csp_source(); }});
  api::register_static_site_routes(parts->router, site);
  http::ServerOptions options;
  options.address = config.listen_host;
  options.port = config.listen_port;
  options.worker_threads = config.worker_threads;
  options.max_connections = config.max_connections;
  // As many credential threads as hashing slots (Accounts' HashGate).
  options.credential_threads = auth::HashGate::default_slots();
  // Validated by parse_config.
  options.trusted_proxies =
      http::TrustedProxies::parse(config.trusted_proxies).value_or(http::TrustedProxies{});
  // Behind TLS: browsers keep to https for a year, cookies are __Host- and Secure.
  api::set_tls_cookies(config.tls());
  if (config.tls()) options.fixed_headers = {{"Strict-Transport-Security", "max-age=31536000"}};
  options.spool_dir = spool_dir(config.data_dir);
  parts->server = std::make_unique<http::Server>(options, parts->router, parts->metrics);
  gateway::mount_legacy_redirect(
      *parts->server,
      [&address = parts->service_address](std::string_view owner, std::string_view project) {
        return address.url(owner, project);
      });
  return std::unique_ptr<Deployer>(new Deployer(std::move(parts)));
}

Deployer::Deployer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Deployer::~Deployer() = default;

const std::optional<std::string>& Deployer::generated_admin_password() const {
  return parts_->generated_admin_password;
}

Result<std::uint16_t> Deployer::start() {
  auto port = parts_->server->start();
  if (!port) return port;
  // Builders push to this process's own registry.
  const std::string self = reachable_origin(parts_->config.listen_host, *port);
  if (parts_->federated && parts_->config.public_url.empty())
    parts_->federated->set_callback_base(self);
  if (auto ok = start_services(*parts_, self); !ok) {
    parts_->server->stop();
    return fail(ok.error());
  }
  if (auto ok = start_jobs_listener(*parts_); !ok) {
    parts_->server->stop();
    parts_->services_server->stop();
    return fail(ok.error());
  }
  parts_->heartbeat->start();
  parts_->leader->start();
  auto started = parts_->build_queue->start(self);
  if (!started) {
    parts_->server->stop();
    parts_->services_server->stop();
    if (parts_->jobs_server) parts_->jobs_server->stop();
    return fail(started.error());
  }
  parts_->collector->start();
  parts_->usage_flusher = flush_periodically(*parts_->meter, parts_->config.usage_flush_interval);
  // Serving goes on without a runtime; deploying then answers 503.
  if (parts_->config.no_runtime) {
    spdlog::info("no container runtime (--no-runtime): deployments are unavailable");
  } else if (auto ok = attach_runtime(*parts_, self.substr(std::string_view("http://").size()));
             !ok) {
    spdlog::error("no container runtime, deployments are unavailable: {}", ok.error().message);
  }
  if (parts_->base_bootstrap) {
    // Serving goes on without the base; builds fail clearly until it exists.
    if (auto ok = parts_->base_bootstrap->start(self); !ok) {
      spdlog::error("cannot build the base image: {}", ok.error().message);
    }
  }
  return port;
}
void Deployer::stop() {
  parts_->server->stop();
  if (parts_->services_server) parts_->services_server->stop();
  if (parts_->jobs_server) parts_->jobs_server->stop();
  // Every call has been counted now: write the last counts.
  if (parts_->usage_flusher) parts_->usage_flusher->stop();
  if (auto ok = parts_->meter->flush(); !ok) {
    spdlog::error("usage: the last counts could not be written: {}", ok.error().message);
  }
  parts_->collector->stop();
  parts_->build_queue->stop();
  if (parts_->prefetch) parts_->prefetch->stop();
  // Containers keep running: the next start adopts them.
  parts_->rollouts->stop();
  parts_->run_worker->stop();  // jobs keep running too
  parts_->leader->stop();      // released: another instance leads at once
  parts_->heartbeat->stop();
}
void Deployer::wait() {
  parts_->server->wait();
  if (parts_->services_server) parts_->services_server->wait();
  if (parts_->jobs_server) parts_->jobs_server->wait();
}
const std::string& Deployer::services_listen_url() const {
  return parts_->services_listen_url;
}
const std::string& Deployer::jobs_url() const {
  return parts_->jobs_url;
}
const http::Router& Deployer::router() const {
  return parts_->router;
}

}  // namespace orsa::deployer
