#include "http/message.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace orsa::http {
namespace {

TEST(ErrorResponse, MapsCodesToStatuses) {
  EXPECT_EQ(status_for(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(status_for(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(status_for(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(status_for(ErrorCode::kNotFound), 404);
  EXPECT_EQ(status_for(ErrorCode::kConflict), 409);
  EXPECT_EQ(status_for(ErrorCode::kTooLarge), 413);
  EXPECT_EQ(status_for(ErrorCode::kUnprocessable), 422);
  EXPECT_EQ(status_for(ErrorCode::kRateLimited), 429);
  EXPECT_EQ(status_for(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(status_for(ErrorCode::kInternal), 500);
}

TEST(ErrorResponse, WritesJsonErrorBody) {
  const Response r = error_response(Error::not_found("project \"x\" not found"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/json");
  const Json j = Json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["message"], "project \"x\" not found");
  EXPECT_FALSE(j["error"].contains("current_head"));
}

TEST(ErrorResponse, AddsCurrentHeadToConflicts) {
  const Json j = Json::parse(error_response(Error::conflict("stale", "abc123")).body);
  EXPECT_EQ(j["error"]["current_head"], "abc123");
  const Json plain = Json::parse(error_response(Error::conflict("dup")).body);
  EXPECT_FALSE(plain["error"].contains("current_head"));
}

TEST(ErrorResponse, AddsAuthAndRetryHeaders) {
  EXPECT_EQ(error_response(Error::unauthenticated("no token")).header("WWW-Authenticate"),
            "Bearer");
  EXPECT_EQ(error_response(Error::rate_limited("slow down", 7)).header("Retry-After"), "7");
  Error no_hint = Error::rate_limited("slow down", 0);
  no_hint.retry_after_s.reset();
  EXPECT_FALSE(error_response(no_hint).header("Retry-After"));
}

TEST(ErrorResponse, SurvivesInvalidUtf8) {
  const Response r = error_response(Error::invalid_argument("bad \xff byte"));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(Json::parse(r.body, nullptr, false).is_discarded());
}

TEST(Response, SetHeaderReplacesCaseInsensitively) {
  Response r = text_response(200, "hi");
  r.set_header("content-type", "text/html");
  r.add_header("Set-Cookie", "a=1");
  r.add_header("Set-Cookie", "b=2");
  EXPECT_EQ(r.header("Content-Type"), "text/html");
  EXPECT_EQ(r.headers.size(), 3u);
  EXPECT_FALSE(r.header("X-Missing"));
}

TEST(Request, ReadsHeadersCookiesParamsAndQuery) {
  Request r;
  r.headers.emplace("Cookie", "theme=dark; orsa_session=\"tok\" ;  empty=; junk");
  r.headers.emplace("X-Thing", "1");
  r.params["id"] = "b_1";
  r.query["page"] = "2";
  EXPECT_EQ(r.header("x-thing"), "1");
  EXPECT_EQ(r.cookie("orsa_session"), "tok");
  EXPECT_EQ(r.cookie("theme"), "dark");
  EXPECT_EQ(r.cookie("empty"), "");
  EXPECT_FALSE(r.cookie("junk"));
  EXPECT_FALSE(r.cookie("session"));
  EXPECT_EQ(r.param("id"), "b_1");
  EXPECT_EQ(r.param("nope"), "");
  EXPECT_EQ(r.query_param("page"), "2");
  EXPECT_FALSE(r.query_param("size"));
}

TEST(Request, CookieWithoutHeaderIsAbsent) {
  Request r;
  EXPECT_FALSE(r.cookie("a"));
}

}  // namespace
}  // namespace orsa::http
