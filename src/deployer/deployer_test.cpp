#include "deployer/deployer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "api/api.hpp"
#include "api/static_site.hpp"
#include "core/json.hpp"
#include "core/random.hpp"
#include "deployer/config.hpp"

namespace orsa::deployer {
namespace {

Result<Config> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "orsa-deployer");
  return parse_config(static_cast<int>(args.size()), args.data());
}

TEST(Config, DefaultsAreEmbeddedMode) {
  auto config = parse({});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen_host, "127.0.0.1");
  EXPECT_EQ(config->listen_port, 8080);
  EXPECT_EQ(config->registration, Registration::kOpen);
  EXPECT_EQ(config->session_ttl, std::chrono::hours(12));
  EXPECT_EQ(config->effective_database_url(), "sqlite:orsa-data/orsa.db");
}

TEST(Config, FlagsOverrideDefaults) {
  auto config = parse({"--listen", "0.0.0.0:0", "--data-dir", "/tmp/x", "--registration", "closed",
                       "--session-ttl", "30m", "--database", "postgresql://db/orsa"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen_host, "0.0.0.0");
  EXPECT_EQ(config->listen_port, 0);
  EXPECT_EQ(config->registration, Registration::kClosed);
  EXPECT_EQ(config->session_ttl, std::chrono::minutes(30));
  EXPECT_EQ(config->effective_database_url(), "postgresql://db/orsa");
}

TEST(Config, RejectsBadValuesNamingThem) {
  EXPECT_NE(parse({"--listen", "nonsense"}).error().message.find("--listen"), std::string::npos);
  EXPECT_NE(parse({"--listen", "h:99999"}).error().message.find("port"), std::string::npos);
  EXPECT_FALSE(parse({"--registration", "maybe"}));
  EXPECT_FALSE(parse({"--session-ttl", "soon"}));
  EXPECT_FALSE(parse({"--no-such-flag"}));
}

TEST(Config, InAContainerFlags) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->runtime_attach.empty());
  EXPECT_EQ(defaults->database_wait, std::chrono::seconds(0));
  auto compose = parse({"--runtime-attach", "self", "--database-wait", "90s"});
  ASSERT_TRUE(compose) << compose.error().message;
  EXPECT_EQ(compose->runtime_attach, "self");
  EXPECT_EQ(compose->database_wait, std::chrono::seconds(90));
  EXPECT_NE(parse({"--database-wait", "2h"}).error().message.find("--database-wait"),
            std::string::npos);
  EXPECT_FALSE(parse({"--database-wait", "later"}));
}

TEST(Config, ASwarmRuntimeNeedsItsManagerSocket) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->runtime_kind, "docker-api");
  EXPECT_EQ(defaults->replicas, 1);
  auto swarm =
      parse({"--runtime", "swarm", "--runtime-socket", "/run/docker.sock", "--replicas", "3"});
  ASSERT_TRUE(swarm) << swarm.error().message;
  EXPECT_EQ(swarm->runtime_kind, "swarm");
  EXPECT_EQ(swarm->replicas, 3);
  EXPECT_NE(parse({"--runtime", "swarm"}).error().message.find("--runtime-socket"),
            std::string::npos);
  EXPECT_FALSE(parse({"--runtime", "nomad"}));
  EXPECT_FALSE(parse({"--replicas", "0"}));
  EXPECT_FALSE(parse({"--replicas", "17"}));
}

TEST(Config, TheJobsListenerIsForKubernetesAndItsUrlDefaultsToItself) {
  auto none = parse({"--runtime", "kubernetes"});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->jobs_listen_host.empty());
  auto set = parse({"--runtime", "kubernetes", "--jobs-listen", "10.0.0.5:8082", "--jobs-url",
                    "http://orsa-jobs.orsa.svc:8082/"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->jobs_listen_host, "10.0.0.5");
  EXPECT_EQ(set->jobs_listen_port, 8082);
  EXPECT_EQ(set->jobs_url, "http://orsa-jobs.orsa.svc:8082");
  EXPECT_NE(parse({"--jobs-listen", "127.0.0.1:8082"}).error().message.find("kubernetes"),
            std::string::npos);
  EXPECT_NE(parse({"--runtime", "kubernetes", "--jobs-url", "http://x"})
                .error()
                .message.find("--jobs-listen"),
            std::string::npos);
  EXPECT_FALSE(parse(
      {"--runtime", "kubernetes", "--jobs-listen", "127.0.0.1:8082", "--jobs-url", "ftp://x"}));
  EXPECT_FALSE(parse({"--runtime", "kubernetes", "--jobs-listen", "nohost"}));
}

