// orsa-deployer: wiring only. Parses the configuration, builds the control
// plane, serves until SIGINT/SIGTERM, then shuts down gracefully; or, as
// `orsa-deployer check`, checks (and repairs) the data dir and exits.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <thread>
#include <tuple>

#include "core/files.hpp"
#include "core/logging.hpp"
#include "deployer/check.hpp"
#include "deployer/config.hpp"
#include "deployer/deployer.hpp"

namespace {

sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  // Blocked before any thread starts, so every thread inherits the mask and
  // only the waiter below receives them.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void announce(const orsa::deployer::Config& config, std::uint16_t port,
              const orsa::deployer::Deployer& deployer) {
  const std::string url = "http://" + config.listen_host + ":" + std::to_string(port);
  std::printf("ORSA control plane serving at %s\n", url.c_str());
  std::printf("ORSA services serving at %s\n", deployer.services_listen_url().c_str());
  if (!deployer.jobs_url().empty()) {
    std::printf("ORSA jobs listener serving at %s\n", deployer.jobs_url().c_str());
  }
  if (const auto& password = deployer.generated_admin_password()) {
    std::printf("Bootstrap admin created: username '%s', password '%s'\n",
                config.admin_username.c_str(), password->c_str());
    std::printf(
        "This password is shown only once: keep it, or set ORSA_ADMIN_PASSWORD before the first "
        "start.\n");
  }
  std::fflush(stdout);
  // Tests wait for this file; a failure shows as their timeout.
  if (config.ready_file)
    std::ignore = orsa::write_file_atomic(*config.ready_file, url + "\n", 0600);
}

}  // namespace

int main(int argc, char** argv) {
  auto config = orsa::deployer::parse_config(argc, argv);
  if (!config) {
    if (config.error().message.empty()) return 0;  // --help
    std::fprintf(stderr, "orsa-deployer: %s\n", config.error().message.c_str());
    return 2;
  }
  orsa::init_logging(config->log_level);
  if (const auto& check = config->check) return orsa::deployer::run_check(*config, *check);
  const sigset_t signals = block_shutdown_signals();

  auto deployer = orsa::deployer::Deployer::create(*config);
  if (!deployer) {
    spdlog::critical("cannot start: {}", deployer.error().message);
    return 1;
  }
  auto port = (*deployer)->start();
  if (!port) {
    spdlog::critical("cannot listen on {}:{}: {}", config->listen_host, config->listen_port,
                     port.error().message);
    return 1;
  }
  announce(*config, *port, **deployer);

  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received signal {}, shutting down", signal);
    (*deployer)->stop();
  });
  (*deployer)->wait();
  // If the server stopped for another reason, release the waiter. SIGTERM is
  // blocked in every thread and awaited by the waiter's sigwait, so this wakes
  // it; it does not kill anything.
  pthread_kill(waiter.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
  waiter.join();
  spdlog::info("stopped");
  return 0;
}
