#include "store/store.hpp"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <mutex>
#include <type_traits>
#include <utility>

#include "core/random.hpp"
#include "database_url.hpp"
#include "migrations.hpp"
#include "sql_errors.hpp"

namespace orsa::store {
namespace {

// Applied to every pooled SQLite connection (these settings are per
// connection, except journal_mode which sticks to the file). busy_timeout
// comes first so the switch to WAL waits for other processes' locks.
constexpr std::string_view kSqlitePragmas[] = {
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
};

constexpr std::string_view kUserColumns =
    "SELECT id, username, email, password_hash, role, disabled, created_at, session_epoch FROM "
    "users";
constexpr std::string_view kTokenColumns =
    "SELECT id, user_id, name, token_hash, created_at, expires_at, last_used_at, scopes FROM "
    "api_tokens";
constexpr std::string_view kProjectColumns =
    "SELECT p.id, p.owner_id, u.username, p.name, p.template_name, p.created_at, p.updated_at, "
    "p.allow_egress FROM projects p JOIN users u ON u.id = p.owner_id";
constexpr std::string_view kBuildColumns =
    "SELECT b.id, b.project_id, b.owner_id, u.username, p.name, b.number, b.commit_sha, b.status, "
    "b.error, b.created_at, b.started_at, b.finished_at, b.image_id "
    "FROM builds b JOIN projects p ON p.id = b.project_id JOIN users u ON u.id = p.owner_id";
constexpr std::string_view kImageColumns =
    "SELECT id, owner_id, project_id, build_id, repository, tag, digest, size, commit_sha, "
    "created_at, (SELECT COUNT(*) FROM deployments d WHERE d.image_id = images.id), "
    "(SELECT COUNT(*) FROM deployments d WHERE d.image_id = images.id AND d.desired = "
    "'running') FROM images";
constexpr std::string_view kDeploymentColumns =
    "SELECT d.id, d.owner_id, u.username, d.project_id, p.name, d.image_id, COALESCE(i.tag, ''), "
    "COALESCE(i.digest, ''), d.status, d.status_reason, d.desired, d.visibility, d.memory_mb, "
    "d.cpu_millis, d.env, d.container_id, d.host_port, d.restarts, d.created_at, d.updated_at, "
    "d.started_at, d.last_request_at, d.upstream_host "
    "FROM deployments d JOIN projects p ON p.id = d.project_id JOIN users u ON u.id = "
    "p.owner_id LEFT JOIN images i ON i.id = d.image_id";
// Concurrent inserts on PostgreSQL may pick the same number; the loser retries.
constexpr int kBuildNumberAttempts = 8;
constexpr std::string_view kAuditColumns =
    "SELECT id, at, actor_id, action, target, ip, detail FROM audit_events";

std::string concat(std::string_view a, std::string_view b) {
  return std::string(a).append(b);
}

// SOCI 4.0 has no std::optional support: map through an indicator.
struct NullableInt {
  long long value = 0;
  soci::indicator ind = soci::i_null;

  static NullableInt of(const std::optional<std::int64_t>& v) {
    return v ? NullableInt{*v, soci::i_ok} : NullableInt{};
  }
  std::optional<std::int64_t> get() const {
    return ind == soci::i_ok ? std::optional<std::int64_t>(value) : std::nullopt;
  }
};

struct UserRow {
  std::string id, username, email, password_hash, role;
  int disabled = 0;
  long long created_at = 0;
  long long session_epoch = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(username), soci::into(email), soci::into(password_hash),
        soci::into(role), soci::into(disabled), soci::into(created_at), soci::into(session_epoch);
  }
  User get() const {
    // The CHECK constraint keeps roles valid; fall back to the least privilege.
    return {id,
            username,
            email,
            password_hash,
            parse_role(role).value_or(Role::kViewer),
            disabled != 0,
            created_at,
            session_epoch};
  }
};

struct TokenRow {
  std::string id, user_id, name, token_hash, scopes;
  long long created_at = 0;
  NullableInt expires_at, last_used_at;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(user_id), soci::into(name), soci::into(token_hash),
        soci::into(created_at), soci::into(expires_at.value, expires_at.ind),
        soci::into(last_used_at.value, last_used_at.ind), soci::into(scopes);
  }
  ApiToken get() const {
    return {id,    user_id, name, token_hash, created_at, expires_at.get(), last_used_at.get(),
            scopes};
  }
};

struct ProjectRow {
  std::string id, owner_id, owner_username, name, template_name;
  long long created_at = 0, updated_at = 0, allow_egress = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(owner_id), soci::into(owner_username), soci::into(name),
        soci::into(template_name), soci::into(created_at), soci::into(updated_at),
        soci::into(allow_egress);
  }
  Project get() const {
    return {id,         owner_id,   owner_username,   name, template_name,
            created_at, updated_at, allow_egress != 0};
  }
};

struct NullableText {
  std::string value;
  soci::indicator ind = soci::i_null;

  static NullableText of(const std::optional<std::string>& v) {
    return v ? NullableText{*v, soci::i_ok} : NullableText{};
  }
  std::optional<std::string> get() const {
    return ind == soci::i_ok ? std::optional<std::string>(value) : std::nullopt;
  }
};

