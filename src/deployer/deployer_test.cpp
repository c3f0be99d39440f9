#include "deployer/deployer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "core/random.hpp"
#include "deployer/accounts.hpp"
#include "deployer/api.hpp"
#include "deployer/config.hpp"
#include "deployer/static_site.hpp"
#include "deployer/templates.hpp"

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

TEST(Config, CollectorFlags) {
  auto defaults = parse({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->gc_interval, std::chrono::hours(1));
  EXPECT_EQ(defaults->gc_image_age, std::chrono::hours(24 * 7));
  EXPECT_EQ(defaults->gc_keep, 3u);
  EXPECT_EQ(defaults->gc_idle, std::chrono::hours(24));

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

TEST(Accounts, NormalizesEmails) {
  EXPECT_EQ(normalize_email("  Ada@Example.ORG ").value(), "ada@example.org");
  for (const char* bad : {"", "   ", "no-at", "@x", "x@", "a@b@c", "a b@c", "<a>@b"}) {
    EXPECT_FALSE(normalize_email(bad)) << bad;
  }
}

TEST(Templates, PythonFlaskStarterHasTheModel) {
  EXPECT_EQ(TemplateCatalog::names(), std::vector<std::string>{"python-flask"});
  auto files = TemplateCatalog::starter_files("python-flask");
  ASSERT_TRUE(files);
  std::set<std::string> paths;
  for (const auto& f : *files) paths.insert(f.path);
  EXPECT_EQ(paths, (std::set<std::string>{"README.md", "input.json", "model.py", "orsa.toml"}));
  auto unknown = TemplateCatalog::starter_files("cobol");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("python-flask"), std::string::npos);
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

TEST(OpenApi, DocumentsEveryRegisteredRoute) {
  const auto dir = std::filesystem::temp_directory_path() / ("orsa-deployer-" + random_hex(6));
  Config config;
  config.data_dir = dir;
  config.admin_password = "correct horse battery";
  auto deployer = Deployer::create(config);
  ASSERT_TRUE(deployer) << deployer.error().message;
  const auto documented = documented_routes(openapi_document());
  std::set<std::string> registered;
  for (const auto& route : (*deployer)->router().routes()) {
    // The web app's pages (GET / and its catch-all) are not REST API routes.
    if (is_static_site_route(route)) continue;
    // The router's tail capture {path...} is an ordinary parameter in OpenAPI.
    const std::string pattern = std::regex_replace(route.pattern, std::regex(R"(\.\.\.\})"), "}");
    registered.insert(route.method + " " + pattern);
    EXPECT_TRUE(documented.contains(route.method + " " + pattern))
        << route.method << " " << route.pattern << " is missing from docs/api/openapi.yaml";
  }
  for (const auto& doc : documented) {
    // The gateway serves /s/ itself, ahead of the router (a server passthrough).
    if (doc.find(" /s/") != std::string::npos) continue;
    EXPECT_TRUE(registered.contains(doc)) << doc << " is documented but not served";
  }
  EXPECT_GT(registered.size(), 20u);
  deployer->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace orsa::deployer
