#pragma once

#include <optional>
#include <string>

namespace orsa {

/// Which owners' rows a query may touch. Built by the policy module; the
/// store applies it in SQL so no handler can forget the owner filter.
struct OwnerScope {
  std::optional<std::string> owner_id;  // nullopt = every owner (admins)

  static OwnerScope everyone() { return {}; }
  static OwnerScope of(std::string id) { return {std::move(id)}; }
};

}  // namespace orsa