struct BuildRow {
  std::string id, project_id, owner_id, owner_username, project_name, commit_sha, status, error;
  long long number = 0, created_at = 0;
  NullableInt started_at, finished_at;
  NullableText image_id;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(project_id), soci::into(owner_id), soci::into(owner_username),
        soci::into(project_name), soci::into(number), soci::into(commit_sha), soci::into(status),
        soci::into(error), soci::into(created_at), soci::into(started_at.value, started_at.ind),
        soci::into(finished_at.value, finished_at.ind), soci::into(image_id.value, image_id.ind);
  }
  Build get() const {
    // The CHECK constraint keeps statuses valid.
    return {id,
            project_id,
            owner_id,
            owner_username,
            project_name,
            number,
            commit_sha,
            parse_build_status(status).value_or(BuildStatus::kFailed),
            error,
            created_at,
            started_at.get(),
            finished_at.get(),
            image_id.get()};
  }
};

struct ImageRow {
  std::string id, owner_id, project_id, build_id, repository, tag, digest, commit_sha;
  long long size = 0, created_at = 0, deployments = 0, running = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(owner_id), soci::into(project_id), soci::into(build_id),
        soci::into(repository), soci::into(tag), soci::into(digest), soci::into(size),
        soci::into(commit_sha), soci::into(created_at), soci::into(deployments),
        soci::into(running);
  }
  Image get() const {
    return {id,     owner_id, project_id, build_id,   repository,  tag,
            digest, size,     commit_sha, created_at, deployments, running};
  }
};

struct DeploymentRow {
  std::string id, owner_id, owner_username, project_id, project_name, image_id, image_tag,
      image_digest, status, status_reason, desired, visibility, env_json, container_id,
      upstream_host;
  long long memory_mb = 0, cpu_millis = 0, host_port = 0, restarts = 0, created_at = 0,
            updated_at = 0;
  NullableInt started_at, last_request_at;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(owner_id), soci::into(owner_username), soci::into(project_id),
        soci::into(project_name), soci::into(image_id), soci::into(image_tag),
        soci::into(image_digest), soci::into(status), soci::into(status_reason),
        soci::into(desired), soci::into(visibility), soci::into(memory_mb), soci::into(cpu_millis),
        soci::into(env_json), soci::into(container_id), soci::into(host_port), soci::into(restarts),
        soci::into(created_at), soci::into(updated_at),
        soci::into(started_at.value, started_at.ind),
        soci::into(last_request_at.value, last_request_at.ind), soci::into(upstream_host);
  }
  Deployment get() const {
    // CHECK constraints keep the enumerations valid.
    return {.id = id,
            .owner_id = owner_id,
            .owner_username = owner_username,
            .project_id = project_id,
            .project_name = project_name,
            .image_id = image_id,
            .image_tag = image_tag,
            .image_digest = image_digest,
            .status = parse_deployment_status(status).value_or(DeploymentStatus::kFailed),
            .status_reason = status_reason,
            .desired_running = desired == "running",
            .visibility = parse_visibility(visibility).value_or(Visibility::kPrivate),
            .memory_mb = memory_mb,
            .cpu_millis = cpu_millis,
            .env_json = env_json,
            .container_id = container_id,
            .host_port = host_port,
            .upstream_host = upstream_host,
            .restarts = restarts,
            .created_at = created_at,
            .updated_at = updated_at,
            .started_at = started_at.get(),
            .last_request_at = last_request_at.get()};
  }
};

long long clamp_limit(std::size_t limit) {
  const long long max = std::numeric_limits<long long>::max();
  return limit > static_cast<std::size_t>(max) ? max : static_cast<long long>(limit);
}

struct AuditRow {
  std::string id, action, target, ip, detail;
  long long at = 0;
  std::string actor_id;
  soci::indicator actor_ind = soci::i_null;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(at), soci::into(actor_id, actor_ind), soci::into(action),
        soci::into(target), soci::into(ip), soci::into(detail);
  }
  AuditEvent get() const {
    return {id,     at,     actor_ind == soci::i_ok ? std::optional(actor_id) : std::nullopt,
            action, target, ip,
            detail};
  }
};

// Runs a SELECT binding each row into a Row and returns the converted rows.
// `uses` are soci::use(...) bindings, in placeholder order.
template <class Row, class... Uses>
auto select_rows(soci::session& sql, const std::string& query, const Uses&... uses) {
  Row row;
  soci::details::prepare_temp_type p = (sql.prepare << query);
  row.bind(p);
  (static_cast<void>(p, uses), ...);
  soci::statement statement(p);
  statement.execute();
  std::vector<decltype(row.get())> out;
  while (statement.fetch()) out.push_back(row.get());
  return out;
}

// Runs an INSERT/UPDATE/DELETE and returns the number of affected rows.
template <class... Uses>
long long execute(soci::session& sql, const std::string& query, const Uses&... uses) {
  soci::details::prepare_temp_type p = (sql.prepare << query);
  (static_cast<void>(p, uses), ...);
  soci::statement statement(p);
  statement.execute(true);
  return statement.get_affected_rows();
}

enum class Access { kRead, kWrite };

// Translates a constraint violation into the caller's error; nullopt lets it
// fall through to "database unavailable".
using ViolationHandler = std::function<std::optional<Error>(Violation, std::string_view message)>;

class SociStore final : public Store {
 public:
  SociStore(DatabaseUrl url, const Clock& clock, std::size_t pool_size)
      : url_(std::move(url)), clock_(clock), pool_size_(pool_size), pool_(pool_size) {}

