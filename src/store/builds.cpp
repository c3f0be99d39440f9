#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::NullableInt;
using sql::NullableText;
using sql::select_rows;

constexpr std::string_view kBuildColumns =
    "SELECT b.id, b.project_id, b.owner_id, u.username, p.name, b.number, b.commit_sha, b.status, "
    "b.error, b.created_at, b.started_at, b.finished_at, b.image_id, b.runner, b.attempts "
    "FROM builds b JOIN projects p ON p.id = b.project_id JOIN users u ON u.id = p.owner_id";
// Concurrent inserts on PostgreSQL may pick the same number; the loser retries.
constexpr int kBuildNumberAttempts = 8;

struct BuildRow {
  std::string id, project_id, owner_id, owner_username, project_name, commit_sha, status, error;
  std::string runner;
  long long number = 0, created_at = 0, attempts = 0;
  NullableInt started_at, finished_at;
  NullableText image_id;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(project_id), soci::into(owner_id), soci::into(owner_username),
        soci::into(project_name), soci::into(number), soci::into(commit_sha), soci::into(status),
        soci::into(error), soci::into(created_at), soci::into(started_at.value, started_at.ind),
        soci::into(finished_at.value, finished_at.ind), soci::into(image_id.value, image_id.ind),
        soci::into(runner), soci::into(attempts);
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
            image_id.get(),
            runner,
            attempts};
  }
};

Result<Build> one_build(soci::session& sql, const OwnerScope& scope, const std::string& id) {
  const auto query = sql::concat(kBuildColumns, " WHERE b.id = :id");
  auto rows = scope.owner_id ? select_rows<BuildRow>(sql, query + " AND b.owner_id = :owner",
                                                     soci::use(id), soci::use(*scope.owner_id))
                             : select_rows<BuildRow>(sql, query, soci::use(id));
  return first_or(std::move(rows), "build not found");
}

class SqlBuildStore final : public BuildStore {
 public:
  explicit SqlBuildStore(Database& db) : db_(db) {}

  Result<Build> create(const NewBuild& in) override {
    for (int attempt = 1;; ++attempt) {
      auto build = insert(in);
      if (build || build.error().code != ErrorCode::kConflict || attempt == kBuildNumberAttempts) {
        return build;
      }
    }
  }

  Result<Build> find(const OwnerScope& scope, std::string_view id) override {
    return db_.run("find_build", Access::kRead,
                   [&](soci::session& sql) { return one_build(sql, scope, std::string(id)); });
  }

  Result<std::vector<Build>> list(const OwnerScope& scope, std::string_view project_id,
                                  std::size_t limit) override {
    return db_.run(
        "list_builds", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Build>> {
          const std::string project(project_id);
          const long long n = sql::clamp_limit(limit);
          const auto query = sql::concat(kBuildColumns, " WHERE b.project_id = :project");
          const std::string order = " ORDER BY b.number DESC LIMIT :n";
          if (!scope.owner_id) {
            return select_rows<BuildRow>(sql, query + order, soci::use(project), soci::use(n));
          }
          return select_rows<BuildRow>(sql, query + " AND b.owner_id = :owner" + order,
                                       soci::use(project), soci::use(*scope.owner_id),
                                       soci::use(n));
        });
  }

  Result<std::vector<Build>> with_status(BuildStatus status) override {
    return db_.run(
        "builds_with_status", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Build>> {
          const std::string name(build_status_name(status));
          return select_rows<BuildRow>(
              sql,
              sql::concat(kBuildColumns, " WHERE b.status = :status ORDER BY b.created_at, b.id"),
              soci::use(name));
        });
  }

  Result<Build> update(std::string_view id, const BuildUpdate& update) override {
    return db_.run("update_build", Access::kWrite, [&](soci::session& sql) -> Result<Build> {
      const std::string build_id(id);
      const std::string status(build_status_name(update.status));
      const std::string from(update.from ? build_status_name(*update.from) : "");
      auto started = NullableInt::of(update.started_at);
      auto finished = NullableInt::of(update.finished_at);
      auto image = NullableText::of(update.image_id);
      auto runner = NullableText::of(update.runner);
      const int attempt = update.status == BuildStatus::kRunning ? 1 : 0;
      // COALESCE keeps the stored value where the update leaves a field unset.
      const auto changed =
          execute(sql,
                  "UPDATE builds SET status = :status, error = :error, "
                  "started_at = COALESCE(:started_at, started_at), "
                  "finished_at = COALESCE(:finished_at, finished_at), "
                  "image_id = COALESCE(:image_id, image_id), "
                  "runner = COALESCE(:runner, runner), attempts = attempts + :attempt "
                  "WHERE id = :id AND (CAST(:from AS TEXT) = '' OR status = :from2)",
                  soci::use(status), soci::use(update.error), soci::use(started.value, started.ind),
                  soci::use(finished.value, finished.ind), soci::use(image.value, image.ind),
                  soci::use(runner.value, runner.ind), soci::use(attempt), soci::use(build_id),
                  soci::use(from), soci::use(from));
      auto build = one_build(sql, OwnerScope::everyone(), build_id);
      if (!build) return build;
      if (changed == 0) {
        return fail(
            Error::conflict("build is already " + std::string(build_status_name(build->status))));
      }
      return build;
    });
  }

 private:
  // The number comes from the same statement as the insert: SQLite writers
  // are serialised by the database's write lock, PostgreSQL losers hit the
  // unique key and create retries. The owner is copied from the project row.
  Result<Build> insert(const NewBuild& in) {
    const std::string id = new_id("bld");
    return db_.run(
        "create_build", Access::kWrite,
        [&](soci::session& sql) -> Result<Build> {
          const long long now = db_.now();
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

  Database& db_;
};

}  // namespace

std::unique_ptr<BuildStore> sql_build_store(Database& db) {
  return std::make_unique<SqlBuildStore>(db);
}

}  // namespace orsa::store
