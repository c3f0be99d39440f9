#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

// Statement helpers the SQL repositories share (private to the store module).
namespace orsa::store::sql {

inline std::string concat(std::string_view a, std::string_view b) {
  return std::string(a).append(b);
}

// SOCI 4.0 has no std::optional support: map through an indicator.
struct NullableInt {
  long long value = 0;
  soci::indicator ind = soci::i_null;

  static NullableInt of(const std::optional<std::int64_t>& v) {
    return v ? NullableInt{*v, soci::i_ok} : NullableInt{};
  }
  std::optional<std::int64_t> get() const {
    return ind == soci::i_ok ? std::optional<std::int64_t>(value) : std::nullopt;
  }
};

struct NullableText {
  std::string value;
  soci::indicator ind = soci::i_null;

  static NullableText of(const std::optional<std::string>& v) {
    return v ? NullableText{*v, soci::i_ok} : NullableText{};
  }
  std::optional<std::string> get() const {
    return ind == soci::i_ok ? std::optional<std::string>(value) : std::nullopt;
  }
};

inline long long clamp_limit(std::size_t limit) {
  const long long max = std::numeric_limits<long long>::max();
  return limit > static_cast<std::size_t>(max) ? max : static_cast<long long>(limit);
}

// Runs a SELECT binding each row into a Row and returns the converted rows.
// `uses` are soci::use(...) bindings, in placeholder order.
template <class Row, class... Uses>
auto select_rows(soci::session& sql, const std::string& query, const Uses&... uses) {
  Row row;
  soci::details::prepare_temp_type p = (sql.prepare << query);
  row.bind(p);
  (static_cast<void>(p, uses), ...);
  soci::statement statement(p);
  statement.execute();
  std::vector<decltype(row.get())> out;
  while (statement.fetch()) out.push_back(row.get());
  return out;
}

// Runs an INSERT/UPDATE/DELETE and returns the number of affected rows.
template <class... Uses>
long long execute(soci::session& sql, const std::string& query, const Uses&... uses) {
  soci::details::prepare_temp_type p = (sql.prepare << query);
  (static_cast<void>(p, uses), ...);
  soci::statement statement(p);
  statement.execute(true);
  return statement.get_affected_rows();
}

template <class T>
Result<T> first_or(std::vector<T> rows, std::string_view missing) {
  if (rows.empty()) return fail(Error::not_found(std::string(missing)));
  return std::move(rows.front());
}

// Deletes the row `id` (and, when scoped, only the owner's); kNotFound(`missing`)
// when nothing was deleted. `owner_column` names the owner in `table`.
inline Result<void> delete_scoped(soci::session& sql, std::string_view table,
                                  std::string_view owner_column,
                                  const std::optional<std::string>& owner, std::string_view id,
                                  std::string_view missing) {
  const std::string row_id(id);
  const std::string query = concat(concat("DELETE FROM ", table), " WHERE id = :id");
  const auto deleted = owner
                           ? execute(sql, query + " AND " + std::string(owner_column) + " = :owner",
                                     soci::use(row_id), soci::use(*owner))
                           : execute(sql, query, soci::use(row_id));
  if (deleted == 0) return fail(Error::not_found(std::string(missing)));
  return {};
}

}  // namespace orsa::store::sql
