#include "cli/sse.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace orsa::cli {
namespace {

std::vector<SseEvent> parse_in_chunks(std::string_view stream, std::size_t chunk) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& e) { events.push_back(e); });
  for (std::size_t i = 0; i < stream.size(); i += chunk) parser.feed(stream.substr(i, chunk));
  return events;
}

TEST(SseParser, EventsSplitAnywhereComeOutWhole) {
  const std::string stream =
      "data: one\n\n: heartbeat\n\ndata: two\ndata: lines\n\nevent: end\ndata: {\"status\":"
      "\"succeeded\"}\n\n";
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    const auto events = parse_in_chunks(stream, chunk);
    ASSERT_EQ(events.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(events[0].event, "message");
    EXPECT_EQ(events[0].data, "one");
    EXPECT_EQ(events[1].data, "two\nlines");
    EXPECT_EQ(events[2].event, "end");
    EXPECT_EQ(events[2].data, R"({"status":"succeeded"})");
  }
}

TEST(SseParser, CrLfAndBareCrEndLinesOnce) {
  for (std::size_t chunk : {1u, 4u, 100u}) {
    const auto events = parse_in_chunks("data: a\r\ndata: b\r\r\ndata: c\r\rid: 7\n\n", chunk);
    ASSERT_EQ(events.size(), 2u) << "chunk " << chunk;
    EXPECT_EQ(events[0].data, "a\nb");
    EXPECT_EQ(events[1].data, "c");  // "id: 7" after the blank line has no data: no event
  }
}

TEST(SseParser, EmptyDataIsAnEventAndCommentsAreNot) {
  const auto events = parse_in_chunks(": only a comment\n\ndata:\n\ndata\n\n", 5);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[1].data, "");
}

TEST(SseParser, AnUnfinishedEventIsNotDispatched) {
  const auto events = parse_in_chunks("data: partial\n", 3);
  EXPECT_TRUE(events.empty());
}

}  // namespace
}  // namespace orsa::cli
