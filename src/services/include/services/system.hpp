#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "store/audit.hpp"

namespace orsa::services {

/// What the system routes read: whether the database answers (readiness)
/// and the audit log (admins; the handler checks the role).
class System {
 public:
  /// `ping` is a round trip to the database (store::Store::ping).
  System(std::function<Result<void>()> ping, store::AuditStore& audit)
      : ping_(std::move(ping)), audit_(audit) {}

  Result<void> ping() { return ping_(); }
  /// The newest `limit` audit events.
  Result<std::vector<store::AuditEvent>> audit_log(std::size_t limit) { return audit_.list(limit); }

 private:
  std::function<Result<void>()> ping_;
  store::AuditStore& audit_;
};

}  // namespace orsa::services
