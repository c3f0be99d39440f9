#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "database_url.hpp"
#include "sql_errors.hpp"

namespace orsa::store {

enum class Access { kRead, kWrite };

// Translates a constraint violation into the caller's error; nullopt lets it
// fall through to "database unavailable".
using ViolationHandler = std::function<std::optional<Error>(Violation, std::string_view message)>;

/// What every SQL repository shares: the connection pool, the dialect, the
/// clock, and one way to run a statement (locking, error mapping, logging).
class Database {
 public:
  Database(DatabaseUrl url, const Clock& clock, std::size_t pool_size);

  /// Opens every pooled connection and applies the per-connection settings.
  Result<void> connect();
  /// Applies the pending embedded migrations.
  Result<void> migrate();
  Result<void> ping();

  std::int64_t now() const { return clock_.now_unix(); }

  // Borrows a pooled session, runs `body`, and turns exceptions into errors.
  // SQLite allows one writer at a time: writers in this process queue on
  // write_mutex_ instead of spinning in SQLite's busy handler, and
  // busy_timeout covers writers in other processes. Single-statement writes
  // need no BEGIN IMMEDIATE (autocommit takes the write lock at once);
  // migrations, the only multi-statement transactions, use it. The mutex is
  // taken before the session so waiting writers do not starve readers of
  // pooled connections. PostgreSQL handles concurrent writers itself.
  template <class F>
  auto run(std::string_view op, Access access, F&& body, const ViolationHandler& on_violation = {})
      -> std::invoke_result_t<F, soci::session&> {
    std::unique_lock<std::mutex> write_lock;
    if (access == Access::kWrite && url_.backend == Backend::kSqlite) {
      write_lock = std::unique_lock(write_mutex_);
    }
    soci::session sql(pool_);
    try {
      return body(sql);
    } catch (const std::exception& e) {
      return fail(failure(op, sql, e, on_violation));
    }
  }

  /// Runs `query` (binding `at` then `id`), kNotFound(`missing`) when no row changed.
  Result<void> update_one(std::string_view op, const std::string& query, std::string_view id,
                          std::int64_t at, std::string_view missing);

 private:
  // The caller's error for a violation it knows, else logs and answers
  // "database unavailable".
  Error failure(std::string_view op, soci::session& sql, const std::exception& e,
                const ViolationHandler& on_violation);
  void reconnect_if_dropped(soci::session& sql) noexcept;
  std::string sqlite_connect_string() const;

  DatabaseUrl url_;
  const Clock& clock_;
  std::size_t pool_size_;
  soci::connection_pool pool_;
  std::mutex write_mutex_;
};

}  // namespace orsa::store
