#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/owner_scope.hpp"
#include "core/role.hpp"

namespace orsa::store {

struct User {
  std::string id;  // "usr_…"
  std::string username;
  std::string email;  // normalised (trimmed, lower-case)
  std::string password_hash;
  Role role = Role::kDeveloper;
  bool disabled = false;
  std::int64_t created_at = 0;  // unix seconds, UTC
};

struct NewUser {
  std::string username;
  std::string email;
  std::string password_hash;
  Role role = Role::kDeveloper;
};

struct ApiToken {
  std::string id;  // "tok_…"
  std::string user_id;
  std::string name;
  std::string token_hash;  // sha256 hex of the secret; the secret is never stored
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> last_used_at;
};

struct NewApiToken {
  std::string user_id;
  std::string name;
  std::string token_hash;
  std::optional<std::int64_t> expires_at;
};

struct Project {
  std::string id;  // "prj_…"
  std::string owner_id;
  std::string owner_username;  // joined from users
  std::string name;
  std::string template_name;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct NewProject {
  std::string owner_id;
  std::string name;
  std::string template_name;
};

struct AuditEvent {
  std::string id;  // "aud_…"
  std::int64_t at = 0;
  std::optional<std::string> actor_id;  // null for anonymous (failed login)
  std::string action;                   // "login", "login_failed", "role_change", …
  std::string target;                   // what it acted on ("user:usr_…", "project:alice/knap")
  std::string ip;
  std::string detail;  // short free text, never a secret
};

}  // namespace orsa::store
