#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace orsa::services {

/// Writes audit events. A failed audit write is logged, never fatal: it must
/// not turn a successful login into an error.
class Audit {
 public:
  Audit(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  void record(std::optional<std::string> actor_id, std::string_view action, std::string_view target,
              std::string_view ip, std::string_view detail = {});

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace orsa::services
