#pragma once

#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>

namespace orsa::store {

/// Which integrity constraint a failed statement violated, if any.
enum class Violation { kNone, kUnique, kForeignKey };

/// The driver's message without SOCI's context (which lists bound values,
/// e.g. password hashes): safe to inspect, not yet safe to log.
std::string db_message(const std::exception& e);

/// The first line of a driver message: drops PostgreSQL's DETAIL line, which
/// echoes row values such as token hashes. Use this for logs.
std::string loggable(std::string_view message);

/// Classifies a failure by PostgreSQL SQLSTATE (23505 unique, 23503 foreign
/// key) when given, else by the message text of SQLite or PostgreSQL.
Violation classify_violation(std::string_view message, std::string_view sqlstate = {});

/// The SQLSTATE of a PostgreSQL error; empty for anything else.
std::string sqlstate_of(const std::exception& e);

/// True when the first line of `message` names any of `constraints`
/// (table.column for SQLite, constraint names for PostgreSQL).
bool names_any(std::string_view message, std::initializer_list<std::string_view> constraints);

}  // namespace orsa::store
