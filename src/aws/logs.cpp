#include "aws/logs.hpp"

#include <algorithm>

namespace orsa::aws {
namespace {

// One batch may span 24 hours at most.
constexpr std::int64_t kMaxBatchSpanMs = 24LL * 3600 * 1000;

// From CloudWatch Logs' model (botocore's logs/2014-03-28).
constexpr ServiceProtocol kLogs{.signing_name = "logs",
                                .target_prefix = "Logs_20140328",
                                .json_version = "1.1",
                                .endpoint_prefix = "logs"};

// Made now or before: either way there.
Result<void> made(const Result<Json>& answer) {
  if (answer || answer.error().code == ErrorCode::kConflict) return {};
  return fail(answer.error());
}

// A cut that never splits a UTF-8 sequence.
std::string cut_utf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

}  // namespace

LogsClient::LogsClient(JsonClientOptions options)
    : client_(for_service(std::move(options), kLogs)) {}

Result<void> LogsClient::ensure_group(std::string_view group) {
  return made(client_.call("CreateLogGroup", {{"logGroupName", group}}));
}

Result<void> LogsClient::ensure_stream(std::string_view group, std::string_view stream) {
  return made(
      client_.call("CreateLogStream", {{"logGroupName", group}, {"logStreamName", stream}}));
}

Result<void> LogsClient::put(std::string_view group, std::string_view stream,
                             std::vector<LogEvent> events) {
  std::ranges::stable_sort(events, {}, &LogEvent::at_ms);
  std::vector<LogEvent> batch;
  std::size_t bytes = 0;
  for (auto& event : events) {
    event.message = cut_utf8(std::move(event.message), kMaxMessageBytes);
    if (event.message.empty()) event.message = " ";  // the service refuses empty messages
    const std::size_t size = event.message.size() + kEventOverheadBytes;
    const bool full = batch.size() == kMaxBatchEvents || bytes + size > kMaxBatchBytes ||
                      (!batch.empty() && event.at_ms - batch.front().at_ms > kMaxBatchSpanMs);
    if (full) {
      if (auto ok = put_batch(group, stream, batch); !ok) return ok;
      batch.clear();
      bytes = 0;
    }
    bytes += size;
    batch.push_back(std::move(event));
  }
  if (batch.empty()) return {};
  return put_batch(group, stream, batch);
}

Result<void> LogsClient::put_batch(std::string_view group, std::string_view stream,
                                   const std::vector<LogEvent>& batch) {
  Json events = Json::array();
  for (const auto& e : batch) events.push_back({{"timestamp", e.at_ms}, {"message", e.message}});
  auto answer = client_.call(
      "PutLogEvents",
      {{"logGroupName", group}, {"logStreamName", stream}, {"logEvents", std::move(events)}});
  if (!answer) return fail(answer.error());
  return {};
}

Result<LogPage> LogsClient::read(std::string_view group, std::string_view stream, bool from_head,
                                 std::string_view token, int limit) const {
  Json input = {{"logGroupName", group},
                {"logStreamName", stream},
                {"startFromHead", from_head},
                {"limit", std::clamp(limit, 1, 10'000)}};
  if (!token.empty()) input["nextToken"] = token;
  auto answer = client_.call("GetLogEvents", input);
  if (!answer) return fail(answer.error());
  LogPage page;
  for (const Json& e : (*answer)["events"]) {
    page.events.push_back(
        {.at_ms = e.value("timestamp", std::int64_t{0}), .message = e.value("message", "")});
  }
  page.next_token = answer->value(from_head ? "nextForwardToken" : "nextBackwardToken", "");
  return page;
}

}  // namespace orsa::aws
