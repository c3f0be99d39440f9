// A background worker that throws is logged and counted, and the control
// plane keeps serving: the whole Deployer on real listeners, with a runtime
// (the unit boundary) whose container listing throws on every reconciler pass.

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/json.hpp"
#include "deployer/config.hpp"
#include "deployer/deployer.hpp"
#include "http/client.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::deployer {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kReconcilerSeries =
    R"(orsa_background_failures_total{worker="reconciler"} )";

/// A runtime whose adapter has a bug: listing containers throws. Everything
/// else reports the runtime as unreachable, as a value.
class ThrowingRuntime final : public runtime::Runtime {
 public:
  Result<void> pull(const std::string&, const runtime::RegistryAuth&) override { return down(); }
  Result<std::string> run(const runtime::ContainerSpec&) override { return down(); }
  Result<runtime::ContainerInfo> inspect(const std::string&) override { return down(); }
  Result<void> start(const std::string&) override { return down(); }
  Result<void> stop(const std::string&, std::chrono::seconds) override { return down(); }
  Result<void> remove(const std::string&) override { return down(); }
  Result<std::vector<runtime::ContainerInfo>> list(
      const std::map<std::string, std::string>&) override {
    throw std::runtime_error("a bug in the runtime adapter");
  }
  Result<void> logs(const std::string&, const runtime::LogOptions&,
                    const std::function<bool(const runtime::LogLine&)>&) override {
    return down();
  }
  Result<void> events(const std::map<std::string, std::string>&,
                      const std::function<bool(const runtime::Event*)>&) override {
    return down();
  }
  Result<void> remove_image(const std::string&) override { return down(); }
  Result<void> create_network(const runtime::NetworkSpec&) override { return down(); }
  Result<void> remove_network(const std::string&) override { return down(); }
  Result<std::vector<runtime::NetworkInfo>> list_networks(
      const std::map<std::string, std::string>&) override {
    return down();
  }

 private:
  static std::unexpected<Error> down() { return fail(Error::unavailable("runtime unreachable")); }
};

/// The reconciler's failure count on /metrics; nullopt when the page or the
/// series is missing.
std::optional<std::uint64_t> reconciler_failures(const http::Client& client,
                                                 const std::string& base) {
  auto login =
      client.request("POST", base + "/api/v1/auth/login", {{"Content-Type", "application/json"}},
                     R"({"username":"admin","password":"correct horse battery"})");
  if (!login || login->status != 200) return std::nullopt;
  const std::string token = Json::parse(login->body).value("token", "");
  auto page = client.request("GET", base + "/metrics", {{"Authorization", "Bearer " + token}});
  if (!page || page->status != 200) return std::nullopt;
  const auto at = page->body.find(kReconcilerSeries);
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(page->body.substr(at + kReconcilerSeries.size()));
}

/// Whether the default logger's recent lines (kept by `sink`) include `text`.
bool logged(spdlog::sinks::ringbuffer_sink_mt& sink, std::string_view text) {
  for (const auto& line : sink.last_formatted()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(BackgroundFailures, AThrowingWorkerIsCountedAndTheControlPlaneKeepsServing) {
  const auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
  spdlog::default_logger()->sinks().push_back(log);
  testing::TempDir dir{"orsa-deployer-failures"};
  Config config;
  config.data_dir = dir.path();
  config.listen_port = 0;
  config.services_listen_port = 0;
  config.admin_password = "correct horse battery";
  auto deployer = Deployer::create(config, {.runtime = std::make_unique<ThrowingRuntime>()});
  ASSERT_TRUE(deployer) << deployer.error().message;
  auto port = (*deployer)->start();
  ASSERT_TRUE(port) << port.error().message;
  const std::string base = "http://127.0.0.1:" + std::to_string(*port);
  const http::Client client(5s);

  // The reconciler throws on every pass and is restarted each time: the
  // count goes up more than once, and the process is still here to show it.
  const auto first =
      testing::eventually_value(20s, [&] { return reconciler_failures(client, base); });
  ASSERT_TRUE(first) << "no reconciler failure on /metrics";
  EXPECT_GE(*first, 1u);
  EXPECT_TRUE(testing::eventually(
      20s, [&] { return reconciler_failures(client, base).value_or(0) > *first; },
      "the reconciler to fail again after its restart"));
  EXPECT_TRUE(logged(*log, "reconciler: a background task failed: a bug in the runtime adapter"));

  auto health = client.request("GET", base + "/healthz");
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200) << health->body;
  auto login =
      client.request("POST", base + "/api/v1/auth/login", {{"Content-Type", "application/json"}},
                     R"({"username":"admin","password":"correct horse battery"})");
  ASSERT_TRUE(login) << login.error().message;
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string token = Json::parse(login->body)["token"].get<std::string>();
  auto me = client.request("GET", base + "/api/v1/me", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(me) << me.error().message;
  EXPECT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(Json::parse(me->body).value("username", ""), "admin") << me->body;

  (*deployer)->stop();
  (*deployer)->wait();
  deployer->reset();  // no thread of it logs any more
  spdlog::default_logger()->sinks().pop_back();
}

}  // namespace
}  // namespace orsa::deployer