TEST(Config, AKubernetesRuntimeTakesAKubeconfigContextAndNamespace) {
  auto kube = parse({"--runtime", "kubernetes", "--kubeconfig", "kube.yaml", "--kube-context",
                     "prod", "--kube-namespace", "orsa-apps", "--replicas", "2"});
  ASSERT_TRUE(kube) << kube.error().message;
  EXPECT_EQ(kube->runtime_kind, "kubernetes");
  EXPECT_TRUE(kube->kubeconfig->is_absolute());
  EXPECT_EQ(kube->kubeconfig->filename(), "kube.yaml");
  EXPECT_EQ(kube->kube_context, "prod");
  EXPECT_EQ(kube->kube_namespace, "orsa-apps");
  EXPECT_EQ(kube->replicas, 2);
  // In a pod: the service account.
  EXPECT_FALSE(parse({"--runtime", "kubernetes"}).value().kubeconfig);
  EXPECT_NE(parse({"--kubeconfig", "kube.yaml"}).error().message.find("--runtime kubernetes"),
            std::string::npos);
  EXPECT_FALSE(parse({"--runtime", "kubernetes", "--runtime-socket", "/d.sock"}));
}

TEST(Config, SharedStorageIsForSeveralInstancesOnPostgreSQL) {
  auto alone = parse({"--data-dir", "/srv/orsa"});
  ASSERT_TRUE(alone);
  EXPECT_FALSE(alone->shares_storage());
  EXPECT_EQ(alone->storage_dir(), "/srv/orsa");
  auto shared = parse({"--data-dir", "/srv/orsa", "--shared-dir", "/mnt/orsa//shared/",
                       "--database", "postgresql://db/orsa"});
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_TRUE(shared->shares_storage());
  EXPECT_EQ(shared->storage_dir(), "/mnt/orsa/shared");
  EXPECT_EQ(shared->data_dir, "/srv/orsa");
  EXPECT_EQ(parse({"--shared-dir", "/mnt/orsa"}).error().message,
            "--shared-dir needs a PostgreSQL --database");
  EXPECT_EQ(parse({"--data-dir", "/srv/orsa", "--shared-dir", "/srv/orsa/", "--database",
                   "postgresql://db/orsa"})
                .error()
                .message,
            "--shared-dir must not be the --data-dir");
}

TEST(Config, ReplicasAboveOneNeedASwarmAndStayUnderTheCap) {
  const std::vector<const char*> swarm = {"--runtime", "swarm", "--runtime-socket", "/d.sock"};
  auto with = [&](std::vector<const char*> more) {
    more.insert(more.begin(), swarm.begin(), swarm.end());
    return parse(more);
  };
  EXPECT_EQ(parse({}).value().max_replicas, 4);
  EXPECT_EQ(parse({"--replicas", "2"}).error().message,
            "--replicas above 1 needs --runtime swarm or kubernetes");
  EXPECT_EQ(with({"--replicas", "6"}).error().message, "--replicas may not exceed --max-replicas");
  auto raised = with({"--replicas", "6", "--max-replicas", "8"});
  ASSERT_TRUE(raised) << raised.error().message;
  EXPECT_EQ(raised->max_replicas, 8);
  EXPECT_FALSE(with({"--max-replicas", "0"}));
  EXPECT_FALSE(with({"--max-replicas", "17"}));
}

