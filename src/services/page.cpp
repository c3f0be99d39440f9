#include "services/page.hpp"

namespace orsa::services {

Result<std::size_t> page_size(const PageRequest& request) {
  const auto limit = request.limit.value_or(kDefaultPageSize);
  if (limit == 0 || limit > kMaxPageSize) {
    return fail(
        Error::invalid_argument("limit must be between 1 and " + std::to_string(kMaxPageSize)));
  }
  return limit;
}

}  // namespace orsa::services