  // Opens every pooled connection and applies the per-connection settings.
  Result<void> connect() {
    for (std::size_t i = 0; i < pool_size_; ++i) {
      try {
        auto& session = pool_.at(i);
        if (url_.backend == Backend::kSqlite) {
          session.open(soci::sqlite3, sqlite_connect_string());
          for (const auto pragma : kSqlitePragmas) session << std::string(pragma);
        } else {
          session.open(soci::postgresql, url_.target);
          // Keeps NOTICEs such as "relation already exists, skipping" out of stderr.
          session << "SET client_min_messages TO WARNING";
        }
      } catch (const std::exception& e) {
        spdlog::error("store: cannot connect to {}: {}", url_.redacted,
                      scrub(loggable(db_message(e)), url_.secrets));
        return fail(Error::unavailable("cannot connect to database " + url_.redacted));
      }
    }
    return {};
  }

  Result<void> migrate() {
    auto applied = run("migrate", Access::kWrite, [&](soci::session& sql) -> Result<std::size_t> {
      return apply_migrations(sql, url_.backend, embedded_migrations(), clock_.now_unix());
    });
    if (!applied) return fail(applied.error());
    return {};
  }

  Result<void> ping() override {
    return run("ping", Access::kRead, [](soci::session& sql) -> Result<void> {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      return {};
    });
  }

  Result<User> create_user(const NewUser& in) override {
    const User user{new_id("usr"), in.username, in.email,         in.password_hash,
                    in.role,       false,       clock_.now_unix()};
    return run(
        "create_user", Access::kWrite,
        [&](soci::session& sql) -> Result<User> {
          const std::string role(role_name(user.role));
          const long long created_at = user.created_at;
          execute(sql,
                  "INSERT INTO users (id, username, email, password_hash, role, disabled, "
                  "created_at) VALUES (:id, :username, :email, :hash, :role, 0, :created_at)",
                  soci::use(user.id), soci::use(user.username), soci::use(user.email),
                  soci::use(user.password_hash), soci::use(role), soci::use(created_at));
          return user;
        },
        [&](Violation kind, std::string_view message) -> std::optional<Error> {
          if (kind != Violation::kUnique) return std::nullopt;
          if (names_any(message, {"users.email", "users_email_key"})) {
            return Error::conflict("email is already registered");
          }
          if (names_any(message, {"users.username", "users_username_key"})) {
            return Error::conflict(fmt::format("username '{}' is already taken", in.username));
          }
          return std::nullopt;
        });
  }

  Result<User> find_user_by_id(std::string_view id) override {
    return run("find_user_by_id", Access::kRead, [&](soci::session& sql) {
      return one_user(sql, " WHERE id = :id", std::string(id));
    });
  }

  Result<User> find_user_by_login(std::string_view login) override {
    return run("find_user_by_login", Access::kRead, [&](soci::session& sql) {
      const std::string value(login);
      auto users =
          select_rows<UserRow>(sql, concat(kUserColumns, " WHERE username = :u OR email = :e"),
                               soci::use(value), soci::use(value));
      return first_or(std::move(users), "user not found");
    });
  }

  Result<std::vector<User>> list_users() override {
    return run("list_users", Access::kRead, [](soci::session& sql) -> Result<std::vector<User>> {
      return select_rows<UserRow>(sql, concat(kUserColumns, " ORDER BY username"));
    });
  }

  Result<User> update_user(std::string_view id, std::optional<Role> role,
                           std::optional<bool> disabled) override {
    return run("update_user", Access::kWrite, [&](soci::session& sql) -> Result<User> {
      const std::string user_id(id);
      const std::string role_value(role ? role_name(*role) : "");
      const int disabled_value = disabled.value_or(false) ? 1 : 0;
      if (role && disabled) {
        execute(sql, "UPDATE users SET role = :role, disabled = :disabled WHERE id = :id",
                soci::use(role_value), soci::use(disabled_value), soci::use(user_id));
      } else if (role) {
        execute(sql, "UPDATE users SET role = :role WHERE id = :id", soci::use(role_value),
                soci::use(user_id));
      } else if (disabled) {
        execute(sql, "UPDATE users SET disabled = :disabled WHERE id = :id",
                soci::use(disabled_value), soci::use(user_id));
      }
      // Also answers not_found for an unknown id when nothing changed.
      return one_user(sql, " WHERE id = :id", user_id);
    });
  }

  Result<std::int64_t> count_users() override {
    return run("count_users", Access::kRead, [](soci::session& sql) -> Result<std::int64_t> {
      long long count = 0;
      sql << "SELECT COUNT(*) FROM users", soci::into(count);
      return count;
    });
  }

  Result<std::int64_t> change_password(std::string_view id,
                                       std::string_view password_hash) override {
    return run("change_password", Access::kWrite, [&](soci::session& sql) -> Result<std::int64_t> {
      const std::string user_id(id);
      const std::string hash(password_hash);
      if (execute(sql,
                  "UPDATE users SET password_hash = :hash, session_epoch = "
                  "session_epoch + 1 WHERE id = :id",
                  soci::use(hash), soci::use(user_id)) == 0) {
        return fail(Error::not_found("user not found"));
      }
      auto user = one_user(sql, " WHERE id = :id", user_id);
      if (!user) return fail(user.error());
      return user->session_epoch;
    });
  }

