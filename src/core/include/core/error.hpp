#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace orsa {

/// The one error vocabulary of the program; the HTTP layer maps each code to a status.
enum class ErrorCode {
  kInvalidArgument,      // 400: the request is malformed or a field is wrong
  kUnauthenticated,      // 401: no or bad credentials
  kPermissionDenied,     // 403: known caller, not allowed
  kNotFound,             // 404: absent, or not visible to the caller
  kConflict,             // 409: state changed underneath, or a duplicate
  kTooLarge,             // 413: a size limit was exceeded
  kUnsupportedMedia,     // 415: the body is not of the type the route reads
  kUnprocessable,        // 422: well-formed but semantically rejected
  kRateLimited,          // 429: slow down
  kInsufficientStorage,  // 507: the server's disk is full; nothing was stored
  kUnavailable,          // 503: a dependency is down
  kInternal,             // 500: a bug or an unexpected failure
};

/// A recoverable failure: a code, a message safe to show to the caller, and
/// the typed extras some failures carry.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::optional<std::int64_t> retry_after_s;  // kRateLimited: when a retry may succeed
  std::string current_head;                   // kConflict on a stale head: the head now
  std::string registry_code;  // the OCI distribution error code (DIGEST_INVALID, …), if any

  static Error invalid_argument(std::string msg) {
    return {ErrorCode::kInvalidArgument, std::move(msg), {}};
  }
  static Error unauthenticated(std::string msg) {
    return {ErrorCode::kUnauthenticated, std::move(msg), {}};
  }
  static Error permission_denied(std::string msg) {
    return {ErrorCode::kPermissionDenied, std::move(msg), {}};
  }
  static Error not_found(std::string msg) { return {ErrorCode::kNotFound, std::move(msg), {}}; }
  static Error conflict(std::string msg, std::string current_head = {}) {
    Error e{ErrorCode::kConflict, std::move(msg), {}};
    e.current_head = std::move(current_head);
    return e;
  }
  static Error too_large(std::string msg) { return {ErrorCode::kTooLarge, std::move(msg), {}}; }
  static Error unsupported_media(std::string msg) {
    return {ErrorCode::kUnsupportedMedia, std::move(msg), {}};
  }
  static Error unprocessable(std::string msg) {
    return {ErrorCode::kUnprocessable, std::move(msg), {}};
  }
  static Error rate_limited(std::string msg, std::int64_t retry_after_s) {
    return {ErrorCode::kRateLimited, std::move(msg), retry_after_s};
  }
  static Error insufficient_storage(std::string msg) {
    return {ErrorCode::kInsufficientStorage, std::move(msg), {}};
  }
  static Error unavailable(std::string msg) {
    return {ErrorCode::kUnavailable, std::move(msg), {}};
  }
  static Error internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg), {}}; }
};

/// A value or an Error. A std::expected that must not be dropped: a call
/// whose failure does not matter says so with `std::ignore = call();` and a
/// comment saying why.
template <class T>
class [[nodiscard]] Result : public std::expected<T, Error> {
  using Base = std::expected<T, Error>;

 public:
  using Base::Base;
  Result() = default;
  // From the plain std::expected that the monadic operations return.
  Result(Base other) : Base(std::move(other)) {}  // NOLINT(google-explicit-constructor)
};

/// `error`, also naming the OCI distribution error code (DIGEST_INVALID, …).
inline Error with_registry_code(Error error, std::string_view code) {
  error.registry_code = std::string(code);
  return error;
}

/// Shorthand for returning an error from a function that returns Result<T>.
inline std::unexpected<Error> fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}

/// Stable snake_case name of a code, used as `error.code` in JSON responses.
std::string_view error_code_name(ErrorCode code);

/// Whether an errno value means the disk (or the user's quota) is full.
bool is_disk_full(int errno_value);

}  // namespace orsa
