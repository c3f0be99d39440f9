#pragma once

#include <type_traits>

#include "auth/policy.hpp"
#include "core/error.hpp"
#include "core/owner_scope.hpp"

namespace orsa::services {

/// The one way a service reaches a row on behalf of a caller: `find(scope)`
/// looks it up through the owner-scoped store (another user's row is "not
/// found", whatever the action), then auth::Policy decides whether `who` may
/// perform `action` on it (its `owner_id`).
template <class Find>
auto find_authorized(const auth::Principal& who, auth::Action action, Find&& find)
    -> std::invoke_result_t<Find&, const OwnerScope&> {
  auto row = find(auth::Policy::scope(who));
  if (!row) return row;
  if (auto ok = auth::Policy::authorize(who, action, row->owner_id); !ok) return fail(ok.error());
  return row;
}

}  // namespace orsa::services
