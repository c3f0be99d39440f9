#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "store/audit.hpp"

namespace orsa::services {

/// Writes audit events. A failed audit write is logged, never fatal: it must
/// not turn a successful login into an error.
class Audit {
 public:
  Audit(store::AuditStore& audit, const Clock& clock) : audit_(audit), clock_(clock) {}

  void record(std::optional<std::string> actor_id, std::string_view action, std::string_view target,
              std::string_view ip, std::string_view detail = {});

 private:
  store::AuditStore& audit_;
  const Clock& clock_;
};

}  // namespace orsa::services
