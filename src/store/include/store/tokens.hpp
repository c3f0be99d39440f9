#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// API tokens, scoped to their user.
class TokenStore {
 public:
  virtual ~TokenStore() = default;

  /// kNotFound for an unknown user, kConflict for a hash already stored.
  virtual Result<ApiToken> create(const NewApiToken& token) = 0;
  /// Oldest first.
  virtual Result<std::vector<ApiToken>> list(const OwnerScope& scope) = 0;
  virtual Result<void> remove(const OwnerScope& scope, std::string_view id) = 0;
  /// Authentication lookup by hash (not scoped: the hash is the credential).
  virtual Result<ApiToken> find_by_hash(std::string_view token_hash) = 0;
  /// Records a use at `at`.
  virtual Result<void> touch(std::string_view id, std::int64_t at) = 0;
};

}  // namespace orsa::store
