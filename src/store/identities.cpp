#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::NullableText;
using sql::select_rows;

constexpr std::string_view kIdentityColumns =
    "SELECT id, user_id, provider, subject, email, created_at, last_login_at FROM identities";

struct IdentityRow {
  std::string id, user_id, provider, subject, email;
  long long created_at = 0, last_login_at = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(user_id), soci::into(provider), soci::into(subject),
        soci::into(email), soci::into(created_at), soci::into(last_login_at);
  }
  Identity get() const {
    return {id, user_id, provider, subject, email, created_at, last_login_at};
  }
};

struct PendingRow {
  std::string state_hash, provider, nonce, code_verifier, next_path;
  NullableText link_user_id;
  long long expires_at = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(state_hash), soci::into(provider), soci::into(nonce), soci::into(code_verifier),
        soci::into(link_user_id.value, link_user_id.ind), soci::into(next_path),
        soci::into(expires_at);
  }
  PendingLogin get() const {
    return {state_hash, provider, nonce, code_verifier, link_user_id.get(), next_path, expires_at};
  }
};

class SqlIdentityStore final : public IdentityStore {
 public:
  explicit SqlIdentityStore(Database& db) : db_(db) {}

  Result<Identity> create(const NewIdentity& in) override {
    const Identity identity{new_id("idn"), in.user_id, in.provider, in.subject,
                            in.email,      db_.now(),  db_.now()};
    return db_.run(
        "create_identity", Access::kWrite,
        [&](soci::session& sql) -> Result<Identity> {
          const long long at = identity.created_at;
          execute(sql,
                  "INSERT INTO identities (id, user_id, provider, subject, email, created_at, "
                  "last_login_at) VALUES (:id, :user_id, :provider, :subject, :email, :created, "
                  ":last)",
                  soci::use(identity.id), soci::use(identity.user_id), soci::use(identity.provider),
                  soci::use(identity.subject), soci::use(identity.email), soci::use(at),
                  soci::use(at));
          return identity;
        },
        [](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("user not found");
          return Error::conflict("this account at the provider is linked already");
        });
  }

  Result<Identity> find_by_subject(std::string_view provider, std::string_view subject) override {
    return db_.run("find_identity", Access::kRead, [&](soci::session& sql) -> Result<Identity> {
      const std::string p(provider), s(subject);
      return first_or(
          select_rows<IdentityRow>(
              sql, sql::concat(kIdentityColumns, " WHERE provider = :p AND subject = :s"),
              soci::use(p), soci::use(s)),
          "identity not found");
    });
  }

  Result<std::vector<Identity>> list(const OwnerScope& scope) override {
    return db_.run("list_identities", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<Identity>> {
                     const std::string order = " ORDER BY created_at, id";
                     if (!scope.owner_id)
                       return select_rows<IdentityRow>(sql, sql::concat(kIdentityColumns, order));
                     return select_rows<IdentityRow>(
                         sql, sql::concat(kIdentityColumns, " WHERE user_id = :owner" + order),
                         soci::use(*scope.owner_id));
                   });
  }

  Result<void> touch_login(std::string_view id) override {
    return db_.run("touch_identity", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const std::string row_id(id);
      const long long now = db_.now();
      if (execute(sql, "UPDATE identities SET last_login_at = :now WHERE id = :id", soci::use(now),
                  soci::use(row_id)) == 0)
        return fail(Error::not_found("identity not found"));
      return {};
    });
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    return db_.run("delete_identity", Access::kWrite, [&](soci::session& sql) {
      return sql::delete_scoped(sql, "identities", "user_id", scope.owner_id, id,
                                "identity not found");
    });
  }

  Result<void> begin_login(const PendingLogin& in) override {
    return db_.run("begin_login", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      const long long now = db_.now();
      const long long expires_at = in.expires_at;
      auto link = NullableText::of(in.link_user_id);
      execute(sql, "DELETE FROM pending_logins WHERE expires_at <= :now", soci::use(now));
      execute(sql,
              "INSERT INTO pending_logins (state_hash, provider, nonce, code_verifier, "
              "link_user_id, next_path, expires_at) VALUES (:h, :p, :n, :v, :l, :next, :exp)",
              soci::use(in.state_hash), soci::use(in.provider), soci::use(in.nonce),
              soci::use(in.code_verifier), soci::use(link.value, link.ind), soci::use(in.next_path),
              soci::use(expires_at));
      return {};
    });
  }

  Result<PendingLogin> take_login(std::string_view state_hash) override {
    return db_.run("take_login", Access::kWrite, [&](soci::session& sql) -> Result<PendingLogin> {
      const std::string h(state_hash);
      auto rows = select_rows<PendingRow>(
          sql,
          "SELECT state_hash, provider, nonce, code_verifier, link_user_id, next_path, "
          "expires_at FROM pending_logins WHERE state_hash = :h",
          soci::use(h));
      // Only the caller whose DELETE removed the row may use it: one use per state.
      if (rows.empty() ||
          execute(sql, "DELETE FROM pending_logins WHERE state_hash = :h", soci::use(h)) == 0)
        return fail(Error::not_found("login not found or already used"));
      if (rows.front().expires_at <= db_.now())
        return fail(Error::not_found("login expired: start again"));
      return std::move(rows.front());
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<IdentityStore> sql_identity_store(Database& db) {
  return std::make_unique<SqlIdentityStore>(db);
}

}  // namespace orsa::store
