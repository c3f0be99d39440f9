#pragma once

// What the parts of the docker-api adapter (containers, networks, jobs) share.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::detail {

/// Maps a Docker API error status (and podman's wording) to our vocabulary.
Error status_error(int status, std::string_view body, const std::string& what);

/// kInvalidArgument unless `id` looks like a container id or name.
Result<void> check_id(const std::string& id);

class UnixHttp;

/// Limits of a log stream read by read_logs.
struct LogLimits {
  std::size_t max_frame_bytes = 1024 * 1024;
  std::size_t max_line_bytes = 64 * 1024;
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};  // when not following
};

/// The log of `object` ("/v1.41/containers/ID", "/v1.41/services/ID"):
/// GET object + "/logs", its frames decoded into lines for `sink`.
Result<void> read_logs(const UnixHttp& http, const std::string& object, const LogOptions& options,
                       const std::function<bool(const LogLine&)>& sink, const LogLimits& limits);

}  // namespace orsa::runtime::detail
