// The ORSA side of bench/gateway/run.sh: http::Server + Gateway with one
// public route, /bench/ok/ → 127.0.0.1:<upstream-port>. Not a product binary.

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "gateway/gateway.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace {

/// Blocks until SIGINT or SIGTERM.
void wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_PORT [NETWORK_THREADS]\n", argv[0]);
    return 2;
  }
  using namespace orsa;
  // Block the signals before any thread starts so that only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // As in bench/api: the per-request info line is not what is measured.
  spdlog::set_level(spdlog::level::warn);

  gateway::RouteTable table;
  gateway::Route route;
  route.owner = "bench";
  route.project = "ok";
  route.deployment_id = "dep_bench";
  route.visibility = gateway::Visibility::kPublic;
  route.state = gateway::RouteState::kServing;
  route.upstream = gateway::Upstream{"127.0.0.1", static_cast<std::uint16_t>(std::atoi(argv[2]))};
  table.put(route);
  gateway::Gateway gw(table);

  http::Router router;
  http::Metrics metrics;
  http::ServerOptions options;
  options.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  options.network_threads = argc > 3 ? std::atoi(argv[3]) : 1;
  http::Server server(options, router, metrics);
  gw.mount(server);
  auto port = server.start();
  if (!port) {
    std::fprintf(stderr, "start failed: %s\n", port.error().message.c_str());
    return 1;
  }
  std::printf("listening on %u\n", *port);
  std::fflush(stdout);
  wait_for_signal();
  server.stop(std::chrono::seconds(1));
  server.wait();
  return 0;
}
