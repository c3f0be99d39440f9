#include "auth/policy.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace orsa::auth {
namespace {

bool is_admin(const Principal& who) {
  return who.role == Role::kAdmin && who.has(Scope::kAdmin);
}

Scope scope_for(Action action) {
  switch (action) {
    case Action::kRead:
      return Scope::kRead;
    case Action::kWrite:
      return Scope::kWrite;
    case Action::kDeploy:
      return Scope::kDeploy;
  }
  return Scope::kAdmin;
}

Result<void> require_scope(const Principal& who, Action action) {
  const Scope needed = scope_for(action);
  if (who.has(needed)) return {};
  return fail(Error::permission_denied(
      "this API token lacks the '" + scopes_string(static_cast<std::uint8_t>(needed)) + "' scope"));
}

constexpr std::pair<std::string_view, Scope> kScopeNames[] = {
    {"read", Scope::kRead},
    {"write", Scope::kWrite},
    {"deploy", Scope::kDeploy},
    {"admin", Scope::kAdmin},
};

// A principal without an id owns nothing, so an empty owner_id never matches.
bool owns(const Principal& who, std::string_view owner_id) {
  return !who.user_id.empty() && who.user_id == owner_id;
}

// A consumer key is not an account: it reaches its project's runs (and the
// gateway, which asks elsewhere) and learns of nothing else.
Result<void> not_a_consumer(const Principal& who) {
  if (who.is_consumer()) return fail(Error::not_found("not found"));
  return {};
}

Error read_only() {
  return Error::permission_denied("viewers have read-only access");
}

}  // namespace

Result<std::uint8_t> parse_scopes(std::string_view list) {
  std::uint8_t bits = 0;
  if (list.empty()) return bits;
  for (bool more = true; more;) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    more = comma != std::string_view::npos;
    list = more ? list.substr(comma + 1) : std::string_view();
    const auto* found = std::find_if(std::begin(kScopeNames), std::end(kScopeNames),
                                     [&](const auto& entry) { return entry.first == name; });
    if (found == std::end(kScopeNames)) {
      return fail(Error::invalid_argument("unknown scope '" + std::string(name.substr(0, 32)) +
                                          "' (read, write, deploy, admin)"));
    }
    bits |= static_cast<std::uint8_t>(found->second);
  }
  return bits;
}

std::string scopes_string(std::uint8_t scopes) {
  std::string out;
  for (const auto& [name, scope] : kScopeNames) {
    if ((scopes & static_cast<std::uint8_t>(scope)) == 0) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

OwnerScope Policy::scope(const Principal& who) {
  // No owner id is empty, so a consumer's scope holds no rows.
  if (who.is_consumer()) return OwnerScope::of("");
  if (is_admin(who)) return OwnerScope::everyone();
  return OwnerScope::of(who.user_id);
}

Result<void> Policy::authorize(const Principal& who, Action action, std::string_view owner_id) {
  if (auto ok = not_a_consumer(who); !ok) return ok;
  if (auto ok = require_scope(who, action); !ok) return ok;
  if (is_admin(who)) return {};
  // Checked before the role so a viewer cannot learn that another user's
  // resource exists from a 403.
  if (!owns(who, owner_id)) return fail(Error::not_found("not found"));
  if (action == Action::kRead) return {};
  // An admin whose token lacks the admin scope still writes their own.
  if (who.role != Role::kViewer) return {};
  return fail(read_only());
}

bool Policy::is_reserved_namespace(std::string_view name) {
  return name == kReservedNamespace;
}

Result<void> Policy::authorize_repository(const Principal& who, Action action,
                                          const RegistryRepository& repo) {
  if (auto ok = not_a_consumer(who); !ok) return ok;
  const std::string_view owner = repo.name.substr(0, repo.name.find('/'));
  const bool reserved =
      repo.name.find('/') != std::string_view::npos && is_reserved_namespace(owner);
  if (auto ok = require_scope(who, action); !ok) return ok;
  if (!who.repository_scope.empty() && who.repository_pull_only && action != Action::kRead) {
    return fail(Error::permission_denied("this token only pulls"));
  }
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

Result<void> Policy::authorize_catalog(const Principal& who) {
  if (auto ok = not_a_consumer(who); !ok) return ok;
  if (!who.repository_scope.empty())
    return fail(Error::permission_denied("a registry token only reaches the registry"));
  if (who.user_id.empty()) return fail(Error::unauthenticated("authentication required"));
  return require_scope(who, Action::kRead);
}

Result<void> Policy::authorize_create(const Principal& who) {
  if (auto ok = not_a_consumer(who); !ok) return ok;
  if (auto ok = require_scope(who, Action::kWrite); !ok) return ok;
  if (who.role != Role::kViewer) return {};
  return fail(read_only());
}

Result<void> Policy::authorize_project_runs(const Principal& who, Action action,
                                            std::string_view owner_id, bool service_public,
                                            std::string_view project_id) {
  if (who.is_consumer()) {
    if (project_id.empty() || who.consumer_project_id != project_id) {
      return fail(Error::not_found("not found"));
    }
    return require_scope(who, action);
  }
  if (auto ok = require_scope(who, action); !ok) return ok;
  if (is_admin(who)) return {};
  if (who.user_id.empty() || (!owns(who, owner_id) && !service_public)) {
    return fail(Error::not_found("not found"));
  }
  if (action == Action::kRead || who.role != Role::kViewer) return {};
  return fail(read_only());
}

Result<void> Policy::authorize_run(const Principal& who, Action action, const RunParties& run) {
  if (who.is_consumer()) {
    if (run.consumer_key_id.empty() || run.consumer_key_id != who.consumer_key_id) {
      return fail(Error::not_found("not found"));
    }
    return require_scope(who, action);
  }
  if (auto ok = require_scope(who, action); !ok) return ok;
  if (is_admin(who)) return {};
  if (!owns(who, run.owner_id) && !owns(who, run.submitter_id)) {
    return fail(Error::not_found("not found"));
  }
  if (action == Action::kRead || who.role != Role::kViewer) return {};
  return fail(read_only());
}

Result<void> Policy::authorize_job_file(std::string_view token_job, Action action,
                                        std::string_view job, JobFile file) {
  if (token_job.empty() || token_job != job) return fail(Error::not_found("not found"));
  const bool input = file == JobFile::kInput || file == JobFile::kOptions;
  if (action == Action::kRead && input) return {};
  if (action == Action::kWrite && !input) return {};
  return fail(Error::permission_denied(input ? "a job's input is read-only"
                                             : "a job's output is for the control plane to read"));
}

Result<void> Policy::authorize_sign_in_methods(const Principal& who, Action action) {
  if (auto ok = not_a_consumer(who); !ok) return ok;
  if (!who.repository_scope.empty())
    return fail(Error::permission_denied("a registry token only reaches the registry"));
  if (who.user_id.empty()) return fail(Error::unauthenticated("authentication required"));
  if (action == Action::kRead) return require_scope(who, Action::kRead);
  if (who.via_api_token)
    return fail(
        Error::permission_denied("sign in with a browser session to change how you sign in"));
  return {};
}

Result<void> Policy::require_admin(const Principal& who) {
  if (auto ok = not_a_consumer(who); !ok) return ok;
  if (is_admin(who)) return {};
  if (who.role == Role::kAdmin) {
    return fail(Error::permission_denied("this API token lacks the 'admin' scope"));
  }
  return fail(Error::permission_denied("admin role required"));
}

}  // namespace orsa::auth
