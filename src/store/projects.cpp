#include <fmt/format.h>

#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::select_rows;

constexpr std::string_view kProjectColumns =
    "SELECT p.id, p.owner_id, u.username, p.name, p.template_name, p.created_at, p.updated_at, "
    "p.allow_egress FROM projects p JOIN users u ON u.id = p.owner_id";

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

struct UsernameRow {
  std::string username;

  void bind(soci::details::prepare_temp_type& p) { p, soci::into(username); }
  std::string get() const { return username; }
};

Result<std::string> username_of(soci::session& sql, const std::string& user_id) {
  return first_or(select_rows<UsernameRow>(sql, "SELECT username FROM users WHERE id = :id",
                                           soci::use(user_id)),
                  "user not found");
}

class SqlProjectStore final : public ProjectStore {
 public:
  explicit SqlProjectStore(Database& db) : db_(db) {}

  Result<Project> create(const NewProject& in) override {
    const auto now = db_.now();
    Project project{new_id("prj"), in.owner_id, {}, in.name, in.template_name, now, now};
    return db_.run(
        "create_project", Access::kWrite,
        [&](soci::session& sql) -> Result<Project> {
          auto owner = username_of(sql, project.owner_id);
          if (!owner) return fail(owner.error());
          project.owner_username = *owner;
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

  Result<std::vector<Project>> list(const OwnerScope& scope) override {
    return db_.run("list_projects", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<Project>> {
                     const std::string order = " ORDER BY u.username, p.name";
                     if (!scope.owner_id) {
                       return select_rows<ProjectRow>(sql, sql::concat(kProjectColumns, order));
                     }
                     return select_rows<ProjectRow>(
                         sql, sql::concat(kProjectColumns, " WHERE p.owner_id = :owner" + order),
                         soci::use(*scope.owner_id));
                   });
  }

  // One owner's projects are in name order, which their unique index
  // (owner_id, name) walks from the cursor on; everyone's need the join.
  Result<std::vector<Project>> page(const OwnerScope& scope, const std::optional<ProjectKey>& after,
                                    std::size_t limit) override {
    return db_.run(
        "page_projects", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Project>> {
          const ProjectKey key = after.value_or(ProjectKey{});
          const long long n = sql::clamp_limit(limit);
          if (scope.owner_id) {
            return select_rows<ProjectRow>(
                sql,
                sql::concat(kProjectColumns,
                            " WHERE p.owner_id = :owner AND p.name > :name ORDER BY p.name "
                            "LIMIT :n"),
                soci::use(*scope.owner_id), soci::use(key.name), soci::use(n));
          }
          return select_rows<ProjectRow>(
              sql,
              sql::concat(kProjectColumns,
                          " WHERE u.username > :owner OR (u.username = :owner2 AND p.name > "
                          ":name) ORDER BY u.username, p.name LIMIT :n"),
              soci::use(key.owner_username), soci::use(key.owner_username), soci::use(key.name),
              soci::use(n));
        });
  }

  Result<Project> find(const OwnerScope& scope, std::string_view owner_username,
                       std::string_view name) override {
    return db_.run("find_project", Access::kRead, [&](soci::session& sql) {
      const std::string owner(owner_username), project(name);
      const auto query =
          sql::concat(kProjectColumns, " WHERE u.username = :owner AND p.name = :name");
      auto rows = scope.owner_id
                      ? select_rows<ProjectRow>(sql, query + " AND p.owner_id = :owner_id",
                                                soci::use(owner), soci::use(project),
                                                soci::use(*scope.owner_id))
                      : select_rows<ProjectRow>(sql, query, soci::use(owner), soci::use(project));
      return first_or(std::move(rows), "project not found");
    });
  }

  Result<Project> find_by_id(const OwnerScope& scope, std::string_view id) override {
    return db_.run("find_project_by_id", Access::kRead, [&](soci::session& sql) {
      const std::string project_id(id);
      const auto query = sql::concat(kProjectColumns, " WHERE p.id = :id");
      auto rows = scope.owner_id
                      ? select_rows<ProjectRow>(sql, query + " AND p.owner_id = :owner",
                                                soci::use(project_id), soci::use(*scope.owner_id))
                      : select_rows<ProjectRow>(sql, query, soci::use(project_id));
      return first_or(std::move(rows), "project not found");
    });
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    return db_.run("delete_project", Access::kWrite, [&](soci::session& sql) {
      return sql::delete_scoped(sql, "projects", "owner_id", scope.owner_id, id,
                                "project not found");
    });
  }

  Result<void> touch(std::string_view id, std::int64_t at) override {
    return db_.update_one("touch_project", "UPDATE projects SET updated_at = :at WHERE id = :id",
                          id, at, "project not found");
  }

  Result<void> set_egress(std::string_view id, bool allowed) override {
    return db_.update_one("set_project_egress",
                          "UPDATE projects SET allow_egress = :allowed WHERE id = :id", id,
                          allowed ? 1 : 0, "project not found");
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<ProjectStore> sql_project_store(Database& db) {
  return std::make_unique<SqlProjectStore>(db);
}

}  // namespace orsa::store
