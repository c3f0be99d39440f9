#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::store {

/// Work only one control-plane instance may do at a time (the reconciler,
/// the collector), when several share one database: a named lease that one
/// holder has until it expires, renewed by its holder well before.
struct Lease {
  std::string name;
  std::string holder;           // the instance id that has it ("" never)
  std::int64_t expires_at = 0;  // unix seconds; at or after it anyone may take it
  // Grows by one each time the lease passes to another holder: work stamped
  // with an older term was done by a holder that has lost the lease.
  std::int64_t term = 0;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  /// Takes the lease for `holder` until now + `ttl` when it is free or
  /// expired, or extends it when `holder` has it already. Returns the lease
  /// as it is after the attempt: `holder`'s when it succeeded, else the
  /// other holder's (unexpired). kInvalidArgument for an empty name or
  /// holder or a ttl under a second.
  virtual Result<Lease> acquire(std::string_view name, std::string_view holder,
                                std::chrono::seconds ttl) = 0;
  /// Ends `holder`'s lease now (a clean shutdown), so another instance takes
  /// it at once; nothing when someone else has it.
  virtual Result<void> release(std::string_view name, std::string_view holder) = 0;
  /// The lease of this name, or kNotFound when nobody ever took it.
  virtual Result<Lease> find(std::string_view name) = 0;
  /// Every lease, by name.
  virtual Result<std::vector<Lease>> list() = 0;
};

/// The checks acquire() makes before touching the database.
Result<void> check_lease_request(std::string_view name, std::string_view holder,
                                 std::chrono::seconds ttl);

}  // namespace orsa::store
