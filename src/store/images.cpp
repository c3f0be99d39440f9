#include <fmt/format.h>

#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::select_rows;

constexpr std::string_view kImageColumns =
    "SELECT id, owner_id, project_id, build_id, repository, tag, digest, size, commit_sha, "
    "created_at, (SELECT COUNT(*) FROM deployments d WHERE d.image_id = images.id), "
    "(SELECT COUNT(*) FROM deployments d WHERE d.image_id = images.id AND d.desired = "
    "'running') FROM images";

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

// The WHERE clause holds only the filters present, so that a page starts at
// its cursor in the index of its leading filter (0013_list_pages.sql).
std::vector<Image> page_images(soci::session& sql, const OwnerScope& scope, const ImageQuery& q) {
  std::string where;
  const auto add = [&](std::string_view condition) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  };
  if (scope.owner_id) add("owner_id = :owner");
  if (q.project_id) add("project_id = :project");
  if (q.after) add("(created_at < :at OR (created_at = :at2 AND id < :id))");
  const auto query =
      sql::concat(kImageColumns, where + " ORDER BY created_at DESC, id DESC LIMIT :n");
  const long long at = q.after ? q.after->created_at : 0, n = sql::clamp_limit(q.limit);

  ImageRow row;
  soci::details::prepare_temp_type p = (sql.prepare << query);
  row.bind(p);
  // Bound in the order the conditions were added.
  if (scope.owner_id) static_cast<void>(p, soci::use(*scope.owner_id));
  if (q.project_id) static_cast<void>(p, soci::use(*q.project_id));
  if (q.after) static_cast<void>(p, soci::use(at), soci::use(at), soci::use(q.after->id));
  static_cast<void>(p, soci::use(n));
  soci::statement statement(p);
  statement.execute();
  std::vector<Image> images;
  while (statement.fetch()) images.push_back(row.get());
  return images;
}

class SqlImageStore final : public ImageStore {
 public:
  explicit SqlImageStore(Database& db) : db_(db) {}

  Result<Image> create(const NewImage& in) override {
    const Image image{new_id("img"), in.owner_id, in.project_id, in.build_id,   in.repository,
                      in.tag,        in.digest,   in.size,       in.commit_sha, db_.now()};
    return db_.run(
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

  Result<Image> find(const OwnerScope& scope, std::string_view id) override {
    return db_.run("find_image", Access::kRead, [&](soci::session& sql) {
      const std::string image_id(id);
      const auto query = sql::concat(kImageColumns, " WHERE id = :id");
      auto rows = scope.owner_id
                      ? select_rows<ImageRow>(sql, query + " AND owner_id = :owner",
                                              soci::use(image_id), soci::use(*scope.owner_id))
                      : select_rows<ImageRow>(sql, query, soci::use(image_id));
      return first_or(std::move(rows), "image not found");
    });
  }

  Result<std::vector<Image>> list(const OwnerScope& scope,
                                  std::optional<std::string_view> project_id) override {
    return db_.run(
        "list_images", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Image>> {
          // Empty strings match nothing real and stand for "no filter".
          const std::string owner = scope.owner_id.value_or("");
          const std::string project(project_id.value_or(""));
          return select_rows<ImageRow>(
              sql,
              sql::concat(kImageColumns,
                          " WHERE (CAST(:owner AS TEXT) = '' OR owner_id = :owner2) AND "
                          "(CAST(:project AS TEXT) = '' OR project_id = :project2) ORDER BY "
                          "created_at DESC, id DESC"),
              soci::use(owner), soci::use(owner), soci::use(project), soci::use(project));
        });
  }

  Result<std::vector<Image>> page(const OwnerScope& scope, const ImageQuery& q) override {
    return db_.run("page_images", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<Image>> {
                     return page_images(sql, scope, q);
                   });
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    return db_.run("delete_image", Access::kWrite, [&](soci::session& sql) {
      return sql::delete_scoped(sql, "images", "owner_id", scope.owner_id, id, "image not found");
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<ImageStore> sql_image_store(Database& db) {
  return std::make_unique<SqlImageStore>(db);
}

}  // namespace orsa::store
