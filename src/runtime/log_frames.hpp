#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime {

/// A point in time: unix seconds and the nanoseconds within that second.
struct RfcTime {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
};

/// Parses an RFC 3339 timestamp ("2024-05-01T10:00:00.123456789Z", "…+02:00");
/// nullopt if `text` is not one. Docker's "0001-01-01T00:00:00Z" (unset)
/// parses to a negative number of seconds.
std::optional<RfcTime> parse_rfc3339(std::string_view text);

/// Decodes Docker's multiplexed log stream (8-byte frame headers: stream type,
/// three zero bytes, big-endian payload size) into lines, incrementally: frames
/// and lines may be split anywhere across `feed` calls. With `timestamps`, each
/// line's leading RFC 3339 timestamp and space become `LogLine::at_ns`.
class LogFrameDecoder {
 public:
  /// Return false to stop decoding.
  using LineSink = std::function<bool(const LogLine&)>;

  struct Limits {
    std::size_t max_frame_bytes = 1024 * 1024;  // a larger frame header is an error
    std::size_t max_line_bytes = 64 * 1024;     // longer lines are split into pieces of this size
  };

  explicit LogFrameDecoder(bool timestamps) : LogFrameDecoder(timestamps, Limits{}) {}
  LogFrameDecoder(bool timestamps, Limits limits);

  /// Decodes `bytes`, calling `sink` for every completed line; false when the sink stopped.
  Result<bool> feed(std::string_view bytes, const LineSink& sink);
  /// Ends the stream: emits unterminated final lines; false when the sink stopped.
  Result<bool> finish(const LineSink& sink);

 private:
  struct PartialLine {
    std::string text;
    bool continued = false;  // text continues a line already emitted in pieces
    std::int64_t at_ns = 0;  // timestamp of the line the pieces belong to
  };

  bool append_payload(std::string_view payload, const LineSink& sink);
  bool take_frame_stamp(std::string_view& chunk, const LineSink& sink);
  bool release_frame_stamp(const LineSink& sink, bool with_space);
  bool emit(LogLine::Stream stream, PartialLine& partial, bool complete, const LineSink& sink);

  bool timestamps_;
  Limits limits_;
  std::string header_;               // bytes of the frame header read so far (< 8)
  std::size_t frame_remaining_ = 0;  // payload bytes of the current frame still to come
  LogLine::Stream frame_stream_ = LogLine::Stream::kStdout;
  bool frame_start_ = false;  // the current frame's leading timestamp is still to be read
  std::string frame_stamp_;   // what of it arrived so far
  PartialLine stdout_;
  PartialLine stderr_;
};

}  // namespace orsa::runtime
