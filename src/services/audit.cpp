#include "services/audit.hpp"

#include <spdlog/spdlog.h>

namespace orsa::services {

void Audit::record(std::optional<std::string> actor_id, std::string_view action,
                   std::string_view target, std::string_view ip, std::string_view detail) {
  store::AuditEvent event;
  event.at = clock_.now_unix();
  event.actor_id = std::move(actor_id);
  event.action = action;
  event.target = target;
  event.ip = ip;
  event.detail = detail;
  if (auto ok = audit_.record(event); !ok) {
    spdlog::warn("audit write failed for action {}: {}", action, ok.error().message);
  }
}

}  // namespace orsa::services
