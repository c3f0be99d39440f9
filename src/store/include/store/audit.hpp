#pragma once

#include <cstddef>
#include <vector>

#include "core/error.hpp"
#include "store/models.hpp"

namespace orsa::store {

/// The audit log.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  /// An empty id and a zero time are filled in (a new id, now).
  virtual Result<void> record(const AuditEvent& event) = 0;
  /// Newest first, at most `limit`.
  virtual Result<std::vector<AuditEvent>> list(std::size_t limit) = 0;
};

}  // namespace orsa::store
