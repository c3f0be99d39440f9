#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::NullableInt;
using sql::select_rows;

constexpr std::string_view kKeyColumns =
    "SELECT id, owner_id, project_id, name, key_hash, prefix, created_at, expires_at, "
    "revoked_at, rate_limit_per_min, monthly_quota_requests, monthly_quota_run_seconds FROM "
    "consumer_keys";

struct KeyRow {
  std::string id, owner_id, project_id, name, key_hash, prefix;
  long long created_at = 0;
  NullableInt expires_at, revoked_at, rate_limit, quota_requests, quota_run_seconds;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(owner_id), soci::into(project_id), soci::into(name),
        soci::into(key_hash), soci::into(prefix), soci::into(created_at),
        soci::into(expires_at.value, expires_at.ind), soci::into(revoked_at.value, revoked_at.ind),
        soci::into(rate_limit.value, rate_limit.ind),
        soci::into(quota_requests.value, quota_requests.ind),
        soci::into(quota_run_seconds.value, quota_run_seconds.ind);
  }
  ConsumerKey get() const {
    return {.id = id,
            .owner_id = owner_id,
            .project_id = project_id,
            .name = name,
            .key_hash = key_hash,
            .prefix = prefix,
            .created_at = created_at,
            .expires_at = expires_at.get(),
            .revoked_at = revoked_at.get(),
            .rate_limit_per_min = rate_limit.get(),
            .monthly_quota_requests = quota_requests.get(),
            .monthly_quota_run_seconds = quota_run_seconds.get()};
  }
};

class SqlConsumerKeyStore final : public ConsumerKeyStore {
 public:
  explicit SqlConsumerKeyStore(Database& db) : db_(db) {}

  Result<ConsumerKey> create(const NewConsumerKey& in) override {
    const std::string id = new_id("ck");
    return db_.run(
        "create_consumer_key", Access::kWrite,
        [&](soci::session& sql) -> Result<ConsumerKey> {
          const long long now = db_.now();
          auto expires = NullableInt::of(in.expires_at);
          auto rate = NullableInt::of(in.rate_limit_per_min);
          auto requests = NullableInt::of(in.monthly_quota_requests);
          auto run_seconds = NullableInt::of(in.monthly_quota_run_seconds);
          // The owner is copied from the project row, as for runs.
          const auto inserted = execute(
              sql,
              "INSERT INTO consumer_keys (id, owner_id, project_id, name, key_hash, prefix, "
              "created_at, expires_at, rate_limit_per_min, monthly_quota_requests, "
              "monthly_quota_run_seconds) SELECT CAST(:id AS TEXT), p.owner_id, p.id, CAST(:name "
              "AS TEXT), CAST(:hash AS TEXT), CAST(:prefix AS TEXT), CAST(:now AS BIGINT), "
              "CAST(:expires AS BIGINT), CAST(:rate AS BIGINT), CAST(:requests AS BIGINT), "
              "CAST(:run_seconds AS BIGINT) FROM projects p WHERE p.id = :project",
              soci::use(id), soci::use(in.name), soci::use(in.key_hash), soci::use(in.prefix),
              soci::use(now), soci::use(expires.value, expires.ind),
              soci::use(rate.value, rate.ind), soci::use(requests.value, requests.ind),
              soci::use(run_seconds.value, run_seconds.ind), soci::use(in.project_id));
          if (inserted == 0) return fail(Error::not_found("project not found"));
          return one(sql, id);
        },
        [](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("project not found");
          // A hash collision means the same secret twice: never reveal more.
          return Error::conflict("key already exists");
        });
  }

  Result<std::vector<ConsumerKey>> list(const OwnerScope& scope,
                                        std::string_view project_id) override {
    return db_.run("list_consumer_keys", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<ConsumerKey>> {
                     const std::string project(project_id);
                     const std::string where = " WHERE project_id = :project";
                     const std::string order = " ORDER BY created_at, id";
                     if (!scope.owner_id) {
                       return select_rows<KeyRow>(sql, sql::concat(kKeyColumns, where + order),
                                                  soci::use(project));
                     }
                     return select_rows<KeyRow>(
                         sql, sql::concat(kKeyColumns, where + " AND owner_id = :owner" + order),
                         soci::use(project), soci::use(*scope.owner_id));
                   });
  }

  Result<std::int64_t> count_active(std::string_view project_id) override {
    return db_.run("count_consumer_keys", Access::kRead,
                   [&](soci::session& sql) -> Result<std::int64_t> {
                     const std::string project(project_id);
                     long long count = 0;
                     sql << "SELECT COUNT(*) FROM consumer_keys WHERE project_id = :project AND "
                            "revoked_at IS NULL",
                         soci::use(project), soci::into(count);
                     return count;
                   });
  }

  Result<ConsumerKey> revoke(const OwnerScope& scope, std::string_view project_id,
                             std::string_view id, std::int64_t at) override {
    return db_.run(
        "revoke_consumer_key", Access::kWrite, [&](soci::session& sql) -> Result<ConsumerKey> {
          const std::string key(id), project(project_id);
          const long long when = at;
          std::string query =
              "UPDATE consumer_keys SET revoked_at = COALESCE(revoked_at, :at) WHERE id = :id "
              "AND project_id = :project";
          const auto changed =
              scope.owner_id
                  ? execute(sql, query + " AND owner_id = :owner", soci::use(when), soci::use(key),
                            soci::use(project), soci::use(*scope.owner_id))
                  : execute(sql, query, soci::use(when), soci::use(key), soci::use(project));
          if (changed == 0) return fail(Error::not_found("key not found"));
          return one(sql, key);
        });
  }

  Result<ConsumerKey> find_by_hash(std::string_view key_hash) override {
    return db_.run("find_consumer_key_by_hash", Access::kRead, [&](soci::session& sql) {
      const std::string hash(key_hash);
      return first_or(select_rows<KeyRow>(sql, sql::concat(kKeyColumns, " WHERE key_hash = :hash"),
                                          soci::use(hash)),
                      "key not found");
    });
  }

  Result<ConsumerKey> find(std::string_view id) override {
    return db_.run("find_consumer_key", Access::kRead,
                   [&](soci::session& sql) { return one(sql, std::string(id)); });
  }

 private:
  static Result<ConsumerKey> one(soci::session& sql, const std::string& id) {
    return first_or(
        select_rows<KeyRow>(sql, sql::concat(kKeyColumns, " WHERE id = :id"), soci::use(id)),
        "key not found");
  }

  Database& db_;
};

}  // namespace

std::unique_ptr<ConsumerKeyStore> sql_consumer_key_store(Database& db) {
  return std::make_unique<SqlConsumerKeyStore>(db);
}

}  // namespace orsa::store
