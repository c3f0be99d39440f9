#pragma once

// The event stream of a followed log (a build's, a run's), shared by their
// routes so that both frame, pace and end it alike.

#include <functional>
#include <memory>

#include "core/json.hpp"
#include "http/message.hpp"
#include "services/log_follower.hpp"

namespace orsa::api {

/// A 200 text/event-stream: the lines so far and then live ones (one
/// `data:` each), a heartbeat comment when quiet for 15 s, and once the
/// log has ended `event: end` whose data is `end()` (the ended resource).
/// A client that goes away wakes the follower and ends the stream.
http::Response stream_followed_log(std::shared_ptr<services::LogFollower> follow,
                                   std::function<Json()> end);

}  // namespace orsa::api
