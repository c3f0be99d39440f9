#include "migrations.hpp"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "orsa_store_migrations_embedded.hpp"
#include "sql_errors.hpp"

namespace orsa::store {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

// Any constant works; it only has to be the same in every ORSA process.
constexpr std::string_view kPostgresLock = "SELECT pg_advisory_xact_lock(7265870001)";

// Holds the database's migration lock for one transaction. On SQLite,
// BEGIN IMMEDIATE takes the write lock up front, so two processes migrating
// at once queue on busy_timeout instead of both reading schema_migrations and
// then deadlocking on the lock upgrade. On PostgreSQL a transaction-scoped
// advisory lock serialises migrators the same way.
class MigrationTransaction {
 public:
  MigrationTransaction(soci::session& sql, Backend backend) : sql_(sql) {
    sql_ << (backend == Backend::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    open_ = true;
    if (backend == Backend::kPostgres) {
      try {
        sql_ << std::string(kPostgresLock);
      } catch (...) {
        rollback();
        throw;
      }
    }
  }
  MigrationTransaction(const MigrationTransaction&) = delete;
  MigrationTransaction& operator=(const MigrationTransaction&) = delete;
  ~MigrationTransaction() { rollback(); }

  void commit() {
    sql_ << "COMMIT";
    open_ = false;
  }

 private:
  void rollback() noexcept {
    if (!open_) return;
    open_ = false;
    try {
      sql_ << "ROLLBACK";
    } catch (const std::exception& e) {
      spdlog::warn("store: rollback failed: {}", loggable(db_message(e)));
    }
  }

  soci::session& sql_;
  bool open_ = false;
};

// "0007_add_builds.sql" → 7; nullopt for a name that does not follow the pattern.
std::optional<long long> version_of(std::string_view name) {
  long long version = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
  if (ec != std::errc() || end == name.data() || version <= 0) return std::nullopt;
  if (*end != '_' || !name.ends_with(".sql")) return std::nullopt;
  return version;
}

Result<std::vector<long long>> versions_of(const std::vector<Migration>& migrations) {
  std::vector<long long> versions;
  for (const auto& migration : migrations) {
    const auto version = version_of(migration.name);
    if (!version) {
      return fail(Error::internal(
          fmt::format("migration {} is not named NNNN_description.sql", migration.name)));
    }
    if (!versions.empty() && *version <= versions.back()) {
      return fail(Error::internal(fmt::format("migration {} is out of order", migration.name)));
    }
    versions.push_back(*version);
  }
  return versions;
}

// Refuses to run an older binary against a schema it does not know.
Result<void> check_not_newer(soci::session& sql, long long newest_known) {
  long long newest = 0;
  soci::indicator ind = soci::i_null;
  sql << "SELECT MAX(version) FROM schema_migrations", soci::into(newest, ind);
  if (ind == soci::i_ok && newest > newest_known) {
    return fail(Error::internal(
        fmt::format("database schema version {} is newer than this program (knows up to {})",
                    newest, newest_known)));
  }
  return {};
}

// Runs one migration unless it is recorded already; true when it ran. With
// `newest_known` > 0, first checks that the schema is not newer than the
// program. (A plain sentinel rather than std::optional: GCC 12 at -O3 reports
// a false -Wmaybe-uninitialized for the optional here.)
Result<bool> apply_one(soci::session& sql, Backend backend, const Migration& migration,
                       long long version, long long now, long long newest_known) {
  MigrationTransaction tx(sql, backend);
  // Inside the lock: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL.
  sql << std::string(kCreateTable);
  if (newest_known > 0) {
    if (auto checked = check_not_newer(sql, newest_known); !checked) return fail(checked.error());
  }
  long long applied = 0;
  sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :version", soci::into(applied),
      soci::use(version);
  if (applied > 0) {
    tx.commit();
    return false;
  }
  for (const auto& statement : split_sql(migration.sql)) sql << statement;
  sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :at)",
      soci::use(version), soci::use(now);
  tx.commit();
  return true;
}

}  // namespace

std::vector<Migration> embedded_migrations() {
  std::vector<Migration> out;
  for (const auto& file : orsa_store_migrations::embedded_files()) {
    out.push_back({file.path, file.bytes});
  }
  return out;
}

std::vector<std::string> split_sql(std::string_view script) {
  std::string without_comments;
  for (std::size_t pos = 0; pos < script.size();) {
    const auto eol = std::min(script.find('\n', pos), script.size());
    auto line = script.substr(pos, eol - pos);
    line = line.substr(0, line.find("--"));
    without_comments.append(line).push_back('\n');
    pos = eol + 1;
  }
  std::vector<std::string> statements;
  std::string_view rest = without_comments;
  while (!rest.empty()) {
    const auto end = std::min(rest.find(';'), rest.size());
    auto statement = rest.substr(0, end);
    const auto first = statement.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos) {
      const auto last = statement.find_last_not_of(" \t\r\n");
      statements.emplace_back(statement.substr(first, last - first + 1));
    }
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  return statements;
}

Result<std::size_t> apply_migrations(soci::session& sql, Backend backend,
                                     const std::vector<Migration>& migrations, std::int64_t now) {
  auto versions = versions_of(migrations);
  if (!versions) return fail(versions.error());
  std::size_t ran = 0;
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const auto& migration = migrations[i];
    const long long newest_known = i == 0 ? versions->back() : 0;
    try {
      auto applied = apply_one(sql, backend, migration, (*versions)[i], now, newest_known);
      if (!applied) return fail(applied.error());
      if (*applied) {
        spdlog::info("store: applied migration {}", migration.name);
        ++ran;
      }
    } catch (const std::exception& e) {
      spdlog::error("store: migration {} failed: {}", migration.name, loggable(db_message(e)));
      return fail(Error::internal(fmt::format("database migration {} failed", migration.name)));
    }
  }
  return ran;
}

}  // namespace orsa::store