TEST(Config, ServicesListenOnTheirOwnAddress) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->services_listen_host, "127.0.0.1");
  EXPECT_EQ(defaults->services_listen_port, 8081);
  EXPECT_TRUE(defaults->services_domain.empty());
  EXPECT_FALSE(defaults->tls());
  auto set = parse({"--services-listen", "0.0.0.0:0", "--services-domain", "apps.example.net",
                    "--public-url", "https://orsa.example.net"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->services_listen_host, "0.0.0.0");
  EXPECT_EQ(set->services_listen_port, 0);
  EXPECT_EQ(set->services_domain, "apps.example.net");
  EXPECT_TRUE(set->tls());
  EXPECT_NE(parse({"--services-listen", "x"}).error().message.find("--services-listen"),
            std::string::npos);
  EXPECT_FALSE(parse({"--services-domain", "Apps.Example.net"}));
  EXPECT_FALSE(parse({"--services-domain", "evil.net/x"}));
  EXPECT_FALSE(parse({"--public-url", "ftp://x"}));
  EXPECT_FALSE(parse({"--public-url", "https://orsa.example.net/app"}));
}

TEST(Config, BuildQueueFlags) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->builder_bin.filename(), "orsa-builder");
  EXPECT_EQ(defaults->base_image, "orsa/base-python-or:latest");
  EXPECT_EQ(defaults->max_builds, 2u);
  EXPECT_EQ(defaults->build_timeout, std::chrono::minutes(10));
  EXPECT_FALSE(defaults->templates_dir);

  auto config = parse({"--builder-bin", "/opt/b", "--base-image", "orsa/base-tiny:1",
                       "--max-builds", "3", "--build-timeout", "90s", "--templates-dir", "/t"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->builder_bin, "/opt/b");
  EXPECT_EQ(config->base_image, "orsa/base-tiny:1");
  EXPECT_EQ(config->max_builds, 3u);
  EXPECT_EQ(config->build_timeout, std::chrono::seconds(90));
  EXPECT_EQ(config->templates_dir, std::filesystem::path("/t"));

  EXPECT_FALSE(parse({"--max-builds", "0"}));
  EXPECT_FALSE(parse({"--build-timeout", "2h"}));
  EXPECT_FALSE(parse({"--build-timeout", "soon"}));
}

TEST(Config, WebDirFlagOrDefaultNearTheExecutable) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->web_dir, default_web_dir());
  EXPECT_EQ(defaults->web_dir.filename(), "dist");
  EXPECT_EQ(defaults->web_dir.parent_path().filename(), "web");
  auto config = parse({"--web-dir", "/srv/orsa-web"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->web_dir, "/srv/orsa-web");
}

TEST(Config, ParsesDurations) {
  EXPECT_EQ(parse_duration("90").value(), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("2h").value(), std::chrono::hours(2));
  EXPECT_EQ(parse_duration("7d").value(), std::chrono::hours(168));
  for (const char* bad : {"", "h", "-5s", "0", "5y", "5 h"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Config, PrefetchFlags) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_TRUE(defaults->prefetch_images);
  EXPECT_EQ(defaults->prefetch_min_free_mb, 2048);
  auto off = parse({"--no-prefetch-images", "--prefetch-min-free-mb", "10"});
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->prefetch_images);
  EXPECT_EQ(off->prefetch_min_free_mb, 10);
  EXPECT_FALSE(parse({"--prefetch-min-free-mb", "-1"}));
  EXPECT_FALSE(parse({"--prefetch-min-free-mb", "lots"}));
}

