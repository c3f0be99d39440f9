// The ORSA side of bench/gateway/run.sh: http::Server + Gateway with one
// route, /bench/ok/ → 127.0.0.1:<upstream-port>. Not a product binary.
// UPSTREAM_PORT may list several ports ("8001,8002"): the route's replicas.
// Plain: a public route, no gate. With KEYS_DB (a SQLite file to create):
// a private route that admits a consumer key, as the deployer wires it
// (api::admit_consumer_call over services::ConsumerKeys on a real store,
// every call metered by services::UsageMeter and flushed every 10 s); the
// key's secret is printed as "key <secret>".

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "api/service_gate.hpp"
#include "core/clock.hpp"
#include "gateway/gateway.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "services/audit.hpp"
#include "services/consumer_keys.hpp"
#include "services/usage_meter.hpp"
#include "store/store.hpp"

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

/// The deployer's consumer-key gate and meter over a real SQLite store.
struct KeyedGate {
  orsa::SystemClock clock;
  std::unique_ptr<orsa::store::Store> store;
  std::unique_ptr<orsa::services::Audit> audit;
  std::unique_ptr<orsa::services::UsageMeter> meter;
  std::unique_ptr<orsa::services::ConsumerKeys> keys;
  std::string project_id;
  std::string secret;
  std::jthread flusher;

  static std::unique_ptr<KeyedGate> open(const std::string& db) {
    using namespace orsa;
    auto g = std::make_unique<KeyedGate>();
    auto opened = store::open_store("sqlite:" + db, g->clock);
    if (!opened) return nullptr;
    g->store = std::move(*opened);
    auto user = g->store->users().create({"bench", "bench@example.org", "x"});
    if (!user) return nullptr;
    auto project = g->store->projects().create({user->id, "ok", "python-flask"});
    if (!project) return nullptr;
    g->project_id = project->id;
    g->audit = std::make_unique<services::Audit>(g->store->audit(), g->clock);
    g->meter = std::make_unique<services::UsageMeter>(g->store->usage(), g->clock);
    g->keys = std::make_unique<services::ConsumerKeys>(
        g->store->consumer_keys(), g->store->projects(), *g->meter, *g->audit, g->clock);
    const auth::Principal owner{user->id, user->username, Role::kDeveloper, false, ""};
    auto issued = g->keys->create(owner, {"bench", "ok"},
                                  {.name = "bench", .monthly_quota_requests = 1'000'000'000},
                                  services::Caller{"127.0.0.1"});
    if (!issued) return nullptr;
    g->secret = issued->secret;
    g->flusher = std::jthread([meter = g->meter.get()](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        for (int i = 0; i < 100 && !stop.stop_requested(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        std::ignore = meter->flush();
      }
    });
    return g;
  }

  orsa::gateway::Hooks hooks() {
    return {.admit =
                [this](const orsa::gateway::Route& route, const orsa::http::Request& req) {
                  return orsa::api::admit_consumer_call(keys.get(), route, req)
                      .value_or(orsa::gateway::Admission{});
                },
            .try_admit =
                [this](const orsa::gateway::Route& route, const orsa::http::Request& req) {
                  return orsa::api::try_admit_service_call(keys.get(), route, req);
                },
            .wake = {},
            .meter =
                [this](const orsa::gateway::CallRecord& call) {
                  orsa::api::meter_service_call(*meter, call);
                }};
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s LISTEN_PORT UPSTREAM_PORT [NETWORK_THREADS [KEYS_DB]]\n"
                 "(ORSA_BENCH_ROUTES=N: a route table of N routes)\n",
                 argv[0]);
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
  for (std::string_view ports = argv[2]; !ports.empty();) {
    const auto comma = std::min(ports.find(','), ports.size());
    const std::string port(ports.substr(0, comma));
    route.upstreams.push_back({"127.0.0.1", static_cast<std::uint16_t>(std::atoi(port.c_str()))});
    ports.remove_prefix(std::min(comma + 1, ports.size()));
  }
  std::unique_ptr<KeyedGate> gate;
  if (argc > 4) {
    gate = KeyedGate::open(argv[4]);
    if (!gate) {
      std::fprintf(stderr, "cannot set up the consumer key gate in %s\n", argv[4]);
      return 1;
    }
    route.visibility = gateway::Visibility::kPrivate;
    route.project_id = gate->project_id;
    std::printf("key %s\n", gate->secret.c_str());
  }
  table.put(route);
  // ORSA_BENCH_ROUTES=N: N routes in all (the others to the same upstream),
  // for the cost curve of lookups against the size of the table.
  const char* routes = std::getenv("ORSA_BENCH_ROUTES");
  for (int i = 1; routes != nullptr && i < std::atoi(routes); ++i) {
    gateway::Route other = route;
    other.owner = "tenant" + std::to_string(i);
    other.project = "svc";
    other.deployment_id = "dep_" + std::to_string(i);
    table.put(other);
  }
  gateway::Gateway gw(table, {}, gate ? gate->hooks() : gateway::Hooks{});

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
