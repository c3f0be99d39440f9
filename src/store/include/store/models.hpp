#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  /// Raised by a password change: sessions issued under an older epoch die.
  std::int64_t session_epoch = 0;
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
  std::string scopes = "read,write,deploy,admin";  // auth::parse_scopes' list form
};

struct NewApiToken {
  std::string user_id;
  std::string name;
  std::string token_hash;
  std::optional<std::int64_t> expires_at;
  std::string scopes = "read,write,deploy,admin";
};

struct Project {
  std::string id;  // "prj_…"
  std::string owner_id;
  std::string owner_username;  // joined from users
  std::string name;
  std::string template_name;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool allow_egress = false;  // deployed services may reach the outside (admin setting)
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
  /// The actor's username, joined from users when listed (record() ignores
  /// it); null for anonymous events and for a user since deleted.
  std::optional<std::string> actor_username;
};

/// Where a build is in its life: queued → running → succeeded | failed |
/// canceled (a queued build may also be canceled before it runs).
enum class BuildStatus { kQueued, kRunning, kSucceeded, kFailed, kCanceled };

/// "queued", "running", … (the stored and the API spelling).
std::string_view build_status_name(BuildStatus status);
std::optional<BuildStatus> parse_build_status(std::string_view name);
/// True for succeeded, failed and canceled.
bool is_final(BuildStatus status);

struct Build {
  std::string id;  // "bld_…"
  std::string project_id;
  std::string owner_id;
  std::string owner_username;  // joined from users
  std::string project_name;    // joined from projects
  std::int64_t number = 0;     // per project, from 1; the image tag
  std::string commit_sha;
  BuildStatus status = BuildStatus::kQueued;
  std::string error;  // why it failed or was canceled; empty otherwise
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::optional<std::string> image_id;
  std::string runner;         // the instance that last started it ("" before)
  std::int64_t attempts = 0;  // times it was started: a dead runner's build runs again once
};

struct NewBuild {
  std::string project_id;  // the owner is taken from the project row
  std::string commit_sha;
};

/// A status change; unset optionals keep the stored value.
struct BuildUpdate {
  BuildStatus status = BuildStatus::kQueued;
  std::optional<BuildStatus>
      from;  // when set, only a build in this status changes (else kConflict)
  std::string error;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::optional<std::string> image_id;
  // Set when the build starts running: the instance running it (ADR 0019).
  // Each change to running counts an attempt.
  std::optional<std::string> runner;
};

struct Image {
  std::string id;  // "img_…"
  std::string owner_id;
  std::string project_id;
  std::string build_id;
  std::string repository;  // "<owner>/<project>"
  std::string tag;         // the build number
  std::string digest;      // manifest digest
  std::int64_t size = 0;
  std::string commit_sha;
  std::int64_t created_at = 0;
  std::int64_t deployments = 0;          // deployments using it (then it cannot be deleted)
  std::int64_t running_deployments = 0;  // of which are wanted running
};

struct NewImage {
  std::string owner_id;
  std::string project_id;
  std::string build_id;
  std::string repository;
  std::string tag;
  std::string digest;
  std::int64_t size = 0;
  std::string commit_sha;
};

enum class DeploymentStatus {
  kPending,
  kPulling,
  kStarting,
  kHealthy,
  kPaused,  // idle: its container frozen, memory kept; a request thaws it
  kFailed,
  kStopped,
  kCrashloop
};

std::string_view deployment_status_name(DeploymentStatus status);
std::optional<DeploymentStatus> parse_deployment_status(std::string_view name);

enum class Visibility { kPrivate, kPublic };

std::string_view visibility_name(Visibility visibility);
std::optional<Visibility> parse_visibility(std::string_view name);

struct Deployment {
  std::string id;  // "dep_…"
  std::string owner_id;
  std::string owner_username;  // joined from users
  std::string project_id;
  std::string project_name;  // joined from projects
  std::string image_id;
  std::string image_tag;     // joined from images ("" once the image row is gone)
  std::string image_digest;  // joined from images
  DeploymentStatus status = DeploymentStatus::kPending;
  std::string status_reason;    // why it failed or stopped; empty otherwise
  bool desired_running = true;  // what the user asked for
  Visibility visibility = Visibility::kPrivate;
  std::int64_t memory_mb = 512;
  std::int64_t cpu_millis = 1000;
  std::string env_json = "{}";              // a JSON object of strings
  std::string container_id;                 // "" when none is running
  std::int64_t host_port = 0;               // the port the gateway connects to
  std::string upstream_host;                // its address on its own network; "" → 127.0.0.1
  std::int64_t timeout_s = 60;              // [service] timeout: the gateway's limit per call
  std::int64_t max_body_bytes = 1'048'576;  // [service] max_body_bytes: 413 beyond
  std::int64_t workers = 2;                 // [service] workers: calls served at once
  std::int64_t replicas = 1;                // copies serving calls (runtimes that run several)
  std::int64_t restarts = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> last_request_at;
};

struct NewDeployment {
  std::string project_id;  // the owner is taken from the project row
  std::string image_id;
  Visibility visibility = Visibility::kPrivate;
  std::int64_t memory_mb = 512;
  std::int64_t cpu_millis = 1000;
  std::string env_json = "{}";
  std::int64_t timeout_s = 60;
  std::int64_t max_body_bytes = 1'048'576;
  std::int64_t workers = 2;
  std::int64_t replicas = 1;
};

}  // namespace orsa::store
