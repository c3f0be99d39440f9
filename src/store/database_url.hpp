#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::store {

enum class Backend { kSqlite, kPostgres };

/// A parsed `--database` URL (private to the store module).
struct DatabaseUrl {
  Backend backend = Backend::kSqlite;
  std::string target;    // SQLite file path, or libpq keyword=value conninfo (holds the password)
  std::string redacted;  // safe to log or show: the password replaced by "***"
  std::vector<std::string> secrets;  // passwords to scrub from driver messages
};

/// Parses `sqlite:PATH`, `postgresql://…` or `postgres://…`.
Result<DatabaseUrl> parse_database_url(std::string_view url);

/// `message` with every occurrence of each secret replaced by "***".
std::string scrub(std::string_view message, const std::vector<std::string>& secrets);

}  // namespace orsa::store
