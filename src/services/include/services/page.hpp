#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace orsa::services {

/// What a caller asks of a paged list: where to go on from (a
/// `next_cursor` this API gave out) and how many items at most.
struct PageRequest {
  std::optional<std::string> cursor;
  std::optional<std::size_t> limit;
};

/// One page of a list; next_cursor is set when there may be more.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;
};

/// Project and image lists: a page holds 100 unless asked for fewer or more.
inline constexpr std::size_t kDefaultPageSize = 100;
inline constexpr std::size_t kMaxPageSize = 500;

/// The page size asked for, or kInvalidArgument outside 1..kMaxPageSize.
Result<std::size_t> page_size(const PageRequest& request);

/// A page of at most `limit` items from rows fetched with one more than
/// `limit`: the extra row only says that another page exists, and the
/// cursor is made from the page's last item.
template <class T, class CursorOf>
Page<T> page_of(std::vector<T> rows, std::size_t limit, CursorOf cursor_of) {
  Page<T> page;
  if (rows.size() > limit) {
    rows.resize(limit);
    page.next_cursor = cursor_of(rows.back());
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace orsa::services
