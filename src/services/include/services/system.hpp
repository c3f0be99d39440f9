#pragma once

#include <cstddef>
#include <vector>

#include "core/error.hpp"
#include "store/store.hpp"

namespace orsa::services {

/// What the system routes read: whether the database answers (readiness)
/// and the audit log (admins; the handler checks the role).
class System {
 public:
  explicit System(store::Store& store) : store_(store) {}

  Result<void> ping() { return store_.ping(); }
  /// The newest `limit` audit events.
  Result<std::vector<store::AuditEvent>> audit_log(std::size_t limit) {
    return store_.audit().list(limit);
  }

 private:
  store::Store& store_;
};

}  // namespace orsa::services
