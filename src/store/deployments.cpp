#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::NullableInt;
using sql::select_rows;

constexpr std::string_view kDeploymentColumns =
    "SELECT d.id, d.owner_id, u.username, d.project_id, p.name, d.image_id, COALESCE(i.tag, ''), "
    "COALESCE(i.digest, ''), d.status, d.status_reason, d.desired, d.visibility, d.memory_mb, "
    "d.cpu_millis, d.env, d.container_id, d.host_port, d.restarts, d.created_at, d.updated_at, "
    "d.started_at, d.last_request_at, d.upstream_host, d.timeout_s, d.max_body_bytes, d.workers, "
    "d.replicas "
    "FROM deployments d JOIN projects p ON p.id = d.project_id JOIN users u ON u.id = "
    "p.owner_id LEFT JOIN images i ON i.id = d.image_id";

struct DeploymentRow {
  std::string id, owner_id, owner_username, project_id, project_name, image_id, image_tag,
      image_digest, status, status_reason, desired, visibility, env_json, container_id,
      upstream_host;
  long long memory_mb = 0, cpu_millis = 0, host_port = 0, restarts = 0, created_at = 0,
            updated_at = 0, timeout_s = 0, max_body_bytes = 0, workers = 0, replicas = 0;
  NullableInt started_at, last_request_at;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(owner_id), soci::into(owner_username), soci::into(project_id),
        soci::into(project_name), soci::into(image_id), soci::into(image_tag),
        soci::into(image_digest), soci::into(status), soci::into(status_reason),
        soci::into(desired), soci::into(visibility), soci::into(memory_mb), soci::into(cpu_millis),
        soci::into(env_json), soci::into(container_id), soci::into(host_port), soci::into(restarts),
        soci::into(created_at), soci::into(updated_at),
        soci::into(started_at.value, started_at.ind),
        soci::into(last_request_at.value, last_request_at.ind), soci::into(upstream_host),
        soci::into(timeout_s), soci::into(max_body_bytes), soci::into(workers),
        soci::into(replicas);
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
            .timeout_s = timeout_s,
            .max_body_bytes = max_body_bytes,
            .workers = workers,
            .replicas = replicas,
            .restarts = restarts,
            .created_at = created_at,
            .updated_at = updated_at,
            .started_at = started_at.get(),
            .last_request_at = last_request_at.get()};
  }
};

Result<Deployment> one_deployment(soci::session& sql, const std::string& id) {
  return first_or(select_rows<DeploymentRow>(
                      sql, sql::concat(kDeploymentColumns, " WHERE d.id = :id"), soci::use(id)),
                  "deployment not found");
}

class SqlDeploymentStore final : public DeploymentStore {
 public:
  explicit SqlDeploymentStore(Database& db) : db_(db) {}

  Result<Deployment> create(const NewDeployment& in) override {
    const std::string id = new_id("dep");
    return db_.run(
        "create_deployment", Access::kWrite, [&](soci::session& sql) -> Result<Deployment> {
          const long long now = db_.now(), memory = in.memory_mb, cpu = in.cpu_millis,
                          timeout = in.timeout_s, body = in.max_body_bytes, workers = in.workers,
                          replicas = in.replicas;
          const std::string visibility(visibility_name(in.visibility));
          // The owner comes from the project row, so it cannot disagree with it.
          const auto inserted = execute(
              sql,
              "INSERT INTO deployments (id, owner_id, project_id, image_id, status, desired, "
              "visibility, memory_mb, cpu_millis, env, timeout_s, max_body_bytes, workers, "
              "replicas, created_at, updated_at) SELECT :id, owner_id, id, :image_id, "
              "'pending', 'running', :visibility, :memory, :cpu, :env, :timeout, :body, "
              ":workers, :replicas, "
              ":created_at, :updated_at FROM "
              "projects WHERE id = :project_id",
              soci::use(id), soci::use(in.image_id), soci::use(visibility), soci::use(memory),
              soci::use(cpu), soci::use(in.env_json), soci::use(timeout), soci::use(body),
              soci::use(workers), soci::use(replicas), soci::use(now), soci::use(now),
              soci::use(in.project_id));
          if (inserted == 0) return fail(Error::not_found("project not found"));
          return one_deployment(sql, id);
        });
  }

