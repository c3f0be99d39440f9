#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.hpp"

namespace orsa::store {

/// Revoked login sessions (logout), kept until they would have expired anyway.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  /// Records a session id as revoked until `expires_at`, and drops the
  /// records of sessions that have expired anyway. Revoking twice is fine.
  virtual Result<void> revoke(std::string_view session_id, std::string_view user_id,
                              std::int64_t expires_at) = 0;
  /// Has this session id been revoked?
  virtual Result<bool> is_revoked(std::string_view session_id) = 0;
};

}  // namespace orsa::store