TEST(Config, CollectorFlags) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->gc_interval, std::chrono::hours(1));
  EXPECT_EQ(defaults->gc_image_age, std::chrono::hours(24 * 7));
  EXPECT_EQ(defaults->gc_keep, 3u);
  EXPECT_EQ(defaults->gc_idle, std::chrono::hours(24));
  EXPECT_EQ(defaults->pause_idle, std::chrono::minutes(10));
  EXPECT_EQ(parse({"--pause-idle", "0"}).value().pause_idle, std::chrono::seconds(0));
  EXPECT_EQ(parse({"--pause-idle", "90s"}).value().pause_idle, std::chrono::seconds(90));
  EXPECT_NE(parse({"--pause-idle", "-1m"}).error().message.find("--pause-idle"), std::string::npos);

  auto config =
      parse({"--gc-interval", "30m", "--gc-image-age", "2d", "--gc-keep", "0", "--gc-idle", "90m"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->gc_interval, std::chrono::minutes(30));
  EXPECT_EQ(config->gc_image_age, std::chrono::hours(48));
  EXPECT_EQ(config->gc_keep, 0u);
  EXPECT_EQ(config->gc_idle, std::chrono::minutes(90));
  EXPECT_EQ(parse({"--gc-interval", "0"}).value().gc_interval, std::chrono::seconds(0));

  EXPECT_NE(parse({"--gc-interval", "-1h"}).error().message.find("--gc-interval"),
            std::string::npos);
  EXPECT_NE(parse({"--gc-image-age", "0"}).error().message.find("--gc-image-age"),
            std::string::npos);
  EXPECT_NE(parse({"--gc-idle", "soon"}).error().message.find("--gc-idle"), std::string::npos);
  EXPECT_FALSE(parse({"--gc-keep", "-1"}));
}

// Collects "METHOD /path" from the document: paths at two spaces of
// indentation, methods at four (the style docs/api/openapi.yaml keeps).
std::set<std::string> documented_routes(std::string_view yaml) {
  std::set<std::string> out;
  std::istringstream in{std::string(yaml)};
  const std::regex path_line(R"(^  (/\S*):\s*$)");
  const std::regex method_line(R"(^    (get|put|post|delete|patch|head):\s*$)");
  std::string line, path;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, path_line)) path = m[1];
    if (std::regex_match(line, m, method_line) && !path.empty()) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(c));
      out.insert(method + " " + path);
    }
  }
  return out;
}

// Query parameters per "METHOD /path", from the three spellings the
// document uses: a $ref to components/parameters, an inline `{name: x, in:
// query}` and a block `- name: x` then `in: query`. Parameters listed at
// path level apply to every method of the path.
std::map<std::string, std::set<std::string>> documented_query(std::string_view yaml) {
  const std::regex component_key(R"(^    (\w+):\s*$)");
  const std::regex path_line(R"(^  (/\S*):\s*$)");
  const std::regex method_line(R"(^    (get|put|post|delete|patch|head):\s*$)");
  const std::regex ref(R"(\$ref: '#/components/parameters/(\w+)')");
  const std::regex inline_query(R"(\{name: (\w+), in: query)");
  const std::regex block_name(R"(^\s+- name: (\w+)\s*$)");
  const std::regex block_query(R"(^\s+in: query\s*$)");
  std::map<std::string, std::string> components;  // key → query parameter name
  std::map<std::string, std::set<std::string>> by_operation, by_path;
  std::map<std::string, std::set<std::string>> methods_of;
  std::istringstream in{std::string(yaml)};
  std::string line, section, key, pending, path, method;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.starts_with("  ") && !line.starts_with("   ")) section = line;
    if (section == "  parameters:" && std::regex_match(line, m, component_key)) key = m[1];
    if (section == "  parameters:" && line.starts_with("      name: ")) pending = line.substr(12);
    if (section == "  parameters:" && line == "      in: query") components[key] = pending;
    if (std::regex_match(line, m, path_line)) path = m[1], method.clear();
    if (std::regex_match(line, m, method_line) && !path.empty()) {
      method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(c));
      methods_of[path].insert(method);
    }
    if (path.empty()) continue;
    std::optional<std::string> name;
    if (std::regex_search(line, m, ref) && components.contains(m[1])) name = components[m[1]];
    if (std::regex_search(line, m, inline_query)) name = m[1];
    if (std::regex_match(line, m, block_name)) pending = m[1];
    if (std::regex_match(line, m, block_query)) name = pending;
    if (!name) continue;
    if (method.empty())
      by_path[path].insert(*name);
    else
      by_operation[method + " " + path].insert(*name);
  }
  for (const auto& [p, methods] : methods_of) {
    for (const auto& verb : methods) {
      by_operation[verb + " " + p].insert(by_path[p].begin(), by_path[p].end());
    }
  }
  return by_operation;
}

