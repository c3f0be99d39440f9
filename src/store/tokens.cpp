#include "core/random.hpp"
#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

using sql::execute;
using sql::first_or;
using sql::NullableInt;
using sql::select_rows;

constexpr std::string_view kTokenColumns =
    "SELECT id, user_id, name, token_hash, created_at, expires_at, last_used_at, scopes FROM "
    "api_tokens";

struct TokenRow {
  std::string id, user_id, name, token_hash, scopes;
  long long created_at = 0;
  NullableInt expires_at, last_used_at;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(user_id), soci::into(name), soci::into(token_hash),
        soci::into(created_at), soci::into(expires_at.value, expires_at.ind),
        soci::into(last_used_at.value, last_used_at.ind), soci::into(scopes);
  }
  ApiToken get() const {
    return {id,    user_id, name, token_hash, created_at, expires_at.get(), last_used_at.get(),
            scopes};
  }
};

class SqlTokenStore final : public TokenStore {
 public:
  explicit SqlTokenStore(Database& db) : db_(db) {}

  Result<ApiToken> create(const NewApiToken& in) override {
    const ApiToken token{new_id("tok"), in.user_id,    in.name,      in.token_hash,
                         db_.now(),     in.expires_at, std::nullopt, in.scopes};
    return db_.run(
        "create_token", Access::kWrite,
        [&](soci::session& sql) -> Result<ApiToken> {
          const long long created_at = token.created_at;
          auto expires_at = NullableInt::of(token.expires_at);
          execute(sql,
                  "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, "
                  "scopes) VALUES (:id, :user_id, :name, :hash, :created_at, :expires_at, "
                  ":scopes)",
                  soci::use(token.id), soci::use(token.user_id), soci::use(token.name),
                  soci::use(token.token_hash), soci::use(created_at),
                  soci::use(expires_at.value, expires_at.ind), soci::use(token.scopes));
          return token;
        },
        [](Violation kind, std::string_view) -> std::optional<Error> {
          if (kind == Violation::kForeignKey) return Error::not_found("user not found");
          // A hash collision means the same secret twice: never reveal more.
          return Error::conflict("token already exists");
        });
  }

  Result<std::vector<ApiToken>> list(const OwnerScope& scope) override {
    return db_.run("list_tokens", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<ApiToken>> {
                     const std::string order = " ORDER BY created_at, id";
                     if (!scope.owner_id) {
                       return select_rows<TokenRow>(sql, sql::concat(kTokenColumns, order));
                     }
                     return select_rows<TokenRow>(
                         sql, sql::concat(kTokenColumns, " WHERE user_id = :owner" + order),
                         soci::use(*scope.owner_id));
                   });
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    return db_.run("delete_token", Access::kWrite, [&](soci::session& sql) {
      return sql::delete_scoped(sql, "api_tokens", "user_id", scope.owner_id, id,
                                "token not found");
    });
  }

  Result<ApiToken> find_by_hash(std::string_view token_hash) override {
    return db_.run("find_token_by_hash", Access::kRead, [&](soci::session& sql) {
      const std::string hash(token_hash);
      return first_or(
          select_rows<TokenRow>(sql, sql::concat(kTokenColumns, " WHERE token_hash = :hash"),
                                soci::use(hash)),
          "token not found");
    });
  }

  Result<void> touch(std::string_view id, std::int64_t at) override {
    return db_.update_one("touch_token", "UPDATE api_tokens SET last_used_at = :at WHERE id = :id",
                          id, at, "token not found");
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<TokenStore> sql_token_store(Database& db) {
  return std::make_unique<SqlTokenStore>(db);
}

}  // namespace orsa::store
