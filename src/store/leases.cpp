#include "store/leases.hpp"

#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::select_rows;

constexpr std::string_view kLeaseColumns = "SELECT name, holder, expires_at, term FROM leases";

struct LeaseRow {
  std::string name, holder;
  long long expires_at = 0, term = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(name), soci::into(holder), soci::into(expires_at), soci::into(term);
  }
  Lease get() const { return {name, holder, expires_at, term}; }
};

class SqlLeaseStore final : public LeaseStore {
 public:
  explicit SqlLeaseStore(Database& db) : db_(db) {}

  Result<Lease> acquire(std::string_view name, std::string_view holder,
                        std::chrono::seconds ttl) override {
    if (auto ok = check_lease_request(name, holder, ttl); !ok) return fail(ok.error());
    return db_.run("acquire_lease", Access::kWrite, [&](soci::session& sql) -> Result<Lease> {
      const std::string lease(name), me(holder);
      const long long now = db_.now(), expires = now + ttl.count();
      // One statement, so two instances racing cannot both win: the update
      // applies only to the holder's own lease or an expired one. On both
      // engines the SET expressions read the row as it was.
      execute(sql,
              "INSERT INTO leases (name, holder, expires_at, term) VALUES (:name, :holder, "
              ":expires, 1) ON CONFLICT (name) DO UPDATE SET term = CASE WHEN leases.holder = "
              "excluded.holder THEN leases.term ELSE leases.term + 1 END, holder = "
              "excluded.holder, expires_at = excluded.expires_at WHERE leases.holder = "
              "excluded.holder OR leases.expires_at <= :now",
              soci::use(lease), soci::use(me), soci::use(expires), soci::use(now));
      return first_or(select_rows<LeaseRow>(sql, sql::concat(kLeaseColumns, " WHERE name = :name"),
                                            soci::use(lease)),
                      "lease not found");
    });
  }

  Result<void> release(std::string_view name, std::string_view holder) override {
    return db_.run("release_lease", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string lease(name), me(holder);
      const long long now = db_.now();
      execute(sql,
              "UPDATE leases SET expires_at = :now WHERE name = :name AND holder = :holder AND "
              "expires_at > :now2",
              soci::use(now), soci::use(lease), soci::use(me), soci::use(now));
      return {};
    });
  }

  Result<Lease> find(std::string_view name) override {
    return db_.run("find_lease", Access::kRead, [&](soci::session& sql) -> Result<Lease> {
      const std::string lease(name);
      return first_or(select_rows<LeaseRow>(sql, sql::concat(kLeaseColumns, " WHERE name = :name"),
                                            soci::use(lease)),
                      "lease not found");
    });
  }

  Result<std::vector<Lease>> list() override {
    return db_.run(
        "list_leases", Access::kRead, [&](soci::session& sql) -> Result<std::vector<Lease>> {
          return select_rows<LeaseRow>(sql, sql::concat(kLeaseColumns, " ORDER BY name"));
        });
  }

 private:
  Database& db_;
};

}  // namespace

Result<void> check_lease_request(std::string_view name, std::string_view holder,
                                 std::chrono::seconds ttl) {
  if (name.empty() || holder.empty())
    return fail(Error::invalid_argument("a lease needs a name and a holder"));
  if (ttl < std::chrono::seconds(1))
    return fail(Error::invalid_argument("a lease lasts at least a second"));
  return {};
}

std::unique_ptr<LeaseStore> sql_lease_store(Database& db) {
  return std::make_unique<SqlLeaseStore>(db);
}

}  // namespace orsa::store
