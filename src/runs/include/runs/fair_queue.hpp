#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace orsa::runs {

/// A queued run as the queue sees it.
struct QueuedRun {
  std::string id;
  std::string user_id;        // the submitter
  std::int64_t priority = 0;  // higher first, among one user's runs
  std::int64_t seq = 0;       // submission order: lower is older
};

/// How many runs may run at once, in all and per user.
struct QueueLimits {
  std::size_t max_concurrent = 2;
  std::size_t max_per_user = 2;
};

/// Running runs per user id.
using RunningCounts = std::map<std::string, std::size_t>;

/// The runs to start now, in start order. Fair share among users: each free
/// slot goes to the user with the fewest runs running (the ones started in
/// this pick included), ties to the one whose next run has waited longest,
/// which is round robin among users with equal shares; a user's own runs go
/// by priority, then age. Nobody passes `max_per_user`, and the total stays
/// within `max_concurrent`.
std::vector<std::string> pick_runs_to_start(const std::vector<QueuedRun>& queued,
                                            const RunningCounts& running,
                                            const QueueLimits& limits);

/// Every queued run in the order the queue would start them if slots opened
/// one at a time and no user cap held them back: the queue positions shown
/// to users (1 = next).
std::vector<std::string> start_order(const std::vector<QueuedRun>& queued,
                                     const RunningCounts& running);

/// How many runs one user may have waiting.
struct AdmissionLimits {
  std::size_t max_queued_per_user = 100;
  std::int64_t retry_after_s = 30;
};

/// May a user with `queued_by_user` runs waiting queue one more? Over the
/// cap: kRateLimited with a retry-after (the API's 429 and Retry-After).
Result<void> admit(std::size_t queued_by_user, const AdmissionLimits& limits);

}  // namespace orsa::runs