/// Calls the deployer's router in-process, as the server would.
http::Response call_route(const http::Router& router, const std::string& method,
                          const std::string& path, const std::string& body, http::Headers headers) {
  http::Request req;
  req.method = method;
  req.target = path;
  req.path = path;
  req.body = body;
  req.headers = std::move(headers);
  req.remote_ip = "127.0.0.1";
  auto match = router.match(method, path);
  if (match.handler == nullptr) return http::text_response(404, "no route");
  req.params = match.params;
  return (*match.handler)(req);
}

// The services origin differs from ORSA's only by port, and cookies ignore
// ports: a page there makes the browser send ORSA's cookies along. What keeps
// ORSA's state safe is that no write is taken on a cookie without the CSRF
// header, which a page of another origin can neither read nor send.
TEST(Csrf, EveryCookieAuthenticatedWriteNeedsTheCsrfHeader) {
  const auto dir = std::filesystem::temp_directory_path() / ("orsa-deployer-" + random_hex(6));
  Config config;
  config.data_dir = dir;
  config.admin_password = "correct horse battery";
  auto deployer = Deployer::create(config);
  ASSERT_TRUE(deployer) << deployer.error().message;
  const auto& router = (*deployer)->router();
  auto login = call_route(router, "POST", "/api/v1/auth/login",
                          R"({"username":"admin","password":"correct horse battery"})",
                          {{"Content-Type", "application/json"}});
  ASSERT_EQ(login.status, 200) << login.body;
  const auto session = Json::parse(login.body)["token"].get<std::string>();
  const auto csrf = Json::parse(login.body)["csrf_token"].get<std::string>();
  const std::string cookie = "orsa_session=" + session + "; orsa_csrf=" + csrf;
  std::size_t writes = 0;
  for (const auto& route : router.routes()) {
    if (route.method == "GET" || route.method == "HEAD" || route.method == "OPTIONS") continue;
    // Before a session exists (login, register) or ending it (logout): no account to act as.
    if (route.pattern.starts_with("/api/v1/auth/")) continue;
    if (api::is_static_site_route(route)) continue;  // the web app's pages: 404 for writes
    const std::string path = std::regex_replace(route.pattern, std::regex(R"(\{[^}]*\})"), "x");
    auto res = call_route(router, route.method, path, "{}",
                          {{"Cookie", cookie}, {"Content-Type", "application/json"}});
    if (route.pattern.starts_with("/v2/")) {
      // The registry takes no cookies at all: only its own Basic/Bearer credentials.
      EXPECT_EQ(res.status, 401) << route.method << " " << route.pattern << ": " << res.body;
      continue;
    }
    ++writes;
    EXPECT_EQ(res.status, 403) << route.method << " " << route.pattern << ": " << res.body;
    EXPECT_NE(res.body.find("X-CSRF-Token"), std::string::npos) << route.pattern;
  }
  EXPECT_GT(writes, 15u);
  // The same cookie with its header is a session that works (the check is not vacuous).
  auto token = call_route(
      router, "POST", "/api/v1/tokens", R"({"name":"t"})",
      {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}});
  EXPECT_EQ(token.status, 201) << token.body;
  deployer->reset();
  std::filesystem::remove_all(dir);
}

