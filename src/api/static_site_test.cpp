#include "api/static_site.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/temp_dir.hpp"

namespace orsa::api {
namespace {

namespace fs = std::filesystem;

const std::string kIndex = "<!doctype html><div id=root></div><script src=/assets/app-1a2b.js>";

void write(const fs::path& file, std::string_view bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

http::Request get(std::string path, http::Headers headers = {}) {
  http::Request req;
  req.method = "GET";
  req.path = std::move(path);
  req.headers = std::move(headers);
  return req;
}

std::string header(const http::Response& res, std::string_view name) {
  return std::string(res.header(name).value_or(""));
}

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dist() / "index.html", kIndex);
    write(dist() / "assets/app-1a2b.js", "console.log(1)");
    write(dist() / "assets/app-1a2b.css", "body{}");
    write(dist() / "assets/app-1a2b.js.map", "{}");
    write(dist() / "favicon.ico", "ico");
    write(dist() / "logo.svg", "<svg/>");
    write(dist() / "fonts/x.woff2", "woff");
  }
  fs::path dist() const { return tmp_.path() / "dist"; }
  StaticSite site(std::size_t max_file = 1024 * 1024, std::size_t max_total = 32 * 1024 * 1024) {
    return StaticSite(StaticSiteOptions{
        .dir = dist(), .max_cached_file_bytes = max_file, .max_cache_bytes = max_total});
  }

  TempDir tmp_{"orsa-static-site"};
};

