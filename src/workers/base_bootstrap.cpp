#include "workers/base_bootstrap.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "build_process.hpp"
#include "core/work_queue.hpp"

namespace orsa::workers {
namespace {

// mmdebstrap of the python-or base takes about a minute; a stuck mirror
// must not hold the builder forever.
constexpr auto kBaseBuildTimeout = std::chrono::minutes(30);

}  // namespace

struct BaseBootstrap::Worker {
  BuildProcess process;
  WorkQueue queue{"base bootstrap", 1};
};

BaseBootstrap::BaseBootstrap(oci::BlobStore& blobs, store::Store& store,
                             services::Accounts& accounts, BaseBootstrapOptions options)
    : blobs_(blobs), store_(store), accounts_(accounts), options_(std::move(options)) {}

BaseBootstrap::~BaseBootstrap() {
  if (!worker_) return;
  worker_->process.cancel();
  worker_->queue.stop();
}

Result<void> BaseBootstrap::start(const std::string& registry_url) {
  const std::string repository = "orsa/base-" + options_.name;
  if (blobs_.resolve_tag(repository, "latest")) return {};
  auto admin = store_.users().find_by_login(options_.admin_username);
  if (!admin || admin->role != Role::kAdmin) {
    return fail(Error::unavailable("--ensure-base needs the bootstrap admin '" +
                                   options_.admin_username + "'"));
  }
  auto token =
      accounts_.issue_push_token({admin->id, admin->username, Role::kAdmin, false, {}}, repository);
  if (!token) return fail(token.error());

  ProcessSpec spec{
      .program = options_.builder_bin,
      .args = {"base", "build", options_.name, "--bases-dir", options_.bases_dir.string(),
               "--registry", registry_url, "--work-dir", options_.work_dir.string()},
      // A clean environment: the token is the builder's only credential.
      .env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
              "ORSA_REGISTRY_TOKEN=" + *token},
      .cwd = options_.work_dir};
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  if (ec) return fail(Error::unavailable("cannot create " + options_.work_dir.string()));

  spdlog::info("building base image {} in the background (first start)", repository);
  worker_ = std::make_unique<Worker>();
  worker_->queue.post([worker = worker_.get(), spec = std::move(spec), repository] {
    auto exit = worker->process.run(spec, kBaseBuildTimeout, [&](std::string_view line) {
      spdlog::info("base {}: {}", repository, line);
    });
    if (exit && exit->exit_code == 0) {
      spdlog::info("base image {} is ready", repository);
    } else if (!exit) {
      spdlog::error("building base image {} failed: {}", repository, exit.error().message);
    } else {
      spdlog::error("building base image {} failed (exit code {}, signal {}{})", repository,
                    exit->exit_code, exit->signal, exit->timed_out ? ", timed out" : "");
    }
  });
  return {};
}

}  // namespace orsa::workers
