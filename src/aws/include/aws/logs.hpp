#pragma once

// CloudWatch Logs as ORSA reads and writes it: a group per installation, a
// stream per deployment or run, events in batches within the service's
// limits, and reads page by page from either end.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_client.hpp"

namespace orsa::aws {

struct LogEvent {
  std::int64_t at_ms = 0;  // unix milliseconds
  std::string message;
};

struct LogPage {
  std::vector<LogEvent> events;
  std::string next_token;  // ask again with it for what follows; unchanged at the end
};

class LogsClient {
 public:
  /// Bytes of one PutLogEvents call, as the service counts them (26 per event).
  static constexpr std::size_t kMaxBatchBytes = 1'048'576;
  static constexpr std::size_t kMaxBatchEvents = 10'000;
  static constexpr std::size_t kEventOverheadBytes = 26;
  /// A longer message is cut to this many bytes (the service refuses it).
  static constexpr std::size_t kMaxMessageBytes = 256 * 1024 - kEventOverheadBytes;

  explicit LogsClient(JsonClientOptions options);

  /// Made, or already there.
  Result<void> ensure_group(std::string_view group);
  Result<void> ensure_stream(std::string_view group, std::string_view stream);
  /// Sends `events` in as many calls as the limits need, each in time order.
  Result<void> put(std::string_view group, std::string_view stream, std::vector<LogEvent> events);
  /// Up to `limit` events from the start (`from_head`) or the end; `token` from a previous page.
  Result<LogPage> read(std::string_view group, std::string_view stream, bool from_head,
                       std::string_view token, int limit) const;

 private:
  Result<void> put_batch(std::string_view group, std::string_view stream,
                         const std::vector<LogEvent>& batch);

  JsonClient client_;
};

}  // namespace orsa::aws
