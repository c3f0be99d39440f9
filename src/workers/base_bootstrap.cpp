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

void BaseGate::set(State state, std::string reason) {
  {
    std::lock_guard lock(mu_);
    state_ = state;
    reason_ = std::move(reason);
  }
  changed_.notify_all();
}

BaseGate::State BaseGate::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string BaseGate::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

BaseGate::State BaseGate::wait(std::chrono::seconds limit,
                               const std::function<bool()>& keep_waiting) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::unique_lock lock(mu_);
  while (state_ == State::kBuilding && std::chrono::steady_clock::now() < deadline) {
    lock.unlock();
    const bool go_on = keep_waiting();
    lock.lock();
    if (!go_on) break;
    changed_.wait_for(lock, std::chrono::seconds(1), [this] { return state_ != State::kBuilding; });
  }
  return state_;
}

struct BaseBootstrap::Worker {
  BuildProcess process;
  WorkQueue queue{"base bootstrap", 1};
};

BaseBootstrap::BaseBootstrap(oci::BlobStore& blobs, store::Store& store,
                             services::Accounts& accounts, BaseGate& gate,
                             BaseBootstrapOptions options)
    : blobs_(blobs),
      store_(store),
      accounts_(accounts),
      gate_(gate),
      options_(std::move(options)) {}

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
  gate_.set(BaseGate::State::kBuilding);
  worker_->queue.post([worker = worker_.get(), &gate = gate_, spec = std::move(spec), repository] {
    // Whatever happens (a throw included), waiting builds are released.
    std::string failure = "the base build ended unexpectedly";
    struct Open {
      BaseGate& gate;
      std::string& failure;
      ~Open() {
        gate.set(failure.empty() ? BaseGate::State::kReady : BaseGate::State::kFailed, failure);
      }
    } open{gate, failure};
    auto exit = worker->process.run(spec, kBaseBuildTimeout, [&](std::string_view line) {
      spdlog::info("base {}: {}", repository, line);
    });
    if (exit && exit->exit_code == 0) {
      failure.clear();
      spdlog::info("base image {} is ready", repository);
    } else if (!exit) {
      failure = exit.error().message;
      spdlog::error("building base image {} failed: {}", repository, failure);
    } else {
      failure = "exit code " + std::to_string(exit->exit_code) + ", signal " +
                std::to_string(exit->signal) + (exit->timed_out ? ", timed out" : "");
      spdlog::error("building base image {} failed ({})", repository, failure);
    }
  });
  return {};
}

}  // namespace orsa::workers
