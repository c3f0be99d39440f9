#include "log_frames.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace orsa::runtime {
namespace {

using Stream = LogLine::Stream;

std::string frame(Stream stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = stream == Stream::kStderr ? 2 : 1;
  const auto size = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>(size >> 24);
  out[5] = static_cast<char>(size >> 16);
  out[6] = static_cast<char>(size >> 8);
  out[7] = static_cast<char>(size);
  return out + std::string(payload);
}

struct Collected {
  std::vector<LogLine> lines;
  LogFrameDecoder::LineSink sink() {
    return [this](const LogLine& line) {
      lines.push_back(line);
      return true;
    };
  }
};

// Feeds `bytes` in pieces of the given sizes (the last piece takes the rest).
std::vector<LogLine> decode(std::string_view bytes, std::vector<std::size_t> cuts,
                            bool timestamps = true, LogFrameDecoder::Limits limits = {}) {
  LogFrameDecoder decoder(timestamps, limits);
  Collected out;
  std::size_t pos = 0;
  for (const std::size_t cut : cuts) {
    const auto ok = decoder.feed(bytes.substr(pos, cut - pos), out.sink());
    EXPECT_TRUE(ok.has_value() && *ok);
    pos = cut;
  }
  const auto ok = decoder.feed(bytes.substr(pos), out.sink());
  EXPECT_TRUE(ok.has_value() && *ok);
  EXPECT_TRUE(decoder.finish(out.sink()).has_value());
  return out.lines;
}

const std::string kSample =
    frame(Stream::kStdout, "2026-11-27T20:18:50.859916332Z out1\n") +
    frame(Stream::kStderr, "2026-11-27T20:18:51Z err1\n2026-11-27T20:18:52Z err2\n") +
    frame(Stream::kStdout, "2026-11-27T20:18:53Z out") + frame(Stream::kStdout, "2\n");

void expect_sample(const std::vector<LogLine>& lines) {
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "out1");
  EXPECT_EQ(lines[0].stream, Stream::kStdout);
  EXPECT_EQ(lines[0].at_ns, 1795810730LL * 1'000'000'000 + 859916332);
  EXPECT_EQ(lines[1].text, "err1");
  EXPECT_EQ(lines[1].stream, Stream::kStderr);
  EXPECT_EQ(lines[1].at_ns, 1795810731LL * 1'000'000'000);
  EXPECT_EQ(lines[2].text, "err2");
  EXPECT_EQ(lines[3].text, "out2");
  EXPECT_EQ(lines[3].stream, Stream::kStdout);
  EXPECT_EQ(lines[3].at_ns, 1795810733LL * 1'000'000'000);
}

TEST(LogFrameDecoder, DecodesWholeStream) {
  expect_sample(decode(kSample, {}));
}

TEST(LogFrameDecoder, SplitAtEveryByteGivesTheSameLines) {
  for (std::size_t cut = 0; cut <= kSample.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_sample(decode(kSample, {cut}));
  }
}

TEST(LogFrameDecoder, OneByteAtATime) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kSample.size(); ++i) cuts.push_back(i);
  expect_sample(decode(kSample, cuts));
}

TEST(LogFrameDecoder, InterleavedStreamsKeepTheirOwnPartialLines) {
  const std::string bytes = frame(Stream::kStdout, "2026-01-01T00:00:00Z hel") +
                            frame(Stream::kStderr, "2026-01-01T00:00:01Z oops\n") +
                            frame(Stream::kStdout, "lo\n");
  const auto lines = decode(bytes, {});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].stream, Stream::kStderr);
  EXPECT_EQ(lines[0].text, "oops");
  EXPECT_EQ(lines[1].stream, Stream::kStdout);
  EXPECT_EQ(lines[1].text, "hello");
  EXPECT_EQ(lines[1].at_ns, 1767225600LL * 1'000'000'000);
}

// Podman splits a line across frames, each with its own timestamp.
TEST(LogFrameDecoder, ALineSplitAcrossStampedFramesLosesTheInnerStamps) {
  const std::string bytes = frame(Stream::kStdout, "2026-01-01T00:00:00.5Z tick 55") +
                            frame(Stream::kStdout, "2026-01-01T00:00:01Z \n") +
                            frame(Stream::kStdout, "2026-01-01T00:00:02Z tick") +
                            frame(Stream::kStdout, "2026-01-01T00:00:03.123456789Z  56\n") +
                            frame(Stream::kStdout, "2026-01-01T00:00:04Z a") +
                            frame(Stream::kStdout, "not-a-stamp b\n");
  for (std::size_t chunk : {bytes.size(), std::size_t{1}, std::size_t{7}}) {
    LogFrameDecoder decoder(true);
    std::vector<LogLine> lines;
    const auto sink = [&](const LogLine& l) {
      lines.push_back(l);
      return true;
    };
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      ASSERT_TRUE(decoder.feed(std::string_view(bytes).substr(at, chunk), sink));
    }
    ASSERT_TRUE(decoder.finish(sink));
    ASSERT_EQ(lines.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(lines[0].text, "tick 55");
    EXPECT_EQ(lines[1].text, "tick 56");
    EXPECT_EQ(lines[2].text, "anot-a-stamp b");
  }
}

