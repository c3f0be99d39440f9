#include "log_frames.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace orsa::runtime {
namespace {

constexpr std::size_t kHeaderBytes = 8;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic
// Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  const char* first = text.data() + pos;
  if (!std::all_of(first, first + count, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::from_chars(first, first + count, out).ec == std::errc{};
}

}  // namespace

std::optional<RfcTime> parse_rfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, hour) || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int off_h = 0, off_m = 0;
    if (!read_digits(text, pos + 1, 2, off_h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, off_m)) {
      return std::nullopt;
    }
    offset_seconds = (off_h * 3600 + off_m * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return RfcTime{seconds, static_cast<std::int32_t>(nanos)};
}

LogFrameDecoder::LogFrameDecoder(bool timestamps, Limits limits)
    : timestamps_(timestamps), limits_(limits) {
  limits_.max_line_bytes = std::max<std::size_t>(limits_.max_line_bytes, 1);
}

Result<bool> LogFrameDecoder::feed(std::string_view bytes, const LineSink& sink) {
  while (!bytes.empty()) {
    if (frame_remaining_ == 0) {
      const std::size_t take = std::min(kHeaderBytes - header_.size(), bytes.size());
      header_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (header_.size() < kHeaderBytes) break;
      const auto type = static_cast<unsigned char>(header_[0]);
      if (type > 2 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        return fail(Error::internal("malformed container log stream (bad frame header)"));
      }
      std::size_t size = 0;
      for (std::size_t i = 4; i < kHeaderBytes; ++i) {
        size = (size << 8) | static_cast<unsigned char>(header_[i]);
      }
      if (size > limits_.max_frame_bytes) {
        return fail(Error::too_large("container log frame of " + std::to_string(size) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits_.max_frame_bytes)));
      }
      // Type 0 (stdin) only appears with attached stdin; treat it as stdout.
      frame_stream_ = type == 2 ? LogLine::Stream::kStderr : LogLine::Stream::kStdout;
      frame_remaining_ = size;
      frame_start_ = timestamps_;
      header_.clear();
      continue;
    }
    const std::size_t take = std::min(frame_remaining_, bytes.size());
    frame_remaining_ -= take;
    std::string_view chunk = bytes.substr(0, take);
    bytes.remove_prefix(take);
    if (frame_start_ && !take_frame_stamp(chunk, sink)) return false;
    if (!append_payload(chunk, sink)) return false;
    if (frame_remaining_ == 0 && frame_start_ && !release_frame_stamp(sink, false)) return false;
  }
  return true;
}

// Each frame starts with its own timestamp. One that continues a line the
// engine split (podman does, when a model's write reaches it in pieces) would
// leave that timestamp in the middle of the line: it is dropped here. A frame
// that starts a line keeps it, for emit() to read.
bool LogFrameDecoder::take_frame_stamp(std::string_view& chunk, const LineSink& sink) {
  constexpr std::size_t kMaxStampBytes = 40;  // "2026-11-27T20:18:50.859916332+00:00"
  const PartialLine& partial = frame_stream_ == LogLine::Stream::kStderr ? stderr_ : stdout_;
  if (partial.text.empty() && !partial.continued) {
    frame_start_ = false;
    return true;
  }
  const std::size_t space = chunk.find(' ');
  const std::string_view part = chunk.substr(0, space);
  if (frame_stamp_.size() + part.size() > kMaxStampBytes) return release_frame_stamp(sink, false);
  frame_stamp_.append(part);
  if (space == std::string_view::npos) {
    chunk = {};
    return true;
  }
  chunk.remove_prefix(space + 1);
  if (parse_rfc3339(frame_stamp_)) {
    frame_start_ = false;
    frame_stamp_.clear();
    return true;
  }
  return release_frame_stamp(sink, true);
}

// What looked like a timestamp was text after all: it goes to the line.
bool LogFrameDecoder::release_frame_stamp(const LineSink& sink, bool with_space) {
  frame_start_ = false;
  std::string held = std::exchange(frame_stamp_, {});
  if (with_space) held += ' ';
  return append_payload(held, sink);
}

Result<bool> LogFrameDecoder::finish(const LineSink& sink) {
  // A stream cut inside a frame (container removed, follow aborted) still
  // yields what arrived.
  header_.clear();
  frame_remaining_ = 0;
  if (!stdout_.text.empty() && !emit(LogLine::Stream::kStdout, stdout_, true, sink)) return false;
  if (!stderr_.text.empty() && !emit(LogLine::Stream::kStderr, stderr_, true, sink)) return false;
  return true;
}

bool LogFrameDecoder::append_payload(std::string_view payload, const LineSink& sink) {
  PartialLine& partial = frame_stream_ == LogLine::Stream::kStderr ? stderr_ : stdout_;
  while (!payload.empty()) {
    const std::size_t newline = payload.find('\n');
    const std::size_t segment = newline == std::string_view::npos ? payload.size() : newline;
    const std::size_t room = limits_.max_line_bytes - partial.text.size();
    if (segment > room) {
      // The line is longer than the limit: emit it in pieces, memory stays bounded.
      partial.text.append(payload.substr(0, room));
      payload.remove_prefix(room);
      if (!emit(frame_stream_, partial, false, sink)) return false;
      continue;
    }
    partial.text.append(payload.substr(0, segment));
    if (newline == std::string_view::npos) break;
    payload.remove_prefix(segment + 1);
    if (!emit(frame_stream_, partial, true, sink)) return false;
  }
  return true;
}

bool LogFrameDecoder::emit(LogLine::Stream stream, PartialLine& partial, bool complete,
                           const LineSink& sink) {
  LogLine line;
  line.stream = stream;
  std::string_view text = partial.text;
  if (!partial.continued) {
    partial.at_ns = 0;
    const std::size_t space = text.find(' ');
    if (timestamps_ && space != std::string_view::npos) {
      if (const auto at = parse_rfc3339(text.substr(0, space))) {
        partial.at_ns = at->seconds * kNanosPerSecond + at->nanos;
        text.remove_prefix(space + 1);
      }
    }
  }
  if (complete && !text.empty() && text.back() == '\r') text.remove_suffix(1);
  line.at_ns = partial.at_ns;
  line.text = std::string(text);
  partial.text.clear();
  partial.continued = !complete;
  return sink(line);
}

}  // namespace orsa::runtime
