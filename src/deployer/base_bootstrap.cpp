#include "deployer/base_bootstrap.hpp"

#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <thread>
#include <vector>

namespace orsa::deployer {

struct BaseBootstrap::Worker {
  pid_t pid = -1;
  std::thread waiter;
};

BaseBootstrap::BaseBootstrap(oci::BlobStore& blobs, store::Store& store, Accounts& accounts,
                             BaseBootstrapOptions options)
    : blobs_(blobs), store_(store), accounts_(accounts), options_(std::move(options)) {}

BaseBootstrap::~BaseBootstrap() {
  if (!worker_) return;
  if (worker_->pid > 0) ::kill(-worker_->pid, SIGTERM);
  if (worker_->waiter.joinable()) worker_->waiter.join();
}

Result<void> BaseBootstrap::start(const std::string& registry_url) {
  const std::string repository = "orsa/base-" + options_.name;
  if (blobs_.resolve_tag(repository, "latest")) return {};
  auto admin = store_.find_user_by_login(options_.admin_username);
  if (!admin || admin->role != Role::kAdmin) {
    return fail(Error::unavailable("--ensure-base needs the bootstrap admin '" +
                                   options_.admin_username + "'"));
  }
  auto token =
      accounts_.issue_push_token({admin->id, admin->username, Role::kAdmin, false, {}}, repository);
  if (!token) return fail(token.error());

  std::vector<std::string> args{options_.builder_bin.string(),
                                "base",
                                "build",
                                options_.name,
                                "--bases-dir",
                                options_.bases_dir.string(),
                                "--registry",
                                registry_url,
                                "--work-dir",
                                options_.work_dir.string()};
  // A clean environment: the token is the builder's only credential.
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "LANG=C.UTF-8", "ORSA_REGISTRY_TOKEN=" + *token};
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  for (auto& e : env) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // killable as a group
  posix_spawnattr_setpgroup(&attr, 0);
  worker_ = std::make_unique<Worker>();
  const int rc = posix_spawn(&worker_->pid, argv[0], nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    worker_.reset();
    return fail(Error::unavailable("cannot start " + options_.builder_bin.string()));
  }
  spdlog::info("building base image {} in the background (first start)", repository);
  worker_->waiter = std::thread([pid = worker_->pid, repository] {
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      spdlog::info("base image {} is ready", repository);
    } else {
      spdlog::error("building base image {} failed (status {})", repository, status);
    }
  });
  return {};
}

}  // namespace orsa::deployer
