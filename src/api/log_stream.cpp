#include "log_stream.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "http/sse.hpp"

namespace orsa::api {
namespace {

constexpr std::chrono::seconds kHeartbeat{15};

}  // namespace

http::Response stream_followed_log(std::shared_ptr<services::LogFollower> follow,
                                   std::function<Json()> end) {
  http::Response res = http::sse_response();
  res.stream = [follow = std::move(follow), end = std::move(end)](http::BodyWriter& out) {
    out.on_close([follow] { follow->wake(); });
    auto last_write = std::chrono::steady_clock::now();
    for (bool ended = false; !ended && !out.closed();) {
      std::string batch;
      for (const auto& line : follow->next(kHeartbeat, ended)) batch += http::sse_event(line);
      if (batch.empty() && std::chrono::steady_clock::now() - last_write >= kHeartbeat) {
        batch = http::sse_heartbeat();
      }
      if (batch.empty()) continue;
      if (!out.write(batch)) return;
      last_write = std::chrono::steady_clock::now();
    }
    if (out.closed()) return;
    out.write(http::sse_event(end().dump(), {.event = "end"}));
  };
  return res;
}

}  // namespace orsa::api
