#include "deployer/deployer.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "deployer/accounts.hpp"
#include "deployer/api.hpp"
#include "deployer/audit.hpp"
#include "deployer/projects.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "source/repos.hpp"
#include "store/store.hpp"

namespace orsa::deployer {

struct Deployer::Parts {
  Config config;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<source::SourceRepos> repos;
  std::unique_ptr<auth::SessionSigner> signer;
  std::unique_ptr<auth::LoginRateLimiter> limiter;
  std::unique_ptr<Audit> audit;
  std::unique_ptr<Accounts> accounts;
  std::unique_ptr<Projects> projects;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<ApiContext> api;
  std::unique_ptr<http::Server> server;
  std::optional<std::string> generated_admin_password;
};

namespace {

Result<void> prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir / "repos", ec);
  if (ec) {
    return fail(
        Error::unavailable("cannot create data directory " + dir.string() + ": " + ec.message()));
  }
  // The data dir holds the signing key and password hashes: owner only.
  ::chmod(dir.c_str(), 0700);
  return {};
}

Result<void> build_services(Deployer::Parts& p) {
  auto store = store::open_store(p.config.effective_database_url(), p.clock);
  if (!store) return fail(store.error());
  p.store = std::move(*store);
  p.repos = source::make_git_repos(p.config.data_dir / "repos");
  auto key = auth::SessionSigner::load_or_create_key(p.config.data_dir / "secret.key");
  if (!key) return fail(key.error());
  p.signer = std::make_unique<auth::SessionSigner>(std::move(*key), p.config.session_ttl, p.clock);
  p.limiter = std::make_unique<auth::LoginRateLimiter>(p.clock);
  p.audit = std::make_unique<Audit>(*p.store, p.clock);
  p.accounts = std::make_unique<Accounts>(*p.store, *p.signer, *p.limiter, *p.audit, p.clock,
                                          p.config.registration);
  p.projects = std::make_unique<Projects>(*p.store, *p.repos, *p.audit, p.clock);
  return {};
}

}  // namespace

Result<std::unique_ptr<Deployer>> Deployer::create(const Config& config) {
  auto parts = std::make_unique<Parts>();
  parts->config = config;
  if (auto ok = prepare_data_dir(config.data_dir); !ok) return fail(ok.error());
  if (auto ok = build_services(*parts); !ok) return fail(ok.error());
  auto generated = parts->accounts->bootstrap_admin(config.admin_username, config.admin_email,
                                                    config.admin_password);
  if (!generated) return fail(generated.error());
  parts->generated_admin_password = std::move(*generated);

  parts->api = std::make_unique<ApiContext>(
      ApiContext{*parts->accounts, *parts->projects, *parts->store, parts->metrics, parts->config});
  register_routes(parts->router, *parts->api);
  http::ServerOptions options;
  options.address = config.listen_host;
  options.port = config.listen_port;
  options.worker_threads = config.worker_threads;
  options.max_connections = config.max_connections;
  parts->server = std::make_unique<http::Server>(options, parts->router, parts->metrics);
  return std::unique_ptr<Deployer>(new Deployer(std::move(parts)));
}

Deployer::Deployer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Deployer::~Deployer() = default;

const std::optional<std::string>& Deployer::generated_admin_password() const {
  return parts_->generated_admin_password;
}

Result<std::uint16_t> Deployer::start() {
  return parts_->server->start();
}
void Deployer::stop() {
  parts_->server->stop();
}
void Deployer::wait() {
  parts_->server->wait();
}
const http::Router& Deployer::router() const {
  return parts_->router;
}

}  // namespace orsa::deployer