  Result<void> revoke_session(std::string_view session_id, std::string_view user_id,
                              std::int64_t expires_at) override {
    return run("revoke_session", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string sid(session_id);
      const std::string uid(user_id);
      const long long until = expires_at;
      const long long now = clock_.now_unix();
      execute(sql, "DELETE FROM revoked_sessions WHERE expires_at <= :now", soci::use(now));
      // Revoking twice (two logouts of one session) is not an error.
      execute(sql, "DELETE FROM revoked_sessions WHERE id = :id", soci::use(sid));
      execute(sql,
              "INSERT INTO revoked_sessions (id, user_id, expires_at) VALUES (:id, :user_id, "
              ":expires_at)",
              soci::use(sid), soci::use(uid), soci::use(until));
      return {};
    });
  }

  Result<bool> is_session_revoked(std::string_view session_id) override {
    return run("is_session_revoked", Access::kRead, [&](soci::session& sql) -> Result<bool> {
      const std::string sid(session_id);
      long long count = 0;
      sql << "SELECT COUNT(*) FROM revoked_sessions WHERE id = :id", soci::use(sid),
          soci::into(count);
      return count > 0;
    });
  }

  Result<ApiToken> create_token(const NewApiToken& in) override {
    const ApiToken token{new_id("tok"),     in.user_id,    in.name,      in.token_hash,
                         clock_.now_unix(), in.expires_at, std::nullopt, in.scopes};
    return run(
        "create_token", Access::kWrite,
        [&](soci::session& sql) -> Result<ApiToken> {
          const long long created_at = token.created_at;
          auto expires_at = NullableInt::of(token.expires_at);
          execute(sql,
                  "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, "
                  "scopes) VALUES (:id, :user_id, :name, :hash, :created_at, :expires_at, "
                  ":scopes)",
                  soci::use(token.id), soci::use(token.user_id), soci::use(token.name),
                  soci::use(token.token_hash), soci::use(created_at),
                  soci::use(expires_at.value, expires_at.ind), soci::use(token.scopes));
          return token;
        },
        [](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("user not found");
          // A hash collision means the same secret twice: never reveal more.
          return Error::conflict("token already exists");
        });
  }

  Result<std::vector<ApiToken>> list_tokens(const OwnerScope& scope) override {
    return run(
        "list_tokens", Access::kRead, [&](soci::session& sql) -> Result<std::vector<ApiToken>> {
          const std::string order = " ORDER BY created_at, id";
          if (!scope.owner_id) return select_rows<TokenRow>(sql, concat(kTokenColumns, order));
          return select_rows<TokenRow>(sql,
                                       concat(kTokenColumns, " WHERE user_id = :owner" + order),
                                       soci::use(*scope.owner_id));
        });
  }

  Result<void> delete_token(const OwnerScope& scope, std::string_view id) override {
    return run("delete_token", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string token_id(id);
      const auto deleted =
          scope.owner_id
              ? execute(sql, "DELETE FROM api_tokens WHERE id = :id AND user_id = :owner",
                        soci::use(token_id), soci::use(*scope.owner_id))
              : execute(sql, "DELETE FROM api_tokens WHERE id = :id", soci::use(token_id));
      if (deleted == 0) return fail(Error::not_found("token not found"));
      return {};
    });
  }

  Result<ApiToken> find_token_by_hash(std::string_view token_hash) override {
    return run("find_token_by_hash", Access::kRead, [&](soci::session& sql) {
      const std::string hash(token_hash);
      return first_or(select_rows<TokenRow>(sql, concat(kTokenColumns, " WHERE token_hash = :hash"),
                                            soci::use(hash)),
                      "token not found");
    });
  }

  Result<void> touch_token(std::string_view id, std::int64_t at) override {
    return update_one("touch_token", "UPDATE api_tokens SET last_used_at = :at WHERE id = :id", id,
                      at, "token not found");
  }

  Result<Project> create_project(const NewProject& in) override {
    const auto now = clock_.now_unix();
    Project project{new_id("prj"), in.owner_id, {}, in.name, in.template_name, now, now};
    return run(
        "create_project", Access::kWrite,
        [&](soci::session& sql) -> Result<Project> {
          auto owner = one_user(sql, " WHERE id = :id", project.owner_id);
          if (!owner) return fail(owner.error());
          project.owner_username = owner->username;
          const long long created_at = project.created_at;
          execute(sql,
                  "INSERT INTO projects (id, owner_id, name, template_name, created_at, "
                  "updated_at) VALUES (:id, :owner_id, :name, :template, :created_at, :updated_at)",
                  soci::use(project.id), soci::use(project.owner_id), soci::use(project.name),
                  soci::use(project.template_name), soci::use(created_at), soci::use(created_at));
          return project;
        },
        [&](Violation kind, std::string_view) -> std::optional<Error> {
          // The owner can be deleted between the lookup and the insert.
          if (kind == Violation::kForeignKey) return Error::not_found("user not found");
          return Error::conflict(
              fmt::format("project '{}/{}' already exists", project.owner_username, project.name));
        });
  }

  Result<std::vector<Project>> list_projects(const OwnerScope& scope) override {
    return run("list_projects", Access::kRead,
               [&](soci::session& sql) -> Result<std::vector<Project>> {
                 const std::string order = " ORDER BY u.username, p.name";
                 if (!scope.owner_id) {
                   return select_rows<ProjectRow>(sql, concat(kProjectColumns, order));
                 }
                 return select_rows<ProjectRow>(
                     sql, concat(kProjectColumns, " WHERE p.owner_id = :owner" + order),
                     soci::use(*scope.owner_id));
               });
  }

  Result<Project> find_project(const OwnerScope& scope, std::string_view owner_username,
                               std::string_view name) override {
    return run("find_project", Access::kRead, [&](soci::session& sql) {
      const std::string owner(owner_username), project(name);
      const auto query = concat(kProjectColumns, " WHERE u.username = :owner AND p.name = :name");
      auto rows = scope.owner_id
                      ? select_rows<ProjectRow>(sql, query + " AND p.owner_id = :owner_id",
                                                soci::use(owner), soci::use(project),
                                                soci::use(*scope.owner_id))
                      : select_rows<ProjectRow>(sql, query, soci::use(owner), soci::use(project));
      return first_or(std::move(rows), "project not found");
    });
  }

  Result<void> delete_project(const OwnerScope& scope, std::string_view id) override {
    return run("delete_project", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string project_id(id);
      const auto deleted =
          scope.owner_id
              ? execute(sql, "DELETE FROM projects WHERE id = :id AND owner_id = :owner",
                        soci::use(project_id), soci::use(*scope.owner_id))
              : execute(sql, "DELETE FROM projects WHERE id = :id", soci::use(project_id));
      if (deleted == 0) return fail(Error::not_found("project not found"));
      return {};
    });
  }

  Result<void> touch_project(std::string_view id, std::int64_t at) override {
    return update_one("touch_project", "UPDATE projects SET updated_at = :at WHERE id = :id", id,
                      at, "project not found");
  }

  Result<void> set_project_egress(std::string_view id, bool allowed) override {
    return update_one("set_project_egress",
                      "UPDATE projects SET allow_egress = :allowed WHERE id = :id", id,
                      allowed ? 1 : 0, "project not found");
  }

  Result<Build> create_build(const NewBuild& in) override {
    for (int attempt = 1;; ++attempt) {
      auto build = insert_build(in);
      if (build || build.error().code != ErrorCode::kConflict || attempt == kBuildNumberAttempts) {
        return build;
      }
    }
  }

  Result<Build> find_build(const OwnerScope& scope, std::string_view id) override {
    return run("find_build", Access::kRead,
               [&](soci::session& sql) { return one_build(sql, scope, std::string(id)); });
  }

  Result<std::vector<Build>> list_builds(const OwnerScope& scope, std::string_view project_id,
                                         std::size_t limit) override {
    return run("list_builds", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Build>> {
      const std::string project(project_id);
      const long long n = clamp_limit(limit);
      const auto query = concat(kBuildColumns, " WHERE b.project_id = :project");
      const std::string order = " ORDER BY b.number DESC LIMIT :n";
      if (!scope.owner_id) {
        return select_rows<BuildRow>(sql, query + order, soci::use(project), soci::use(n));
      }
      return select_rows<BuildRow>(sql, query + " AND b.owner_id = :owner" + order,
                                   soci::use(project), soci::use(*scope.owner_id), soci::use(n));
    });
  }

  Result<std::vector<Build>> builds_with_status(BuildStatus status) override {
    return run(
        "builds_with_status", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Build>> {
          const std::string name(build_status_name(status));
          return select_rows<BuildRow>(
              sql, concat(kBuildColumns, " WHERE b.status = :status ORDER BY b.created_at, b.id"),
              soci::use(name));
        });
  }

  Result<Build> update_build(std::string_view id, const BuildUpdate& update) override {
    return run("update_build", Access::kWrite, [&](soci::session& sql) -> Result<Build> {
      const std::string build_id(id);
      const std::string status(build_status_name(update.status));
      const std::string from(update.from ? build_status_name(*update.from) : "");
      auto started = NullableInt::of(update.started_at);
      auto finished = NullableInt::of(update.finished_at);
      auto image = NullableText::of(update.image_id);
      // COALESCE keeps the stored value where the update leaves a field unset.
      const auto changed =
          execute(sql,
                  "UPDATE builds SET status = :status, error = :error, "
                  "started_at = COALESCE(:started_at, started_at), "
                  "finished_at = COALESCE(:finished_at, finished_at), "
                  "image_id = COALESCE(:image_id, image_id) "
                  "WHERE id = :id AND (CAST(:from AS TEXT) = '' OR status = :from2)",
                  soci::use(status), soci::use(update.error), soci::use(started.value, started.ind),
                  soci::use(finished.value, finished.ind), soci::use(image.value, image.ind),
                  soci::use(build_id), soci::use(from), soci::use(from));
      auto build = one_build(sql, OwnerScope::everyone(), build_id);
      if (!build) return build;
      if (changed == 0) {
        return fail(
            Error::conflict("build is already " + std::string(build_status_name(build->status))));
      }
      return build;
    });
  }

  Result<Image> create_image(const NewImage& in) override {
    const Image image{new_id("img"), in.owner_id, in.project_id, in.build_id,   in.repository,
                      in.tag,        in.digest,   in.size,       in.commit_sha, clock_.now_unix()};
    return run(
        "create_image", Access::kWrite,
        [&](soci::session& sql) -> Result<Image> {
          const long long size = image.size, created_at = image.created_at;
          execute(
              sql,
              "INSERT INTO images (id, owner_id, project_id, build_id, repository, tag, digest, "
              "size, commit_sha, created_at) VALUES (:id, :owner_id, :project_id, :build_id, "
              ":repository, :tag, :digest, :size, :commit_sha, :created_at)",
              soci::use(image.id), soci::use(image.owner_id), soci::use(image.project_id),
              soci::use(image.build_id), soci::use(image.repository), soci::use(image.tag),
              soci::use(image.digest), soci::use(size), soci::use(image.commit_sha),
              soci::use(created_at));
          return image;
        },
        [&](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("project not found");
          return Error::conflict(
              fmt::format("image {}:{} already exists", image.repository, image.tag));
        });
  }

  Result<Image> find_image(const OwnerScope& scope, std::string_view id) override {
    return run("find_image", Access::kRead, [&](soci::session& sql) {
      const std::string image_id(id);
      const auto query = concat(kImageColumns, " WHERE id = :id");
      auto rows = scope.owner_id
                      ? select_rows<ImageRow>(sql, query + " AND owner_id = :owner",
                                              soci::use(image_id), soci::use(*scope.owner_id))
                      : select_rows<ImageRow>(sql, query, soci::use(image_id));
      return first_or(std::move(rows), "image not found");
    });
  }

  Result<std::vector<Image>> list_images(const OwnerScope& scope,
                                         std::optional<std::string_view> project_id) override {
    return run("list_images", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Image>> {
      // Empty strings match nothing real and stand for "no filter".
      const std::string owner = scope.owner_id.value_or("");
      const std::string project(project_id.value_or(""));
      return select_rows<ImageRow>(
          sql,
          concat(kImageColumns,
                 " WHERE (CAST(:owner AS TEXT) = '' OR owner_id = :owner2) AND (CAST(:project AS "
                 "TEXT) = '' OR project_id = "
                 ":project2) ORDER BY created_at DESC, id DESC"),
          soci::use(owner), soci::use(owner), soci::use(project), soci::use(project));
    });
  }

  Result<void> delete_image(const OwnerScope& scope, std::string_view id) override {
    return run("delete_image", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string image_id(id);
      const auto deleted =
          scope.owner_id ? execute(sql, "DELETE FROM images WHERE id = :id AND owner_id = :owner",
                                   soci::use(image_id), soci::use(*scope.owner_id))
                         : execute(sql, "DELETE FROM images WHERE id = :id", soci::use(image_id));
      if (deleted == 0) return fail(Error::not_found("image not found"));
      return {};
    });
  }

  Result<Deployment> create_deployment(const NewDeployment& in) override {
    const std::string id = new_id("dep");
    return run("create_deployment", Access::kWrite, [&](soci::session& sql) -> Result<Deployment> {
      const long long now = clock_.now_unix(), memory = in.memory_mb, cpu = in.cpu_millis;
      const std::string visibility(visibility_name(in.visibility));
      // The owner comes from the project row, so it cannot disagree with it.
      const auto inserted = execute(
          sql,
          "INSERT INTO deployments (id, owner_id, project_id, image_id, status, desired, "
          "visibility, memory_mb, cpu_millis, env, created_at, updated_at) SELECT :id, "
          "owner_id, id, :image_id, 'pending', 'running', :visibility, :memory, :cpu, :env, "
          ":created_at, :updated_at FROM projects WHERE id = :project_id",
          soci::use(id), soci::use(in.image_id), soci::use(visibility), soci::use(memory),
          soci::use(cpu), soci::use(in.env_json), soci::use(now), soci::use(now),
          soci::use(in.project_id));
      if (inserted == 0) return fail(Error::not_found("project not found"));
      return first_or(select_rows<DeploymentRow>(
                          sql, concat(kDeploymentColumns, " WHERE d.id = :id"), soci::use(id)),
                      "deployment not found");
    });
  }

  Result<Deployment> find_deployment(const OwnerScope& scope, std::string_view id) override {
    return run("find_deployment", Access::kRead, [&](soci::session& sql) {
      const std::string deployment_id(id);
      const auto query = concat(kDeploymentColumns, " WHERE d.id = :id");
      auto rows = scope.owner_id ? select_rows<DeploymentRow>(
                                       sql, query + " AND d.owner_id = :owner",
                                       soci::use(deployment_id), soci::use(*scope.owner_id))
                                 : select_rows<DeploymentRow>(sql, query, soci::use(deployment_id));
      return first_or(std::move(rows), "deployment not found");
    });
  }

  Result<std::vector<Deployment>> list_deployments(
      const OwnerScope& scope, std::optional<std::string_view> project_id) override {
    return run("list_deployments", Access::kRead,
               [&](soci::session& sql) -> Result<std::vector<Deployment>> {
                 // Empty strings match nothing real and stand for "no filter".
                 const std::string owner = scope.owner_id.value_or("");
                 const std::string project(project_id.value_or(""));
                 return select_rows<DeploymentRow>(
                     sql,
                     concat(kDeploymentColumns,
                            " WHERE (CAST(:owner AS TEXT) = '' OR d.owner_id = :owner2) AND "
                            "(CAST(:project AS TEXT) = '' OR d.project_id = :project2) ORDER BY "
                            "d.created_at DESC, d.id DESC"),
                     soci::use(owner), soci::use(owner), soci::use(project), soci::use(project));
               });
  }

  Result<Deployment> save_deployment(const Deployment& in) override {
    return run("save_deployment", Access::kWrite, [&](soci::session& sql) -> Result<Deployment> {
      const std::string status(deployment_status_name(in.status));
      const std::string desired = in.desired_running ? "running" : "stopped";
      const long long port = in.host_port, restarts = in.restarts, now = clock_.now_unix();
      NullableInt started = NullableInt::of(in.started_at);
      NullableInt last_request = NullableInt::of(in.last_request_at);
      const auto changed = execute(
          sql,
          "UPDATE deployments SET status = :status, status_reason = :reason, desired = :desired, "
          "container_id = :container, host_port = :port, upstream_host = :upstream, restarts = "
          ":restarts, started_at = :started, last_request_at = :last_request, updated_at = :now "
          "WHERE id = :id",
          soci::use(status), soci::use(in.status_reason), soci::use(desired),
          soci::use(in.container_id), soci::use(port), soci::use(in.upstream_host),
          soci::use(restarts), soci::use(started.value, started.ind),
          soci::use(last_request.value, last_request.ind), soci::use(now), soci::use(in.id));
      if (changed == 0) return fail(Error::not_found("deployment not found"));
      return first_or(select_rows<DeploymentRow>(
                          sql, concat(kDeploymentColumns, " WHERE d.id = :id"), soci::use(in.id)),
                      "deployment not found");
    });
  }

  Result<void> delete_deployment(const OwnerScope& scope, std::string_view id) override {
    return run("delete_deployment", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string deployment_id(id);
      const auto deleted =
          scope.owner_id
              ? execute(sql, "DELETE FROM deployments WHERE id = :id AND owner_id = :owner",
                        soci::use(deployment_id), soci::use(*scope.owner_id))
              : execute(sql, "DELETE FROM deployments WHERE id = :id", soci::use(deployment_id));
      if (deleted == 0) return fail(Error::not_found("deployment not found"));
      return {};
    });
  }

  Result<void> record_last_request(std::string_view id, std::int64_t at) override {
    return run("record_last_request", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string deployment_id(id);
      const long long when = at;
      execute(sql,
              "UPDATE deployments SET last_request_at = :at WHERE id = :id AND "
              "(last_request_at IS NULL OR last_request_at < :at2)",
              soci::use(when), soci::use(deployment_id), soci::use(when));
      return {};
    });
  }

  Result<std::int64_t> count_deployments_of_image(std::string_view image_id) override {
    return run("count_deployments_of_image", Access::kRead,
               [&](soci::session& sql) -> Result<std::int64_t> {
                 const std::string id(image_id);
                 long long count = 0;
                 sql << "SELECT COUNT(*) FROM deployments WHERE image_id = :id", soci::use(id),
                     soci::into(count);
                 return static_cast<std::int64_t>(count);
               });
  }

  Result<void> record_audit(const AuditEvent& in) override {
    AuditEvent event = in;
    if (event.id.empty()) event.id = new_id("aud");
    if (event.at == 0) event.at = clock_.now_unix();
    return run("record_audit", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const long long at = event.at;
      const std::string actor = event.actor_id.value_or("");
      soci::indicator actor_ind = event.actor_id ? soci::i_ok : soci::i_null;
      execute(sql,
              "INSERT INTO audit_events (id, at, actor_id, action, target, ip, detail) "
              "VALUES (:id, :at, :actor_id, :action, :target, :ip, :detail)",
              soci::use(event.id), soci::use(at), soci::use(actor, actor_ind),
              soci::use(event.action), soci::use(event.target), soci::use(event.ip),
              soci::use(event.detail));
      return {};
    });
  }

  Result<std::vector<AuditEvent>> list_audit(std::size_t limit) override {
    return run(
        "list_audit", Access::kRead, [&](soci::session& sql) -> Result<std::vector<AuditEvent>> {
          const long long max = std::numeric_limits<long long>::max();
          const long long n =
              limit > static_cast<std::size_t>(max) ? max : static_cast<long long>(limit);
          // Same-second events have no defined order among themselves.
          return select_rows<AuditRow>(
              sql, concat(kAuditColumns, " ORDER BY at DESC, id DESC LIMIT :n"), soci::use(n));
        });
  }

 private:
  // The number comes from the same statement as the insert: SQLite writers
  // are serialised by write_mutex_, PostgreSQL losers hit the unique key and
  // create_build retries. The owner is copied from the project row.
  Result<Build> insert_build(const NewBuild& in) {
    const std::string id = new_id("bld");
    return run(
        "create_build", Access::kWrite,
        [&](soci::session& sql) -> Result<Build> {
          const long long now = clock_.now_unix();
          const auto inserted = execute(
              sql,
              "INSERT INTO builds (id, project_id, owner_id, number, commit_sha, status, error, "
              "created_at) SELECT CAST(:id AS TEXT), p.id, p.owner_id, COALESCE((SELECT "
              "MAX(b.number) FROM builds b WHERE b.project_id = p.id), 0) + 1, "
              "CAST(:commit AS TEXT), 'queued', '', CAST(:now AS BIGINT) FROM projects p "
              "WHERE p.id = :project",
              soci::use(id), soci::use(in.commit_sha), soci::use(now), soci::use(in.project_id));
          if (inserted == 0) return fail(Error::not_found("project not found"));
          return one_build(sql, OwnerScope::everyone(), id);
        },
        [](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("project not found");
          return Error::conflict("build number taken, retry");
        });
  }

  static Result<Build> one_build(soci::session& sql, const OwnerScope& scope,
                                 const std::string& id) {
    const auto query = concat(kBuildColumns, " WHERE b.id = :id");
    auto rows = scope.owner_id ? select_rows<BuildRow>(sql, query + " AND b.owner_id = :owner",
                                                       soci::use(id), soci::use(*scope.owner_id))
                               : select_rows<BuildRow>(sql, query, soci::use(id));
    return first_or(std::move(rows), "build not found");
  }

  // Borrows a pooled session, runs `body`, and turns exceptions into errors.
  // SQLite allows one writer at a time: writers in this process queue on
  // write_mutex_ instead of spinning in SQLite's busy handler, and
  // busy_timeout covers writers in other processes. Single-statement writes
  // need no BEGIN IMMEDIATE (autocommit takes the write lock at once);
  // migrations, the only multi-statement transactions, use it. The mutex is
  // taken before the session so waiting writers do not starve readers of
  // pooled connections. PostgreSQL handles concurrent writers itself.
  template <class F>
  auto run(std::string_view op, Access access, F&& body, const ViolationHandler& on_violation = {})
      -> std::invoke_result_t<F, soci::session&> {
    std::unique_lock<std::mutex> write_lock;
    if (access == Access::kWrite && url_.backend == Backend::kSqlite) {
      write_lock = std::unique_lock(write_mutex_);
    }
    soci::session sql(pool_);
    try {
      return body(sql);
    } catch (const std::exception& e) {
      const auto message = db_message(e);
      const auto kind = classify_violation(message, sqlstate_of(e));
      if (kind != Violation::kNone && on_violation) {
        if (auto error = on_violation(kind, message)) return fail(std::move(*error));
      }
      spdlog::error("store: {} failed: {}", op, scrub(loggable(message), url_.secrets));
      reconnect_if_dropped(sql);
      return fail(Error::unavailable("database unavailable"));
    }
  }

  // A PostgreSQL restart leaves pooled connections dead: revive this one so
  // the next caller succeeds.
  void reconnect_if_dropped(soci::session& sql) noexcept {
    if (url_.backend != Backend::kPostgres || sql.is_connected()) return;
    try {
      sql.reconnect();
      spdlog::info("store: reconnected to {}", url_.redacted);
    } catch (const std::exception& e) {
      spdlog::warn("store: reconnect failed: {}", scrub(loggable(db_message(e)), url_.secrets));
    }
  }

  Result<void> update_one(std::string_view op, const std::string& query, std::string_view id,
                          std::int64_t at, std::string_view missing) {
    return run(op, Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string row_id(id);
      const long long when = at;
      if (execute(sql, query, soci::use(when), soci::use(row_id)) == 0) {
        return fail(Error::not_found(std::string(missing)));
      }
      return {};
    });
  }

  static Result<User> one_user(soci::session& sql, std::string_view where,
                               const std::string& value) {
    return first_or(select_rows<UserRow>(sql, concat(kUserColumns, where), soci::use(value)),
                    "user not found");
  }

  template <class T>
  static Result<T> first_or(std::vector<T> rows, std::string_view missing) {
    if (rows.empty()) return fail(Error::not_found(std::string(missing)));
    return std::move(rows.front());
  }

  std::string sqlite_connect_string() const {
    // Quoted so that paths with spaces or '=' survive SOCI's key=value parser.
    return "db=\"" + url_.target + "\"";
  }

  DatabaseUrl url_;
  const Clock& clock_;
  std::size_t pool_size_;
  soci::connection_pool pool_;
  std::mutex write_mutex_;
};