TEST_F(StaticSiteTest, ServicesMayBeCalledButNeverRunScriptsInTheApp) {
  const StaticSite s(StaticSiteOptions{
      .dir = dist(), .service_origins = [] { return std::string("http://127.0.0.1:8081"); }});
  const auto csp = header(s.serve(get("/")), "Content-Security-Policy");
  EXPECT_NE(csp.find("connect-src 'self' http://127.0.0.1:8081;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("/s/"), std::string::npos) << csp;
  EXPECT_LT(csp.find("8081"), csp.find("object-src")) << csp;
}

TEST_F(StaticSiteTest, ServesFilesWithTypesAndSecurityHeaders) {
  const auto s = site();
  EXPECT_TRUE(s.built());
  const std::pair<const char*, const char*> types[] = {
      {"/assets/app-1a2b.js", "text/javascript; charset=utf-8"},
      {"/assets/app-1a2b.css", "text/css; charset=utf-8"},
      {"/assets/app-1a2b.js.map", "application/json"},
      {"/favicon.ico", "image/x-icon"},
      {"/logo.svg", "image/svg+xml"},
      {"/fonts/x.woff2", "font/woff2"},
      {"/index.html", "text/html; charset=utf-8"},
  };
  for (const auto& [path, type] : types) {
    auto res = s.serve(get(path));
    EXPECT_EQ(res.status, 200) << path;
    EXPECT_EQ(header(res, "Content-Type"), type) << path;
    EXPECT_EQ(header(res, "X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(header(res, "Referrer-Policy"), "same-origin") << path;
    const auto csp = header(res, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("style-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
    EXPECT_EQ(header(res, "ETag").front(), '"') << path;
  }
  auto js = s.serve(get("/assets/app-1a2b.js"));
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(s.serve(get("/favicon.ico")), "Cache-Control"), "no-cache");
}

TEST_F(StaticSiteTest, ClientRoutesGetIndexHtmlButMissingAssetsAre404) {
  const auto s = site();
  for (const char* path : {"/", "/projects/alice/knapsack", "/login", "/deep/er/"}) {
    auto res = s.serve(get(path));
    EXPECT_EQ(res.status, 200) << path;
    EXPECT_EQ(res.body, kIndex) << path;
    EXPECT_EQ(header(res, "Cache-Control"), "no-cache") << path;
    EXPECT_EQ(header(res, "Content-Type"), "text/html; charset=utf-8") << path;
  }
  auto missing = s.serve(get("/assets/app-old.js"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("not_found"), std::string::npos);
}

TEST_F(StaticSiteTest, IfNoneMatchRevalidates) {
  const auto s = site();
  const auto etag = header(s.serve(get("/assets/app-1a2b.js")), "ETag");
  for (const std::string& given : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto res = s.serve(get("/assets/app-1a2b.js", {{"If-None-Match", given}}));
    EXPECT_EQ(res.status, 304) << given;
    EXPECT_TRUE(res.body.empty());
    EXPECT_EQ(header(res, "ETag"), etag);
    EXPECT_EQ(header(res, "Cache-Control"), "public, max-age=31536000, immutable");
  }
  EXPECT_EQ(s.serve(get("/assets/app-1a2b.js", {{"If-None-Match", "\"stale\""}})).status, 200);
  EXPECT_NE(header(s.serve(get("/logo.svg")), "ETag"), etag);
}

TEST_F(StaticSiteTest, NeverServesDotfilesOrFilesOutsideTheDirectory) {
  write(dist() / ".env", "SECRET=1");
  write(dist() / ".git/config", "SECRET=2");
  write(dist() / "assets/.hidden.js", "SECRET=3");
  write(tmp_.path() / "outside.txt", "SECRET=4");
  fs::create_symlink(tmp_.path() / "outside.txt", dist() / "leak.txt");
  fs::create_directory_symlink(tmp_.path(), dist() / "up");
  fs::create_symlink(dist() / "logo.svg", dist() / "alias.svg");
  const auto s = site();
  for (const char* path : {"/.env", "/.git/config", "/assets/.hidden.js", "/../outside.txt",
                           "/assets/../../outside.txt", "/leak.txt", "/up/outside.txt",
                           "/up/dist/index.html", "/./index.html"}) {
    auto res = s.serve(get(path));
    EXPECT_EQ(res.body.find("SECRET"), std::string::npos) << path;
    EXPECT_TRUE(res.status == 404 || res.body == kIndex) << path << ": " << res.status;
  }
  EXPECT_EQ(s.serve(get("/.env")).status, 404);
  EXPECT_EQ(s.serve(get("/../outside.txt")).status, 404);
  // A link that stays inside the directory is an ordinary file.
  EXPECT_EQ(s.serve(get("/alias.svg")).body, "<svg/>");
}

TEST_F(StaticSiteTest, CacheIsBoundedAndLargerFilesAreReadPerRequest) {
  write(dist() / "assets/big-1.js", std::string(4096, 'x'));
  const auto s = site(/*max_file=*/1024, /*max_total=*/64);
  EXPECT_LE(s.cached_bytes(), 64u);
  auto big = s.serve(get("/assets/big-1.js"));
  EXPECT_EQ(big.status, 200);
  EXPECT_EQ(big.body.size(), 4096u);
  const auto etag = header(big, "ETag");
  EXPECT_EQ(s.serve(get("/assets/big-1.js", {{"If-None-Match", etag}})).status, 304);
  EXPECT_EQ(s.serve(get("/")).body, kIndex);

  const auto roomy = site();
  EXPECT_EQ(roomy.cached_bytes(), kIndex.size() + 14 + 6 + 2 + 3 + 6 + 4 + 4096);
}

TEST(StaticSite, WithoutABuildExplainsHowToBuild) {
  const StaticSite s(StaticSiteOptions{.dir = "/nonexistent/orsa/web/dist"});
  EXPECT_FALSE(s.built());
  for (const char* path : {"/", "/projects"}) {
    auto res = s.serve(get(path));
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(header(res, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(res.body.find("not built"), std::string::npos);
    EXPECT_NE(res.body.find("make run"), std::string::npos);
    EXPECT_NE(res.body.find("--web-dir"), std::string::npos);
  }
}

// Routes as the deployer registers them, next to a few API-like routes.
class StaticSiteRoutes : public StaticSiteTest {
 protected:
  void SetUp() override {
    StaticSiteTest::SetUp();
    const auto ok = [](http::Request&) { return http::text_response(200, "api"); };
    router_.add("GET", "/api/v1/me", ok);
    router_.add("POST", "/api/v1/auth/login", ok);
    router_.add("GET", "/healthz", ok);
    router_.add("GET", "/v2/{owner}/{project}/tags/list", ok);
    register_static_site_routes(
        router_, std::make_shared<const StaticSite>(StaticSiteOptions{.dir = dist()}));
  }
  http::Response call(std::string method, std::string path) {
    auto match = router_.match(method, path);
    if (match.handler == nullptr)
      return http::text_response(match.method_not_allowed ? 405 : 404, "");
    http::Request req = get(std::move(path));
    req.method = std::move(method);
    req.params = match.params;
    return (*match.handler)(req);
  }
  http::Router router_;
};

TEST_F(StaticSiteRoutes, ApiPathsKeepTheirJsonErrors) {
  EXPECT_EQ(call("GET", "/api/v1/me").body, "api");
  EXPECT_EQ(call("GET", "/").body, kIndex);
  EXPECT_EQ(call("GET", "/settings/tokens").body, kIndex);
  EXPECT_EQ(call("HEAD", "/settings/tokens").status, 200);
  for (const char* path : {"/api/v1/nope", "/api", "/api/", "/v2/a/b/c/d", "/s", "/s/alice/app/x",
                           "/healthz/x", "/readyz", "/metrics/x", "/api/v1/me/x"}) {
    auto res = call("GET", path);
    EXPECT_EQ(res.status, 404) << path;
    EXPECT_EQ(header(res, "Content-Type"), "application/json") << path;
    EXPECT_NE(res.body.find("no route for path"), std::string::npos) << path;
  }
  for (const char* path : {"/sx", "/apix", "/v2x/page", "/metricsboard"}) {
    EXPECT_EQ(call("GET", path).body, kIndex) << path;
  }
}

TEST_F(StaticSiteRoutes, WrongMethodsAnswerAsWithoutTheCatchAll) {
  auto get_login = call("GET", "/api/v1/auth/login");
  EXPECT_EQ(get_login.status, 405);
  EXPECT_EQ(header(get_login, "Allow"), "POST");
  auto post_me = call("POST", "/api/v1/me");
  EXPECT_EQ(post_me.status, 405);
  EXPECT_EQ(header(post_me, "Allow"), "GET, HEAD");
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_EQ(call(method, "/api/v1/nope").status, 404) << method;
    EXPECT_EQ(call(method, "/settings").status, 404) << method;
  }
}

}  // namespace
}  // namespace orsa::api
