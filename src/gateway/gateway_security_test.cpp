#include "gateway_test_support.hpp"

namespace orsa::gateway {
namespace {

using namespace test_support;

// ---- attacks from a service page on ORSA's credentials and origin ----

TEST_F(GatewayTest, OrsaCookiesCsrfHeaderAuthorizationAndApiKeysNeverReachTheService) {
  // Every form below is one ORSA's own cookie parser reads (several Cookie
  // fields are joined with "; ", blanks around names are trimmed) or a
  // browser stores (__Host- under TLS, another letter case).
  http::Request as_orsa_reads;
  as_orsa_reads.headers["Cookie"] = "theme=dark; orsa_session=a; \torsa_csrf =b ;lang=en";
  ASSERT_EQ(as_orsa_reads.cookie("orsa_csrf"), "b");
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("GET /alice/shop/ HTTP/1.1\r\nHost: x\r\n"
             "Cookie: theme=dark; orsa_session=a\r\n"
             "cookie: \torsa_csrf =b ;lang=en\r\n"
             "COOKIE: ORSA_SESSION=c; __Host-orsa_session=d; __Secure-Orsa_Csrf=e\r\n"
             "X-CSRF-Token: t1\r\nx-csrf-token: t2\r\n"
             "Authorization: Bearer secret\r\nauthorization: Basic eDp5\r\n"
             "X-Api-Key: orsa_ck_secret\r\nx-api-key: k2\r\n"
             "Connection: close\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const Json headers = Json::parse(reply->body)["headers"];
  EXPECT_EQ(headers["cookie"], "theme=dark|lang=en");
  EXPECT_FALSE(headers.contains("x-csrf-token"));
  EXPECT_FALSE(headers.contains("authorization"));
  EXPECT_FALSE(headers.contains("x-api-key"));
  EXPECT_EQ(reply->body.find("orsa_"), std::string::npos) << reply->body;
  EXPECT_EQ(reply->body.find("ORSA_"), std::string::npos) << reply->body;
}

TEST_F(GatewayTest, ServiceWorkerScopeAndOrsaCookiesNeverReachTheBrowserAndPagesAreSandboxed) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    return ex.send_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        "Service-Worker-Allowed: /\r\nservice-worker-allowed: /api/\r\n"
        "Set-Cookie: orsa_csrf=forged; Path=/\r\n"
        "Set-Cookie: __Host-orsa_session=forged; Path=/; Secure\r\n"
        "Set-Cookie: theme=dark\r\n"
        "Content-Security-Policy: default-src 'self'\r\n"
        "Content-Length: 2\r\n\r\nok");
  });
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /alice/shop/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "ok");
  std::string head = reply->head;
  for (auto& ch : head) ch = static_cast<char>(std::tolower(ch));
  EXPECT_EQ(head.find("service-worker-allowed"), std::string::npos) << reply->head;
  // On the shared origin no cookie at all: it would reach every service and ORSA's host.
  EXPECT_EQ(head.find("set-cookie"), std::string::npos) << reply->head;
  // The service's own policy stays; the sandbox is added.
  EXPECT_NE(reply->head.find("Content-Security-Policy: default-src 'self'\r\n"), std::string::npos);
  EXPECT_NE(reply->head.find("Content-Security-Policy: " + std::string(kSandboxPolicy) + "\r\n"),
            std::string::npos)
      << reply->head;
  EXPECT_EQ(std::string(kSandboxPolicy).find("allow-same-origin"), std::string::npos);

  // The gateway's own answers are sandboxed too.
  auto missing = get("/alice/none/");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->headers["content-security-policy"], kSandboxPolicy);
}

TEST_F(GatewayTest, DomainModeRoutesByHostWithAnOriginPerService) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    return ex.send_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        "Set-Cookie: orsa_session=forged; Domain=apps.test\r\n"
        "Set-Cookie: theme=dark\r\n"
        "X-Seen: " +
        std::string(ex.req().target()) + " prefix=" + std::string(ex.req()["X-Forwarded-Prefix"]) +
        "\r\nContent-Length: 2\r\n\r\nok");
  });
  Options options = test_options();
  options.services_domain = "apps.test";
  start(options);
  table_.put(route(upstream.port()));

  auto r = get("/items?q=1", {{"Host", "shop--alice.apps.test:8443"}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->headers["x-seen"], "/items?q=1 prefix=");
  // Its own origin: its own cookies, but never ORSA's names; no sandbox needed.
  ASSERT_EQ(r->set_cookies.size(), 1u);
  EXPECT_EQ(r->set_cookies[0], "theme=dark");
  EXPECT_FALSE(r->headers.contains("content-security-policy"));

  for (const char* host : {"apps.test", "shop.apps.test", "shop--alice.evil.test",
                           "shop--alice.apps.test.evil.test", "x.shop--alice.apps.test"}) {
    auto other = get("/items", {{"Host", host}});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404) << host;
  }
  auto by_path = get("/alice/shop/items", {{"Host", "apps.test"}});
  ASSERT_TRUE(by_path);
  EXPECT_EQ(by_path->status, 404);
  EXPECT_EQ(upstream.requests(), 1);
}

