#include <fmt/format.h>

#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::select_rows;

constexpr std::string_view kUserColumns =
    "SELECT id, username, email, password_hash, role, disabled, created_at, session_epoch FROM "
    "users";

struct UserRow {
  std::string id, username, email, password_hash, role;
  int disabled = 0;
  long long created_at = 0;
  long long session_epoch = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(username), soci::into(email), soci::into(password_hash),
        soci::into(role), soci::into(disabled), soci::into(created_at), soci::into(session_epoch);
  }
  User get() const {
    // The CHECK constraint keeps roles valid; fall back to the least privilege.
    return {id,
            username,
            email,
            password_hash,
            parse_role(role).value_or(Role::kViewer),
            disabled != 0,
            created_at,
            session_epoch};
  }
};

Result<User> one_user(soci::session& sql, std::string_view where, const std::string& value) {
  return first_or(select_rows<UserRow>(sql, sql::concat(kUserColumns, where), soci::use(value)),
                  "user not found");
}

class SqlUserStore final : public UserStore {
 public:
  explicit SqlUserStore(Database& db) : db_(db) {}

  Result<User> create(const NewUser& in) override {
    const User user{new_id("usr"), in.username, in.email, in.password_hash,
                    in.role,       false,       db_.now()};
    return db_.run(
        "create_user", Access::kWrite,
        [&](soci::session& sql) -> Result<User> {
          const std::string role(role_name(user.role));
          const long long created_at = user.created_at;
          execute(sql,
                  "INSERT INTO users (id, username, email, password_hash, role, disabled, "
                  "created_at) VALUES (:id, :username, :email, :hash, :role, 0, :created_at)",
                  soci::use(user.id), soci::use(user.username), soci::use(user.email),
                  soci::use(user.password_hash), soci::use(role), soci::use(created_at));
          return user;
        },
        [&](Violation kind, std::string_view message) -> std::optional<Error> {
          if (kind != Violation::kUnique) return std::nullopt;
          if (names_any(message, {"users.email", "users_email_key"})) {
            return Error::conflict("email is already registered");
          }
          if (names_any(message, {"users.username", "users_username_key"})) {
            return Error::conflict(fmt::format("username '{}' is already taken", in.username));
          }
          return std::nullopt;
        });
  }

  Result<User> find_by_id(std::string_view id) override {
    return db_.run("find_user_by_id", Access::kRead, [&](soci::session& sql) {
      return one_user(sql, " WHERE id = :id", std::string(id));
    });
  }

  Result<User> find_by_login(std::string_view login) override {
    return db_.run("find_user_by_login", Access::kRead, [&](soci::session& sql) {
      const std::string value(login);
      auto users =
          select_rows<UserRow>(sql, sql::concat(kUserColumns, " WHERE username = :u OR email = :e"),
                               soci::use(value), soci::use(value));
      return first_or(std::move(users), "user not found");
    });
  }

  Result<std::vector<User>> list() override {
    return db_.run(
        "list_users", Access::kRead, [](soci::session& sql) -> Result<std::vector<User>> {
          return select_rows<UserRow>(sql, sql::concat(kUserColumns, " ORDER BY username"));
        });
  }

  Result<User> update(std::string_view id, std::optional<Role> role,
                      std::optional<bool> disabled) override {
    return db_.run("update_user", Access::kWrite, [&](soci::session& sql) -> Result<User> {
      const std::string user_id(id);
      const std::string role_value(role ? role_name(*role) : "");
      const int disabled_value = disabled.value_or(false) ? 1 : 0;
      if (role && disabled) {
        execute(sql, "UPDATE users SET role = :role, disabled = :disabled WHERE id = :id",
                soci::use(role_value), soci::use(disabled_value), soci::use(user_id));
      } else if (role) {
        execute(sql, "UPDATE users SET role = :role WHERE id = :id", soci::use(role_value),
                soci::use(user_id));
      } else if (disabled) {
        execute(sql, "UPDATE users SET disabled = :disabled WHERE id = :id",
                soci::use(disabled_value), soci::use(user_id));
      }
      // Also answers not_found for an unknown id when nothing changed.
      return one_user(sql, " WHERE id = :id", user_id);
    });
  }

  Result<std::int64_t> count() override {
    return db_.run("count_users", Access::kRead, [](soci::session& sql) -> Result<std::int64_t> {
      long long count = 0;
      sql << "SELECT COUNT(*) FROM users", soci::into(count);
      return count;
    });
  }

  Result<std::int64_t> change_password(std::string_view id,
                                       std::string_view password_hash) override {
    return db_.run("change_password", Access::kWrite,
                   [&](soci::session& sql) -> Result<std::int64_t> {
                     const std::string user_id(id);
                     const std::string hash(password_hash);
                     if (execute(sql,
                                 "UPDATE users SET password_hash = :hash, session_epoch = "
                                 "session_epoch + 1 WHERE id = :id",
                                 soci::use(hash), soci::use(user_id)) == 0) {
                       return fail(Error::not_found("user not found"));
                     }
                     auto user = one_user(sql, " WHERE id = :id", user_id);
                     if (!user) return fail(user.error());
                     return user->session_epoch;
                   });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<UserStore> sql_user_store(Database& db) {
  return std::make_unique<SqlUserStore>(db);
}

}  // namespace orsa::store
