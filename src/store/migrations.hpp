#pragma once

#include <soci/session.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "database_url.hpp"

namespace orsa::store {

/// One versioned SQL file, e.g. {"0001_init.sql", "CREATE TABLE …"}.
struct Migration {
  std::string_view name;
  std::string_view sql;
};

/// The migrations compiled into the binary, in version order.
std::vector<Migration> embedded_migrations();

/// Splits a script into statements on ';', dropping `--` comments and blanks.
std::vector<std::string> split_sql(std::string_view script);

/// Applies the migrations not yet recorded in schema_migrations, in order,
/// each in its own transaction; returns how many ran. A failure names the
/// migration. Safe against concurrent openers of the same database.
Result<std::size_t> apply_migrations(soci::session& sql, Backend backend,
                                     const std::vector<Migration>& migrations, std::int64_t now);

}  // namespace orsa::store