Result<void> create_parent_dir(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return fail(Error::unavailable(
        fmt::format("cannot create database directory {}: {}", parent.string(), ec.message())));
  }
  return {};
}

}  // namespace

std::string_view build_status_name(BuildStatus status) {
  switch (status) {
    case BuildStatus::kQueued:
      return "queued";
    case BuildStatus::kRunning:
      return "running";
    case BuildStatus::kSucceeded:
      return "succeeded";
    case BuildStatus::kFailed:
      return "failed";
    case BuildStatus::kCanceled:
      return "canceled";
  }
  return "failed";
}

std::optional<BuildStatus> parse_build_status(std::string_view name) {
  for (auto status : {BuildStatus::kQueued, BuildStatus::kRunning, BuildStatus::kSucceeded,
                      BuildStatus::kFailed, BuildStatus::kCanceled}) {
    if (build_status_name(status) == name) return status;
  }
  return std::nullopt;
}

bool is_final(BuildStatus status) {
  return status != BuildStatus::kQueued && status != BuildStatus::kRunning;
}

std::string_view deployment_status_name(DeploymentStatus status) {
  switch (status) {
    case DeploymentStatus::kPending:
      return "pending";
    case DeploymentStatus::kPulling:
      return "pulling";
    case DeploymentStatus::kStarting:
      return "starting";
    case DeploymentStatus::kHealthy:
      return "healthy";
    case DeploymentStatus::kFailed:
      return "failed";
    case DeploymentStatus::kStopped:
      return "stopped";
    case DeploymentStatus::kCrashloop:
      return "crashloop";
  }
  return "failed";
}

