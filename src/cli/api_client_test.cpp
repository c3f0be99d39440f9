#include "cli/api_client.hpp"

#include <gtest/gtest.h>

namespace orsa::cli {
namespace {

TEST(ApiClient, ServerErrorsReadAsOneLineWithStatusAndRequestId) {
  const ApiResponse conflict{
      .status = 409,
      .body = R"({"error":{"code":"conflict","message":"head moved","current_head":"abc123"}})",
      .request_id = "5f0c1d2e"};
  const Error error = error_from_response(conflict);
  EXPECT_EQ(error.code, ErrorCode::kConflict);
  EXPECT_EQ(error.message, "head moved (HTTP 409, request id 5f0c1d2e)");
  EXPECT_EQ(error.current_head, "abc123");
}

TEST(ApiClient, StatusesMapToErrorCodes) {
  auto code = [](int status, std::string_view name) {
    return error_from_response(
               {.status = status,
                .body = R"({"error":{"code":")" + std::string(name) + R"(","message":"m"}})"})
        .code;
  };
  EXPECT_EQ(code(401, "unauthenticated"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(code(403, "permission_denied"), ErrorCode::kPermissionDenied);
  EXPECT_EQ(code(404, "not_found"), ErrorCode::kNotFound);
  EXPECT_EQ(code(413, "too_large"), ErrorCode::kTooLarge);
  // The server refusing a value is a failure of the thing asked, not a usage error.
  EXPECT_EQ(code(400, "invalid_argument"), ErrorCode::kUnprocessable);
  EXPECT_EQ(code(502, "x"), ErrorCode::kInternal);
}

TEST(ApiClient, ANonJsonErrorBodyBecomesItsFirstLine) {
  const Error error = error_from_response(
      {.status = 502, .body = "Bad Gateway\nupstream down\n", .request_id = ""});
  EXPECT_EQ(error.message, "Bad Gateway upstream down (HTTP 502)");
  EXPECT_EQ(error_from_response({.status = 500}).message, "the server answered 500 (HTTP 500)");
}

TEST(ApiClient, PathsAndQueriesAreEscaped) {
  EXPECT_EQ(escape_path("data/in put#1.json"), "data/in%20put%231.json");
  EXPECT_EQ(escape_path("caf\xc3\xa9.py"), "caf%C3%A9.py");
  EXPECT_EQ(escape_query("alice/knapsack"), "alice%2Fknapsack");
}

TEST(ApiClient, APagedListIsFollowedToItsEndByCursor) {
  std::vector<std::string> asked;
  const PageGetter pages = [&](const std::string& path) -> Result<Json> {
    asked.push_back(path);
    if (path.find("cursor=") == std::string::npos) {
      return Json{{"images", {1, 2}}, {"next_cursor", "17.img_a/b"}};
    }
    return Json{{"images", {3}}, {"next_cursor", nullptr}};
  };
  auto all = fetch_all_pages(pages, "/api/v1/images", "images");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, Json({1, 2, 3}));
  EXPECT_EQ(asked, (std::vector<std::string>{"/api/v1/images?limit=500",
                                             "/api/v1/images?limit=500&cursor=17.img_a%2Fb"}));

  auto capped = fetch_all_pages(pages, "/api/v1/images", "images", 2);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().code, ErrorCode::kTooLarge);
  EXPECT_FALSE(fetch_all_pages(pages, "/api/v1/images", "projects"));
  const PageGetter failing = [](const std::string&) -> Result<Json> {
    return fail(Error::unavailable("connection refused"));
  };
  EXPECT_EQ(fetch_all_pages(failing, "/x", "images").error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orsa::cli
