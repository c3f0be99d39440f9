#include "http/sse.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orsa::http {
namespace {

TEST(Sse, AnEventIsItsDataLineAndABlankLine) {
  EXPECT_EQ(sse_event("hello"), "data: hello\n\n");
  EXPECT_EQ(sse_event(R"({"id":"b_1"})", {.event = "end"}),
            "event: end\ndata: {\"id\":\"b_1\"}\n\n");
  EXPECT_EQ(sse_event("x", {.event = "log", .id = "42"}), "event: log\nid: 42\ndata: x\n\n");
}

TEST(Sse, MultiLineDataBecomesSeveralDataLines) {
  EXPECT_EQ(sse_event("one\ntwo\nthree"), "data: one\ndata: two\ndata: three\n\n");
  // A trailing line break is kept: the client joins the lines with LF.
  EXPECT_EQ(sse_event("line\n"), "data: line\ndata: \n\n");
  EXPECT_EQ(sse_event("a\n\nb"), "data: a\ndata: \ndata: b\n\n");
}

TEST(Sse, CarriageReturnsEndLinesTooSoNoneReachesTheWireBare) {
  // A bare CR is a line end to an event-stream parser: left in, it would cut
  // the data and turn the rest into a field of its own ("event: x").
  EXPECT_EQ(sse_event("progress 10%\revent: x"), "data: progress 10%\ndata: event: x\n\n");
  EXPECT_EQ(sse_event("windows\r\nline"), "data: windows\ndata: line\n\n");
  EXPECT_EQ(sse_event("\r\r\n\n"), "data: \ndata: \ndata: \ndata: \n\n");
  const std::string frame = sse_event("a\rb\r\nc\nd");
  EXPECT_EQ(frame.find('\r'), std::string::npos);
  // Only the final blank line dispatches: no "\n\n" before the end.
  EXPECT_EQ(frame.find("\n\n"), frame.size() - 2);
}

TEST(Sse, EmptyDataIsOneEmptyDataLine) {
  EXPECT_EQ(sse_event(""), "data: \n\n");
  EXPECT_EQ(sse_event("", {.event = "end"}), "event: end\ndata: \n\n");
}

TEST(Sse, EventNamesAndIdsCannotBreakTheFrame) {
  EXPECT_EQ(sse_event("d", {.event = "e\r\nnd", .id = std::string_view("4\n2\0", 4)}),
            "event: end\nid: 42\ndata: d\n\n");
}

TEST(Sse, CommentsAndHeartbeats) {
  EXPECT_EQ(sse_heartbeat(), ": heartbeat\n\n");
  EXPECT_EQ(sse_comment("two\nlines"), ": two\n: lines\n\n");
  EXPECT_EQ(sse_comment(""), ": \n\n");
}

TEST(Sse, TheResponseIsAnUncachedUnbufferedEventStream) {
  const Response res = sse_response();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("Content-Type").value_or(""), "text/event-stream");
  EXPECT_EQ(res.header("Cache-Control").value_or(""), "no-cache");
  EXPECT_EQ(res.header("X-Accel-Buffering").value_or(""), "no");
  EXPECT_TRUE(res.body.empty());
}

}  // namespace
}  // namespace orsa::http