std::optional<DeploymentStatus> parse_deployment_status(std::string_view name) {
  for (auto status :
       {DeploymentStatus::kPending, DeploymentStatus::kPulling, DeploymentStatus::kStarting,
        DeploymentStatus::kHealthy, DeploymentStatus::kFailed, DeploymentStatus::kStopped,
        DeploymentStatus::kCrashloop}) {
    if (deployment_status_name(status) == name) return status;
  }
  return std::nullopt;
}

std::string_view visibility_name(Visibility visibility) {
  return visibility == Visibility::kPublic ? "public" : "private";
}

std::optional<Visibility> parse_visibility(std::string_view name) {
  if (name == "public") return Visibility::kPublic;
  if (name == "private") return Visibility::kPrivate;
  return std::nullopt;
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock,
                                          std::size_t pool_size) {
  auto parsed = parse_database_url(url);
  if (!parsed) return fail(parsed.error());
  if (pool_size == 0) return fail(Error::invalid_argument("database pool size must be at least 1"));
  if (parsed->backend == Backend::kSqlite) {
    if (auto made = create_parent_dir(parsed->target); !made) return fail(made.error());
  }
  auto store = std::make_unique<SociStore>(std::move(*parsed), clock, pool_size);
  if (auto connected = store->connect(); !connected) return fail(connected.error());
  if (auto migrated = store->migrate(); !migrated) return fail(migrated.error());
  return store;
}

}  // namespace orsa::store
