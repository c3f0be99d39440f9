#pragma once

#include <optional>
#include <string_view>

namespace orsa {

/// What a user may do: admin (everything), developer (full control of own
/// resources), viewer (read-only on own resources).
enum class Role { kAdmin, kDeveloper, kViewer };

/// "admin" | "developer" | "viewer".
constexpr std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kDeveloper:
      return "developer";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

/// Parses a role name; nullopt for anything else.
constexpr std::optional<Role> parse_role(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "developer") return Role::kDeveloper;
  if (name == "viewer") return Role::kViewer;
  return std::nullopt;
}

}  // namespace orsa
