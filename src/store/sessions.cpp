#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;

class SqlSessionStore final : public SessionStore {
 public:
  explicit SqlSessionStore(Database& db) : db_(db) {}

  Result<void> revoke(std::string_view session_id, std::string_view user_id,
                      std::int64_t expires_at) override {
    return db_.run("revoke_session", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string sid(session_id);
      const std::string uid(user_id);
      const long long until = expires_at;
      const long long now = db_.now();
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

  Result<bool> is_revoked(std::string_view session_id) override {
    return db_.run("is_session_revoked", Access::kRead, [&](soci::session& sql) -> Result<bool> {
      const std::string sid(session_id);
      long long count = 0;
      sql << "SELECT COUNT(*) FROM revoked_sessions WHERE id = :id", soci::use(sid),
          soci::into(count);
      return count > 0;
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<SessionStore> sql_session_store(Database& db) {
  return std::make_unique<SqlSessionStore>(db);
}

}  // namespace orsa::store