  Result<Deployment> find(const OwnerScope& scope, std::string_view id) override {
    return db_.run("find_deployment", Access::kRead, [&](soci::session& sql) {
      const std::string deployment_id(id);
      const auto query = sql::concat(kDeploymentColumns, " WHERE d.id = :id");
      auto rows = scope.owner_id ? select_rows<DeploymentRow>(
                                       sql, query + " AND d.owner_id = :owner",
                                       soci::use(deployment_id), soci::use(*scope.owner_id))
                                 : select_rows<DeploymentRow>(sql, query, soci::use(deployment_id));
      return first_or(std::move(rows), "deployment not found");
    });
  }

  Result<std::vector<Deployment>> list(const OwnerScope& scope,
                                       std::optional<std::string_view> project_id) override {
    return db_.run("list_deployments", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<Deployment>> {
                     // Empty strings match nothing real and stand for "no filter".
                     const std::string owner = scope.owner_id.value_or("");
                     const std::string project(project_id.value_or(""));
                     return select_rows<DeploymentRow>(
                         sql,
                         sql::concat(kDeploymentColumns,
                                     " WHERE (CAST(:owner AS TEXT) = '' OR d.owner_id = :owner2) "
                                     "AND (CAST(:project AS TEXT) = '' OR d.project_id = "
                                     ":project2) ORDER BY d.created_at DESC, d.id DESC"),
                         soci::use(owner), soci::use(owner), soci::use(project),
                         soci::use(project));
                   });
  }

  Result<Deployment> save(const Deployment& in) override {
    return db_.run(
        "save_deployment", Access::kWrite, [&](soci::session& sql) -> Result<Deployment> {
          const std::string status(deployment_status_name(in.status));
          const std::string desired = in.desired_running ? "running" : "stopped";
          const long long port = in.host_port, restarts = in.restarts, now = db_.now();
          NullableInt started = NullableInt::of(in.started_at);
          NullableInt last_request = NullableInt::of(in.last_request_at);
          const auto changed = execute(
              sql,
              "UPDATE deployments SET status = :status, status_reason = :reason, desired = "
              ":desired, "
              "container_id = :container, host_port = :port, upstream_host = :upstream, restarts = "
              ":restarts, started_at = :started, last_request_at = :last_request, updated_at = "
              ":now "
              "WHERE id = :id",
              soci::use(status), soci::use(in.status_reason), soci::use(desired),
              soci::use(in.container_id), soci::use(port), soci::use(in.upstream_host),
              soci::use(restarts), soci::use(started.value, started.ind),
              soci::use(last_request.value, last_request.ind), soci::use(now), soci::use(in.id));
          if (changed == 0) return fail(Error::not_found("deployment not found"));
          return one_deployment(sql, in.id);
        });
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    return db_.run("delete_deployment", Access::kWrite, [&](soci::session& sql) {
      return sql::delete_scoped(sql, "deployments", "owner_id", scope.owner_id, id,
                                "deployment not found");
    });
  }

  Result<void> record_last_request(std::string_view id, std::int64_t at) override {
    return db_.run("record_last_request", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string deployment_id(id);
      const long long when = at;
      execute(sql,
              "UPDATE deployments SET last_request_at = :at WHERE id = :id AND "
              "(last_request_at IS NULL OR last_request_at < :at2)",
              soci::use(when), soci::use(deployment_id), soci::use(when));
      return {};
    });
  }

  Result<std::int64_t> count_using_image(std::string_view image_id) override {
    return db_.run("count_deployments_of_image", Access::kRead,
                   [&](soci::session& sql) -> Result<std::int64_t> {
                     const std::string id(image_id);
                     long long count = 0;
                     sql << "SELECT COUNT(*) FROM deployments WHERE image_id = :id", soci::use(id),
                         soci::into(count);
                     return static_cast<std::int64_t>(count);
                   });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<DeploymentStore> sql_deployment_store(Database& db) {
  return std::make_unique<SqlDeploymentStore>(db);
}

}  // namespace orsa::store
