#include "http/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace orsa::http {
namespace {

Handler answer(int status) {
  return [status](Request&) { return text_response(status, ""); };
}

int run(const Router::Match& m) {
  Request r;
  return (*m.handler)(r).status;
}

TEST(Router, MatchesLiteralRoute) {
  Router router;
  router.add("GET", "/healthz", answer(200));
  const auto m = router.match("GET", "/healthz");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/healthz");
  EXPECT_TRUE(m.params.empty());
  EXPECT_EQ(run(m), 200);
}

TEST(Router, CapturesParameters) {
  Router router;
  router.add("GET", "/api/v1/projects/{owner}/{name}", answer(200));
  const auto m = router.match("GET", "/api/v1/projects/alice/knap sack");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/v1/projects/{owner}/{name}");
  EXPECT_EQ(m.params.at("owner"), "alice");
  EXPECT_EQ(m.params.at("name"), "knap sack");
}

TEST(Router, TailCaptureTakesTheRestOfThePath) {
  Router router;
  router.add("GET", "/p/{owner}/{name}/files/{path...}", answer(200));
  const auto m = router.match("GET", "/p/a/b/files/src/app/main.py");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("path"), "src/app/main.py");
  EXPECT_EQ(m.params.at("owner"), "a");
  // The tail needs at least one segment.
  EXPECT_EQ(router.match("GET", "/p/a/b/files").handler, nullptr);
  EXPECT_EQ(router.match("GET", "/p/a/b/files/").handler, nullptr);
}

TEST(Router, LiteralSegmentsBeatParameters) {
  Router router;
  router.add("GET", "/builds/{id}", answer(201));
  router.add("GET", "/builds/new", answer(202));
  EXPECT_EQ(run(router.match("GET", "/builds/new")), 202);
  EXPECT_EQ(run(router.match("GET", "/builds/b_123")), 201);
  EXPECT_EQ(router.match("GET", "/builds/b_123").params.at("id"), "b_123");
}

TEST(Router, BacktracksFromALiteralDeadEnd) {
  Router router;
  router.add("GET", "/a/b/c", answer(201));
  router.add("GET", "/a/{x}/d", answer(202));
  const auto m = router.match("GET", "/a/b/d");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(run(m), 202);
  EXPECT_EQ(m.params.at("x"), "b");
}

TEST(Router, ParameterBeatsTail) {
  Router router;
  router.add("GET", "/f/{rest...}", answer(201));
  router.add("GET", "/f/{one}", answer(202));
  EXPECT_EQ(run(router.match("GET", "/f/x")), 202);
  EXPECT_EQ(run(router.match("GET", "/f/x/y")), 201);
}

TEST(Router, ReportsMethodNotAllowedWithAllow) {
  Router router;
  router.add("GET", "/api/v1/tokens", answer(200));
  router.add("POST", "/api/v1/tokens", answer(201));
  const auto m = router.match("DELETE", "/api/v1/tokens");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.method_not_allowed);
  EXPECT_EQ(m.allow, "GET, POST, HEAD");
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.add("GET", "/x", answer(200));
  const auto m = router.match("HEAD", "/x");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/x");
}

TEST(Router, NoMatch) {
  Router router;
  router.add("GET", "/a/b", answer(200));
  router.add("GET", "/", answer(200));
  for (const char* path : {"/a", "/a/b/", "/a/b/c", "/b", "", "a/b", "/a//b"}) {
    const auto m = router.match("GET", path);
    EXPECT_EQ(m.handler, nullptr) << path;
    EXPECT_FALSE(m.method_not_allowed) << path;
  }
  EXPECT_NE(router.match("GET", "/").handler, nullptr);
}

TEST(Router, EmptySegmentDoesNotMatchAParameter) {
  Router router;
  router.add("GET", "/u/{id}", answer(200));
  EXPECT_EQ(router.match("GET", "/u/").handler, nullptr);
}

TEST(Router, ListsEveryRoute) {
  Router router;
  router.add("GET", "/a", answer(200));
  router.add("POST", "/a", answer(200));
  router.add("DELETE", "/b/{id}", answer(200));
  const auto routes = router.routes();
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_TRUE(std::ranges::any_of(
      routes, [](const RouteInfo& r) { return r.method == "DELETE" && r.pattern == "/b/{id}"; }));
}

TEST(Router, RejectsDuplicatesAndBadPatterns) {
  Router router;
  router.add("GET", "/a/{x}", answer(200));
  EXPECT_THROW(router.add("GET", "/a/{x}", answer(200)), std::logic_error);
  EXPECT_THROW(router.add("GET", "/a/{y}", answer(200)), std::logic_error);
  EXPECT_THROW(router.add("GET", "no-slash", answer(200)), std::logic_error);
  EXPECT_THROW(router.add("GET", "/t/{rest...}/more", answer(200)), std::logic_error);
  EXPECT_THROW(router.add("GET", "/t/{}", answer(200)), std::logic_error);
}

TEST(Router, KeepsPerRouteOptions) {
  Router router;
  router.add("PUT", "/upload", answer(200), RouteOptions{.body_limit = 42});
  const auto m = router.match("PUT", "/upload");
  ASSERT_NE(m.options, nullptr);
  EXPECT_EQ(m.options->body_limit, 42u);
}

}  // namespace
}  // namespace orsa::http