TEST(Config, RunFlags) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->max_concurrent_runs, 0u);
  EXPECT_EQ(defaults->max_runs_per_user, 2u);
  EXPECT_EQ(defaults->max_queued_runs_per_user, 100u);
  EXPECT_EQ(defaults->runs_retention, std::chrono::hours(24 * 30));
  EXPECT_EQ(defaults->max_run_input_mb, 50);
  EXPECT_EQ(defaults->max_run_result_mb, 200);
  EXPECT_EQ(defaults->max_run_time, std::chrono::hours(6));

  auto config =
      parse({"--max-concurrent-runs", "3", "--max-runs-per-user", "1", "--max-queued-runs-per-user",
             "5", "--runs-retention", "2d", "--max-run-input-mb", "1", "--max-run-result-mb", "2",
             "--max-run-time", "90m"});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->max_concurrent_runs, 3u);
  EXPECT_EQ(config->max_runs_per_user, 1u);
  EXPECT_EQ(config->max_queued_runs_per_user, 5u);
  EXPECT_EQ(config->runs_retention, std::chrono::hours(48));
  EXPECT_EQ(config->max_run_input_mb, 1);
  EXPECT_EQ(config->max_run_result_mb, 2);
  EXPECT_EQ(config->max_run_time, std::chrono::minutes(90));

  EXPECT_NE(parse({"--runs-retention", "0"}).error().message.find("--runs-retention"),
            std::string::npos);
  EXPECT_NE(parse({"--max-run-time", "8d"}).error().message.find("--max-run-time"),
            std::string::npos);
  EXPECT_FALSE(parse({"--max-runs-per-user", "0"}));
  EXPECT_FALSE(parse({"--max-run-input-mb", "0"}));
}

// A route refuses every query parameter it does not declare, so the
// declaration and the contract must say the same.
TEST(OpenApi, EveryRouteAcceptsExactlyItsDocumentedQueryParameters) {
  const auto dir = std::filesystem::temp_directory_path() / ("orsa-deployer-" + random_hex(6));
  Config config;
  config.data_dir = dir;
  config.admin_password = "correct horse battery";
  auto deployer = Deployer::create(config);
  ASSERT_TRUE(deployer) << deployer.error().message;
  auto documented = documented_query(api::openapi_document());
  EXPECT_EQ(documented["GET /api/v1/deployments/{id}/logs"],
            (std::set<std::string>{"tail", "since"}));
  int checked = 0;
  for (const auto& route : (*deployer)->router().routes()) {
    if (route.any_query) {
      // Only the web app's pages, the registry and the OpenID callback, whose
      // clients (registries, identity providers) add parameters of their own.
      EXPECT_TRUE(api::is_static_site_route(route) || route.pattern.starts_with("/v2") ||
                  route.pattern == "/api/v1/auth/oidc/{id}/callback")
          << route.method << " " << route.pattern;
      continue;
    }
    const std::string pattern = std::regex_replace(route.pattern, std::regex(R"(\.\.\.\})"), "}");
    const std::set<std::string> declared(route.query.begin(), route.query.end());
    EXPECT_EQ(declared, documented[route.method + " " + pattern]) << route.method << " " << pattern;
    ++checked;
  }
  EXPECT_GT(checked, 30);
  deployer->reset();
  std::filesystem::remove_all(dir);
}

TEST(OpenApi, DocumentsEveryRegisteredRoute) {
  const auto dir = std::filesystem::temp_directory_path() / ("orsa-deployer-" + random_hex(6));
  Config config;
  config.data_dir = dir;
  config.admin_password = "correct horse battery";
  auto deployer = Deployer::create(config);
  ASSERT_TRUE(deployer) << deployer.error().message;
  const auto documented = documented_routes(api::openapi_document());
  std::set<std::string> registered;
  for (const auto& route : (*deployer)->router().routes()) {
    // The web app's pages (GET / and its catch-all) are not REST API routes.
    if (api::is_static_site_route(route)) continue;
    // The router's tail capture {path...} is an ordinary parameter in OpenAPI.
    const std::string pattern = std::regex_replace(route.pattern, std::regex(R"(\.\.\.\})"), "}");
    registered.insert(route.method + " " + pattern);
    EXPECT_TRUE(documented.contains(route.method + " " + pattern))
        << route.method << " " << route.pattern << " is missing from docs/api/openapi.yaml";
  }
  for (const auto& doc : documented) {
    // The /s/ redirect is served ahead of the router (a server passthrough).
    if (doc.find(" /s/") != std::string::npos) continue;
    EXPECT_TRUE(registered.contains(doc)) << doc << " is documented but not served";
  }
  EXPECT_GT(registered.size(), 20u);
  deployer->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace orsa::deployer
