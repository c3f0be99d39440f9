#include "sql_errors.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

namespace orsa::store {

std::string db_message(const std::exception& e) {
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e)) {
    return soci_error->get_error_message();
  }
  return e.what();
}

std::string loggable(std::string_view message) {
  const auto end = message.find('\n');
  return std::string(message.substr(0, end));
}

std::string sqlstate_of(const std::exception& e) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) return pg->sqlstate();
  return {};
}

Violation classify_violation(std::string_view message, std::string_view sqlstate) {
  if (sqlstate == "23505") return Violation::kUnique;
  if (sqlstate == "23503") return Violation::kForeignKey;
  // Only the first line: later ones may echo row values.
  const auto head = message.substr(0, message.find('\n'));
  if (head.find("UNIQUE constraint failed") != std::string_view::npos ||
      head.find("duplicate key value") != std::string_view::npos) {
    return Violation::kUnique;
  }
  if (head.find("FOREIGN KEY constraint failed") != std::string_view::npos ||
      head.find("violates foreign key constraint") != std::string_view::npos) {
    return Violation::kForeignKey;
  }
  return Violation::kNone;
}

bool names_any(std::string_view message, std::initializer_list<std::string_view> constraints) {
  message = message.substr(0, message.find('\n'));
  for (const auto constraint : constraints) {
    if (message.find(constraint) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace orsa::store
