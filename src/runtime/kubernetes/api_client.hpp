#pragma once

// A blocking client of the Kubernetes API server: JSON requests and watch
// streams over libcurl, authenticated by a bearer token or a client
// certificate, the server verified against the cluster's CA.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "runtime/kubernetes_runtime.hpp"

namespace orsa::runtime::kubernetes {

struct ApiReply {
  int status = 0;
  std::string body;
};

/// The message of a `kind: Status` answer, or the body's start.
std::string status_message(std::string_view body);

/// An error of our vocabulary for a non-2xx answer: 401 kUnauthenticated,
/// 403 kPermissionDenied, 404 kNotFound, 409 kConflict,
/// 410 kConflict (a watch's version expired), 422 kUnprocessable, others kUnavailable.
Error status_error(int status, std::string_view body, const std::string& what);

class ApiClient {
 public:
  /// Answers larger than this fail (a list of every pod of a big cluster
  /// would be a mistake of ours, not something to buffer).
  static constexpr std::size_t kMaxBody = 16 * 1024 * 1024;
  /// A watch line (one event with its object) larger than this fails it.
  static constexpr std::size_t kMaxWatchLine = 4 * 1024 * 1024;

  ApiClient(ClusterAccess access, std::chrono::milliseconds call_timeout);

  /// One request; any HTTP status is a value, a transport failure an error.
  /// `content_type` names the body's (patches have their own).
  Result<ApiReply> request(std::string_view method, const std::string& path,
                           std::string_view body = {},
                           std::string_view content_type = "application/json") const;

  /// A watch (`path` with watch=1): `on_event` gets each event line; the
  /// stream ends when it returns false, when `keep_going` (asked at least
  /// once a second) returns false, or when the server ends it.
  Result<void> watch(const std::string& path, const std::function<bool(std::string_view)>& on_event,
                     const std::function<bool()>& keep_going) const;

 private:
  Result<std::string> bearer_token() const;

  ClusterAccess access_;
  std::chrono::milliseconds call_timeout_;
};

}  // namespace orsa::runtime::kubernetes