TEST(LogFrameDecoder, PartialFinalLineIsEmittedAtFinish) {
  const std::string bytes = frame(Stream::kStdout, "2026-01-01T00:00:00Z done\n") +
                            frame(Stream::kStderr, "2026-01-01T00:00:00Z no newline");
  const auto lines = decode(bytes, {});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].text, "no newline");
  EXPECT_EQ(lines[1].stream, Stream::kStderr);
}

TEST(LogFrameDecoder, StreamCutInsideAFrameKeepsWhatArrived) {
  const std::string bytes = frame(Stream::kStdout, "2026-01-01T00:00:00Z truncated line\n");
  const auto lines = decode(std::string_view(bytes).substr(0, bytes.size() - 6), {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "truncated");
}

TEST(LogFrameDecoder, WithoutTimestampsTextIsKept) {
  const auto lines = decode(frame(Stream::kStdout, "a b\r\n\nc\n"), {}, false);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "a b");
  EXPECT_EQ(lines[0].at_ns, 0);
  EXPECT_EQ(lines[1].text, "");
  EXPECT_EQ(lines[2].text, "c");
}

TEST(LogFrameDecoder, LineWithoutValidTimestampHasZeroTime) {
  const auto lines = decode(frame(Stream::kStdout, "not-a-time hello\n"), {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "not-a-time hello");
  EXPECT_EQ(lines[0].at_ns, 0);
}

TEST(LogFrameDecoder, LongLineIsSplitAtTheLimitAndKeepsItsTimestamp) {
  const std::string text(25, 'x');
  const auto lines = decode(frame(Stream::kStdout, "2026-01-01T00:00:00Z " + text + "\nshort\n"),
                            {}, true, {.max_frame_bytes = 1024, .max_line_bytes = 31});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, std::string(10, 'x'));  // 31 bytes minus the 21-byte prefix
  EXPECT_EQ(lines[1].text, std::string(15, 'x'));
  EXPECT_EQ(lines[1].at_ns, lines[0].at_ns);
  EXPECT_EQ(lines[2].text, "short");
}

TEST(LogFrameDecoder, LineExactlyAtTheLimitIsOneLine) {
  const auto lines = decode(frame(Stream::kStdout, "abcd\nef\n"), {2, 12, 13}, false, {1024, 4});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "abcd");
  EXPECT_EQ(lines[1].text, "ef");
}

TEST(LogFrameDecoder, OversizedFrameIsAnError) {
  LogFrameDecoder decoder(true, {.max_frame_bytes = 16, .max_line_bytes = 64});
  Collected out;
  const auto result = decoder.feed(frame(Stream::kStdout, std::string(17, 'a')), out.sink());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTooLarge);
}

TEST(LogFrameDecoder, MalformedHeaderIsAnError) {
  LogFrameDecoder decoder(false);
  Collected out;
  const std::string bad("\x01\x00\x01\x00\x00\x00\x00\x01x", 9);
  EXPECT_FALSE(decoder.feed(bad, out.sink()).has_value());
  LogFrameDecoder raw(false);
  EXPECT_FALSE(raw.feed("plain text, not multiplexed\n", out.sink()).has_value());
}

TEST(LogFrameDecoder, SinkReturningFalseStopsDecoding) {
  LogFrameDecoder decoder(false);
  int calls = 0;
  const auto result = decoder.feed(frame(Stream::kStdout, "a\nb\nc\n"), [&](const LogLine&) {
    ++calls;
    return false;
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(*result);
  EXPECT_EQ(calls, 1);
}

TEST(ParseRfc3339, AcceptsDockerForms) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z")->seconds, 0);
  const auto t = parse_rfc3339("2026-11-27T20:18:50.859916332Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 1795810730);
  EXPECT_EQ(t->nanos, 859916332);
  EXPECT_EQ(parse_rfc3339("2026-11-27T21:18:50.5+01:00")->seconds, 1795810730);
  EXPECT_EQ(parse_rfc3339("2026-11-27T21:18:50.5+01:00")->nanos, 500000000);
  EXPECT_LT(parse_rfc3339("0001-01-01T00:00:00Z")->seconds, 0);
}

TEST(ParseRfc3339, RejectsOtherText) {
  EXPECT_FALSE(parse_rfc3339(""));
  EXPECT_FALSE(parse_rfc3339("2026-11-27 20:18:50Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T20:18:50"));
  EXPECT_FALSE(parse_rfc3339("2026-13-27T20:18:50Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T20:18:50.Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-27T20:18:50Zjunk"));
}

}  // namespace
}  // namespace orsa::runtime
