#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

// The actor's username comes with each event: the log is read by people.
constexpr std::string_view kAuditColumns =
    "SELECT a.id, a.at, a.actor_id, a.action, a.target, a.ip, a.detail, u.username "
    "FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id";

struct AuditRow {
  std::string id, action, target, ip, detail;
  long long at = 0;
  std::string actor_id, actor_username;
  soci::indicator actor_ind = soci::i_null, username_ind = soci::i_null;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(at), soci::into(actor_id, actor_ind), soci::into(action),
        soci::into(target), soci::into(ip), soci::into(detail),
        soci::into(actor_username, username_ind);
  }
  AuditEvent get() const {
    return {.id = id,
            .at = at,
            .actor_id = actor_ind == soci::i_ok ? std::optional(actor_id) : std::nullopt,
            .action = action,
            .target = target,
            .ip = ip,
            .detail = detail,
            .actor_username =
                username_ind == soci::i_ok ? std::optional(actor_username) : std::nullopt};
  }
};

class SqlAuditStore final : public AuditStore {
 public:
  explicit SqlAuditStore(Database& db) : db_(db) {}

  Result<void> record(const AuditEvent& in) override {
    AuditEvent event = in;
    if (event.id.empty()) event.id = new_id("aud");
    if (event.at == 0) event.at = db_.now();
    return db_.run("record_audit", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const long long at = event.at;
      const std::string actor = event.actor_id.value_or("");
      soci::indicator actor_ind = event.actor_id ? soci::i_ok : soci::i_null;
      sql::execute(sql,
                   "INSERT INTO audit_events (id, at, actor_id, action, target, ip, detail) "
                   "VALUES (:id, :at, :actor_id, :action, :target, :ip, :detail)",
                   soci::use(event.id), soci::use(at), soci::use(actor, actor_ind),
                   soci::use(event.action), soci::use(event.target), soci::use(event.ip),
                   soci::use(event.detail));
      return {};
    });
  }

  Result<std::vector<AuditEvent>> list(std::size_t limit) override {
    return db_.run("list_audit", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<AuditEvent>> {
                     const long long n = sql::clamp_limit(limit);
                     // Same-second events have no defined order among themselves.
                     return sql::select_rows<AuditRow>(
                         sql, sql::concat(kAuditColumns, " ORDER BY a.at DESC, a.id DESC LIMIT :n"),
                         soci::use(n));
                   });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<AuditStore> sql_audit_store(Database& db) {
  return std::make_unique<SqlAuditStore>(db);
}

}  // namespace orsa::store
