#include "store/store.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <utility>

#include "database.hpp"
#include "database_url.hpp"
#include "sql_repositories.hpp"

namespace orsa::store {
namespace {

// The repositories over one Database (declared after it, so destroyed before it).
class SqlStore final : public Store {
 public:
  SqlStore(DatabaseUrl url, const Clock& clock, std::size_t pool_size)
      : db_(std::move(url), clock, pool_size),
        users_(sql_user_store(db_)),
        sessions_(sql_session_store(db_)),
        tokens_(sql_token_store(db_)),
        projects_(sql_project_store(db_)),
        builds_(sql_build_store(db_)),
        images_(sql_image_store(db_)),
        deployments_(sql_deployment_store(db_)),
        audit_(sql_audit_store(db_)),
        runs_(sql_run_store(db_)),
        consumer_keys_(sql_consumer_key_store(db_)),
        usage_(sql_usage_store(db_)),
        identities_(sql_identity_store(db_)),
        leases_(sql_lease_store(db_)) {}

  Database& database() { return db_; }

  Result<void> ping() override { return db_.ping(); }
  UserStore& users() override { return *users_; }
  SessionStore& sessions() override { return *sessions_; }
  TokenStore& tokens() override { return *tokens_; }
  ProjectStore& projects() override { return *projects_; }
  BuildStore& builds() override { return *builds_; }
  ImageStore& images() override { return *images_; }
  DeploymentStore& deployments() override { return *deployments_; }
  AuditStore& audit() override { return *audit_; }
  RunStore& runs() override { return *runs_; }
  ConsumerKeyStore& consumer_keys() override { return *consumer_keys_; }
  UsageStore& usage() override { return *usage_; }
  IdentityStore& identities() override { return *identities_; }
  LeaseStore& leases() override { return *leases_; }

 private:
  Database db_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<ProjectStore> projects_;
  std::unique_ptr<BuildStore> builds_;
  std::unique_ptr<ImageStore> images_;
  std::unique_ptr<DeploymentStore> deployments_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<ConsumerKeyStore> consumer_keys_;
  std::unique_ptr<UsageStore> usage_;
  std::unique_ptr<IdentityStore> identities_;
  std::unique_ptr<LeaseStore> leases_;
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

Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock,
                                          std::size_t pool_size) {
  auto parsed = parse_database_url(url);
  if (!parsed) return fail(parsed.error());
  if (pool_size == 0) return fail(Error::invalid_argument("database pool size must be at least 1"));
  if (parsed->backend == Backend::kSqlite) {
    if (auto made = create_parent_dir(parsed->target); !made) return fail(made.error());
  }
  auto store = std::make_unique<SqlStore>(std::move(*parsed), clock, pool_size);
  if (auto connected = store->database().connect(); !connected) return fail(connected.error());
  if (auto migrated = store->database().migrate(); !migrated) return fail(migrated.error());
  return store;
}

}  // namespace orsa::store
