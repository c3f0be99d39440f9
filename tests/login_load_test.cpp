// Password hashing as a denial-of-service lever: a flood of logins with
// random usernames (each one a 64 MiB argon2) must neither run unlimited nor
// slow down the cheap requests of everyone else.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "core/random.hpp"
#include "support/api_client.hpp"
#include "support/deployer_process.hpp"
#include "testing/eventually.hpp"

namespace orsa::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Latencies {
  std::vector<double> ms;
  double percentile(double p) const {
    if (ms.empty()) return 0;
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted[index];
  }
};

struct FloodResult {
  Latencies me;                 // GET /api/v1/me while the logins ran
  double fastest_login_ms = 0;  // about one hash: the login that waited for none
  std::map<int, int> statuses;  // of the logins
};

// Fires `logins` concurrent logins with random usernames (each from its own
// forwarded address when `spread_addresses`), and times GET /api/v1/me
// meanwhile.
FloodResult flood(const std::string& url, const std::string& token, int logins,
                  bool spread_addresses) {
  std::atomic<int> running{logins};
  std::vector<int> statuses(static_cast<std::size_t>(logins));
  std::vector<double> login_ms(static_cast<std::size_t>(logins));
  std::vector<std::thread> threads;
  for (int i = 0; i < logins; ++i) {
    threads.emplace_back([&, i] {
      ApiClient client(url);
      HeaderList headers;
      if (spread_addresses) {
        headers.emplace_back("X-Forwarded-For", "198.51.100." + std::to_string(i + 1));
      }
      const Json body = {{"username", "nobody-" + random_hex(8)},
                         {"password", "guess-" + random_hex(8)}};
      const auto start = SteadyClock::now();
      statuses[static_cast<std::size_t>(i)] =
          client.call("POST", "/api/v1/auth/login", body, "", headers).status;
      login_ms[static_cast<std::size_t>(i)] =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
      --running;
    });
  }
  ApiClient me_client(url);
  FloodResult result;
  // Sample while the flood lasts (and at least a few times); the deadline
  // turns a hung login into a failure instead of a test that never ends.
  const Deadline deadline(std::chrono::seconds(120));
  while ((running.load() > 0 || result.me.ms.size() < 5) && !deadline.expired()) {
    const auto start = SteadyClock::now();
    const auto me = me_client.call("GET", "/api/v1/me", std::nullopt, token);
    result.me.ms.push_back(
        std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
    EXPECT_EQ(me.status, 200) << me.body;
    // Paces the samples (nothing is awaited here): one /me per 20 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(running.load(), 0) << "logins still running after " << deadline.budget_ms() << " ms";
  for (auto& t : threads) t.join();
  for (int s : statuses) ++result.statuses[s];
  result.fastest_login_ms = *std::min_element(login_ms.begin(), login_ms.end());
  return result;
}

void report(const char* name, const FloodResult& r) {
  std::printf(
      "[%s] /me during the flood: samples=%zu p50=%.1f ms p95=%.1f ms max=%.1f ms; fastest "
      "login %.1f ms; logins:",
      name, r.me.ms.size(), r.me.percentile(0.5), r.me.percentile(0.95), r.me.percentile(1.0),
      r.fastest_login_ms);
  for (const auto& [status, count] : r.statuses) std::printf(" %d x%d", status, count);
  std::printf("\n");
}

// Logins from many clients at once (a botnet, or many users behind the
// trusted proxy): all are served, on the credential pool, and /me never
// waits for a hash. Before the pool, /me queued behind the hashes on the
// shared workers: its latency was a multiple of one hash.
TEST(LoginLoad, CheapRequestsAreNotQueuedBehindPasswordHashes) {
  auto deployer = DeployerProcess::start({.args = {"--trusted-proxies", "127.0.0.1/32"}});
  ApiClient api(deployer->url());
  const std::string admin = api.login("admin", DeployerProcess::kAdminPassword);
  const auto result = flood(deployer->url(), admin, 16, true);
  report("16 clients", result);
  for (const auto& [status, count] : result.statuses) {
    EXPECT_EQ(status, 401) << " x" << count;
  }
  // Measured against the machine's own hash time, so a loaded machine does
  // not fail the test and a fast one does not hide a queue.
  EXPECT_LT(result.me.percentile(0.95), result.fastest_login_ms);
  EXPECT_LT(result.me.percentile(0.5), result.fastest_login_ms / 2);
}

// Random usernames from one address: the per-address limit stops them after
// a few failures, whatever names they use.
TEST(LoginLoad, RandomUsernamesFromOneAddressAreRateLimited) {
  auto deployer = DeployerProcess::start();
  ApiClient api(deployer->url());
  const std::string admin = api.login("admin", DeployerProcess::kAdminPassword);
  int refused = 0;
  int limited = 0;
  for (int i = 0; i < 40; ++i) {
    const Json body = {{"username", "random-" + random_hex(8)},
                       {"password", "guess-" + random_hex(8)}};
    auto res = api.call("POST", "/api/v1/auth/login", body);
    if (res.status == 401) ++refused;
    if (res.status == 429) {
      ++limited;
      EXPECT_FALSE(res.headers["Retry-After"].empty());
    }
  }
  std::printf("[one address] 40 random-name logins: %d refused after hashing, %d rate-limited\n",
              refused, limited);
  EXPECT_LE(refused, 20);
  EXPECT_GE(limited, 20);
  // The flood also hits the registry's Basic login (same counter).
  auto v2 = api.raw("GET", "/v2/", "", "",
                    {{"Authorization", "Basic cmFuZG9tLXVzZXI6c29tZS1wYXNzd29yZA=="}});
  EXPECT_EQ(v2.status, 429) << v2.body;
}

}  // namespace
}  // namespace orsa::testing