TEST_F(GatewayTest, PrivateServicesAuthorizeByBearerTokenNeverByCookie) {
  RawUpstream upstream;
  std::atomic<int> with_cookie{0};
  Hooks hooks;
  hooks.admit = [&](const Route&, const http::Request& req) {
    if (req.header("Cookie")) ++with_cookie;
    return req.header("Authorization") == "Bearer good" ? Admission::allow() : Admission{};
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));
  // The browser sends ORSA's cookies to the services port too (cookies ignore ports).
  auto by_cookie = get("/alice/shop/", {{"Cookie", "orsa_session=valid; orsa_csrf=x"}});
  ASSERT_TRUE(by_cookie);
  EXPECT_EQ(by_cookie->status, 404);
  auto by_token = get("/alice/shop/", {{"Authorization", "Bearer good"}, {"Cookie", "a=1"}});
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->status, 200);
  EXPECT_EQ(with_cookie.load(), 0);
  EXPECT_EQ(upstream.requests(), 1);
}

TEST_F(GatewayTest, OnlyTheAppOriginGetsACorsGrantAndNeverWithCredentials) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::access_control_allow_origin, "*");
    res.set(bhttp::field::access_control_allow_credentials, "true");
    res.body() = "ok";
    return ex.send(std::move(res));
  });
  Options options = test_options();
  options.app_origin = "http://app.test:8080";
  start(options);
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));

  auto preflight = client_.request("OPTIONS", url("/alice/shop/solve"),
                                   {{"Origin", "http://app.test:8080"},
                                    {"Access-Control-Request-Method", "POST"},
                                    {"Access-Control-Request-Headers", "authorization"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->headers["access-control-allow-origin"], "http://app.test:8080");
  EXPECT_NE(preflight->headers["access-control-allow-headers"].find("Authorization"),
            std::string::npos);
  EXPECT_FALSE(preflight->headers.contains("access-control-allow-credentials"));
  EXPECT_EQ(upstream.requests(), 0);

  table_.put(route(upstream.port()));
  auto app = get("/alice/shop/", {{"Origin", "http://app.test:8080"}});
  ASSERT_TRUE(app);
  EXPECT_EQ(app->headers["access-control-allow-origin"], "http://app.test:8080");
  EXPECT_FALSE(app->headers.contains("access-control-allow-credentials"));
  auto evil =
      client_.request("OPTIONS", url("/alice/shop/"),
                      {{"Origin", "http://evil.test"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(evil);
  EXPECT_NE(evil->headers["access-control-allow-origin"], "http://evil.test");
}

TEST(LegacyRedirect, OldServicePathsOnOrsasOriginOnlyRedirectKeepingTheMethod) {
  http::Router router;
  router.add("GET", "/healthz", [](http::Request&) { return http::text_response(200, "ok"); });
  http::Metrics metrics;
  http::ServerOptions server_options;
  server_options.port = 0;
  http::Server server(server_options, router, metrics);
  const ServiceUrls urls{.origin = "http://127.0.0.1:9"};
  mount_legacy_redirect(server, [&](std::string_view owner, std::string_view project) {
    return urls.url(owner, project);
  });
  auto port = server.start();
  ASSERT_TRUE(port);
  http::Client client{10s};
  const auto at = [&](std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(*port) + std::string(path);
  };
  auto get = client.request("GET", at("/s/alice/shop/items/1?q=a%20b"), {});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 308);
  EXPECT_EQ(get->headers["location"], "http://127.0.0.1:9/alice/shop/items/1?q=a%20b");
  // A script's POST with the cookies attached is not served here either.
  auto post = client.request("POST", at("/s/alice/shop/solve"),
                             {{"Cookie", "orsa_session=s; orsa_csrf=c"}}, "{}");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 308);
  EXPECT_EQ(post->headers["location"], "http://127.0.0.1:9/alice/shop/solve");
  EXPECT_FALSE(post->headers.contains("set-cookie"));
  auto bare = client.request("GET", at("/s/alice/shop?x=1"), {});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->headers["location"], "http://127.0.0.1:9/alice/shop/?x=1");
  auto bad = client.request("GET", at("/s/alice"), {});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
  auto health = client.request("GET", at("/healthz"), {});
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "ok");
  server.stop(0s);
  server.wait();
}

}  // namespace
}  // namespace orsa::gateway
