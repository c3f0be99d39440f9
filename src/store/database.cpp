#include "database.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

#include "migrations.hpp"
#include "sql_rows.hpp"

namespace orsa::store {
namespace {

// Applied to every pooled SQLite connection (these settings are per
// connection, except journal_mode which sticks to the file). busy_timeout
// comes first so the switch to WAL waits for other processes' locks.
constexpr std::string_view kSqlitePragmas[] = {
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
};

// SQLite's default (serialized) mode takes a connection mutex in every API
// call, each column of each row read included: a sixth of the time of a
// 100-row list under load. The pool leases each connection to one thread at
// a time, which is what multi-thread mode asks. Process-wide, and only
// possible before SQLite is first used: if something else used it first,
// the serialized mode stays (correct, slower).
void use_multithread_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SOCI's header declares SQLite's API inside namespace sqlite_api.
    if (sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK)
      spdlog::debug("store: SQLite was used before the store; it keeps its serialized mode");
  });
}

}  // namespace

Database::Database(DatabaseUrl url, const Clock& clock, std::size_t pool_size)
    : url_(std::move(url)), clock_(clock), pool_size_(pool_size), pool_(pool_size) {}

Result<void> Database::connect() {
  if (url_.backend == Backend::kSqlite) use_multithread_sqlite();
  for (std::size_t i = 0; i < pool_size_; ++i) {
    try {
      auto& session = pool_.at(i);
      if (url_.backend == Backend::kSqlite) {
        session.open(soci::sqlite3, sqlite_connect_string());
        for (const auto pragma : kSqlitePragmas) session << std::string(pragma);
      } else {
        session.open(soci::postgresql, url_.target);
        // Keeps NOTICEs such as "relation already exists, skipping" out of stderr.
        session << "SET client_min_messages TO WARNING";
      }
    } catch (const std::exception& e) {
      spdlog::error("store: cannot connect to {}: {}", url_.redacted,
                    scrub(loggable(db_message(e)), url_.secrets));
      return fail(Error::unavailable("cannot connect to database " + url_.redacted));
    }
  }
  return {};
}

Result<void> Database::migrate() {
  auto applied = run("migrate", Access::kWrite, [&](soci::session& sql) -> Result<std::size_t> {
    return apply_migrations(sql, url_.backend, embedded_migrations(), clock_.now_unix());
  });
  if (!applied) return fail(applied.error());
  return {};
}

Result<void> Database::ping() {
  return run("ping", Access::kRead, [](soci::session& sql) -> Result<void> {
    int one = 0;
    sql << "SELECT 1", soci::into(one);
    return {};
  });
}

Result<void> Database::update_one(std::string_view op, const std::string& query,
                                  std::string_view id, std::int64_t at, std::string_view missing) {
  return run(op, Access::kWrite, [&](soci::session& sql) -> Result<void> {
    const std::string row_id(id);
    const long long when = at;
    if (sql::execute(sql, query, soci::use(when), soci::use(row_id)) == 0) {
      return fail(Error::not_found(std::string(missing)));
    }
    return {};
  });
}

Error Database::failure(std::string_view op, soci::session& sql, const std::exception& e,
                        const ViolationHandler& on_violation) {
  const auto message = db_message(e);
  const auto kind = classify_violation(message, sqlstate_of(e));
  if (kind != Violation::kNone && on_violation) {
    if (auto error = on_violation(kind, message)) return std::move(*error);
  }
  spdlog::error("store: {} failed: {}", op, scrub(loggable(message), url_.secrets));
  reconnect_if_dropped(sql);
  return Error::unavailable("database unavailable");
}

// A PostgreSQL restart leaves pooled connections dead: revive this one so
// the next caller succeeds.
void Database::reconnect_if_dropped(soci::session& sql) noexcept {
  if (url_.backend != Backend::kPostgres || sql.is_connected()) return;
  try {
    sql.reconnect();
    spdlog::info("store: reconnected to {}", url_.redacted);
  } catch (const std::exception& e) {
    spdlog::warn("store: reconnect failed: {}", scrub(loggable(db_message(e)), url_.secrets));
  }
}

std::string Database::sqlite_connect_string() const {
  // Quoted so that paths with spaces or '=' survive SOCI's key=value parser.
  return "db=\"" + url_.target + "\"";
}

}  // namespace orsa::store
