#include "auth/policy.hpp"

namespace orsa::auth {
namespace {

bool is_admin(const Principal& who) {
  return who.role == Role::kAdmin;
}

// A principal without an id owns nothing, so an empty owner_id never matches.
bool owns(const Principal& who, std::string_view owner_id) {
  return !who.user_id.empty() && who.user_id == owner_id;
}

Error read_only() {
  return Error::permission_denied("viewers have read-only access");
}

}  // namespace

OwnerScope Policy::scope(const Principal& who) {
  if (is_admin(who)) return OwnerScope::everyone();
  return OwnerScope::of(who.user_id);
}

Result<void> Policy::authorize(const Principal& who, Action action, std::string_view owner_id) {
  if (is_admin(who)) return {};
  // Checked before the role so a viewer cannot learn that another user's
  // resource exists from a 403.
  if (!owns(who, owner_id)) return fail(Error::not_found("not found"));
  if (action == Action::kRead) return {};
  if (who.role == Role::kDeveloper) return {};
  return fail(read_only());
}

bool Policy::is_reserved_namespace(std::string_view name) {
  return name == kReservedNamespace;
}

Result<void> Policy::authorize_repository(const Principal& who, Action action,
                                          const RegistryRepository& repo) {
  const std::string_view owner = repo.name.substr(0, repo.name.find('/'));
  const bool reserved =
      repo.name.find('/') != std::string_view::npos && is_reserved_namespace(owner);
  if (reserved) {
    // Base images are shared by every build; only admins maintain them.
    if (action == Action::kRead) return {};
    if (!who.repository_scope.empty() && who.repository_scope != repo.name) {
      return fail(Error::not_found("not found"));
    }
    if (is_admin(who)) return {};
    return fail(Error::permission_denied("only admins may push base images"));
  }
  if (!who.repository_scope.empty() && who.repository_scope != repo.name) {
    return fail(Error::not_found("not found"));
  }
  if (repo.owner_id.empty()) return fail(Error::not_found("not found"));
  return authorize(who, action, repo.owner_id);
}

Result<void> Policy::authorize_create(const Principal& who) {
  if (is_admin(who) || who.role == Role::kDeveloper) return {};
  return fail(read_only());
}

Result<void> Policy::require_admin(const Principal& who) {
  if (is_admin(who)) return {};
  return fail(Error::permission_denied("admin role required"));
}

}  // namespace orsa::auth
