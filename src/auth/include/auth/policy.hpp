#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "core/owner_scope.hpp"
#include "core/role.hpp"

namespace orsa::auth {

/// What an API token may be used for; sessions hold them all. A scope never
/// adds to the user's role: a viewer's write-scoped token still only reads.
enum class Scope : std::uint8_t {
  kRead = 1,    // GET anything the user may see; registry pulls
  kWrite = 2,   // change projects, files, builds, tokens; registry pushes
  kDeploy = 4,  // start, stop and remove deployments
  kAdmin = 8,   // an admin's powers: other users' resources, user management
};
inline constexpr std::uint8_t kAllScopes = 15;

/// "read,write" → the scope bits; kInvalidArgument naming an unknown scope.
Result<std::uint8_t> parse_scopes(std::string_view list);
/// The bits as "read,write,deploy,admin" (in that order).
std::string scopes_string(std::uint8_t scopes);

/// The authenticated caller of a request.
struct Principal {
  std::string user_id;
  std::string username;
  Role role = Role::kViewer;
  bool via_api_token = false;
  /// Set for a builder push token: the one registry repository
  /// ("<owner>/<project>") it may push and pull; nothing else opens to it.
  std::string repository_scope;
  /// With repository_scope: the token only pulls (the container runtime's).
  bool repository_pull_only = false;
  /// The API token's scopes (Scope bits); everything for sessions.
  std::uint8_t scopes = kAllScopes;
  /// When the credential stops working (an API token's expiry), if ever.
  std::optional<std::int64_t> expires_at;
  /// Set for a consumer key: the key and the one project whose service and
  /// runs it reaches. user_id is then empty: a consumer has no account.
  std::string consumer_key_id;
  std::string consumer_project_id;

  bool is_consumer() const { return !consumer_key_id.empty(); }
  /// The principal of a consumer key of `project_id`: reads and submits runs.
  static Principal consumer(std::string key_id, std::string project_id, std::string key_name) {
    Principal p;
    p.username = std::move(key_name);
    p.via_api_token = true;
    p.scopes = static_cast<std::uint8_t>(Scope::kRead) | static_cast<std::uint8_t>(Scope::kWrite);
    p.consumer_key_id = std::move(key_id);
    p.consumer_project_id = std::move(project_id);
    return p;
  }

  bool has(Scope scope) const { return (scopes & static_cast<std::uint8_t>(scope)) != 0; }
};

/// The registry namespace of base images ("orsa/<name>"); no user may be
/// called this.
inline constexpr std::string_view kReservedNamespace = "orsa";

/// A registry repository "<owner>/<project>" as the policy sees it.
struct RegistryRepository {
  std::string_view name;      // "<owner>/<project>"
  std::string_view owner_id;  // the owning user's id; empty in the reserved namespace
};

/// A run as the policy sees it: the owner of its project and who submitted it.
struct RunParties {
  std::string_view owner_id;
  std::string_view submitter_id;
  std::string_view consumer_key_id = {};  // the key it was submitted with, if any
};

/// The files of one running job on the jobs listener (ADR 0021).
enum class JobFile {
  kInput,    // input.json: the job reads it
  kOptions,  // options.json: the job reads it
  kResult,   // out/result.json: the job writes it
  kError,    // out/error.json: the job writes it
};

enum class Action {
  kRead,    // view a resource
  kWrite,   // create, change or delete a resource
  kDeploy,  // start, stop or remove a deployment of it
};

/// The one place that decides who may do what. Handlers ask; they never
/// compare roles or owners themselves.
///  - another user's resource → kNotFound (existence is not revealed);
///  - own resource, role lacks the action (viewer writing) → kPermissionDenied;
///  - admins may do everything;
///  - an API token acts only within its scopes (an admin's token without the
///    admin scope is a plain user's);
///  - a consumer key reaches its one project's runs and nothing else: every
///    other question is kNotFound.
class Policy {
 public:
  /// Rows of which owners the principal may see (admins: everyone).
  static OwnerScope scope(const Principal& who);

  /// May `who` perform `action` on a resource owned by `owner_id`?
  static Result<void> authorize(const Principal& who, Action action, std::string_view owner_id);

  /// May `who` create resources of their own (developers and admins)?
  static Result<void> authorize_create(const Principal& who);

  /// May `who` read the installation's shared catalogs (templates, example
  /// projects)? Any signed-in user whose credential reads; a registry
  /// push or pull token is for the registry only (kPermissionDenied).
  static Result<void> authorize_catalog(const Principal& who);

  /// May `who` pull (kRead) or push (kWrite) `repo` in the embedded registry?
  /// Own repositories as for any resource; the reserved namespace: pull for
  /// everyone authenticated, push for admins; a push token: its repository
  /// (push and pull) and pulls from the reserved namespace, nothing else.
  static Result<void> authorize_repository(const Principal& who, Action action,
                                           const RegistryRepository& repo);

  /// May `who` list (kRead) or submit (kWrite) runs of a project owned by
  /// `owner_id`? Runs follow the project's service: its owner and admins
  /// may always; when the service is public, any other signed-in user too.
  /// Viewers never submit (a run is work and data of their making). A
  /// consumer key: the runs of its own project (`project_id`) only. Anyone
  /// else learns nothing: kNotFound.
  static Result<void> authorize_project_runs(const Principal& who, Action action,
                                             std::string_view owner_id, bool service_public,
                                             std::string_view project_id = {});

  /// May `who` see (kRead: the run, its input, result and log) or cancel
  /// (kWrite) a run? Its submitter, the project's owner and admins, and a
  /// consumer key the runs submitted with it; anyone else gets kNotFound, a
  /// viewer cancelling kPermissionDenied.
  static Result<void> authorize_run(const Principal& who, Action action, const RunParties& run);

  /// May the holder of a job token for `token_job` do `action` on `file` of
  /// `job`? Its own job's input and options are read and its result and
  /// error written, nothing else: another job is kNotFound, writing an input
  /// or reading an output kPermissionDenied.
  static Result<void> authorize_job_file(std::string_view token_job, Action action,
                                         std::string_view job, JobFile file);

  /// Is `name` the reserved registry namespace (also refused as a username)?
  static bool is_reserved_namespace(std::string_view name);

  /// May `who` see (kRead) or change (kWrite: link, unlink) the ways they
  /// sign in? Always their own account only. Listing: any of their
  /// credentials that reads; changing: a signed-in session only, since an
  /// API token is a script's credential and linking is a browser's journey.
  /// Registry tokens: kPermissionDenied; consumer keys: kNotFound.
  static Result<void> authorize_sign_in_methods(const Principal& who, Action action);

  /// User management and collector runs: admins only (403 otherwise).
  static Result<void> require_admin(const Principal& who);
};

}  // namespace orsa::auth
