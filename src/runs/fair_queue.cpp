#include "runs/fair_queue.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <tuple>

namespace orsa::runs {
namespace {

// One user's queued runs in the order they start (priority, then age) and
// how many of theirs run.
struct UserQueue {
  std::deque<const QueuedRun*> next;
  std::size_t running = 0;
};

std::map<std::string, UserQueue> by_user(const std::vector<QueuedRun>& queued,
                                         const RunningCounts& running) {
  std::map<std::string, UserQueue> users;
  for (const auto& run : queued) users[run.user_id].next.push_back(&run);
  for (auto& [user, q] : users) {
    std::ranges::sort(q.next, [](const QueuedRun* a, const QueuedRun* b) {
      return std::tie(b->priority, a->seq, a->id) < std::tie(a->priority, b->seq, b->id);
    });
    const auto it = running.find(user);
    q.running = it == running.end() ? 0 : it->second;
  }
  return users;
}

// Takes runs one by one from the user with the fewest running, ties to the
// longest-waiting next run, skipping users at `per_user`, until `count` runs
// are taken or nobody may start one.
std::vector<std::string> take(std::map<std::string, UserQueue> users, std::size_t count,
                              std::size_t per_user) {
  std::vector<std::string> out;
  while (out.size() < count) {
    UserQueue* best = nullptr;
    for (auto& [user, q] : users) {
      if (q.next.empty() || q.running >= per_user) continue;
      if (best == nullptr || std::tie(q.running, q.next.front()->seq) <
                                 std::tie(best->running, best->next.front()->seq)) {
        best = &q;
      }
    }
    if (best == nullptr) break;
    out.push_back(best->next.front()->id);
    best->next.pop_front();
    ++best->running;
  }
  return out;
}

}  // namespace

std::vector<std::string> pick_runs_to_start(const std::vector<QueuedRun>& queued,
                                            const RunningCounts& running,
                                            const QueueLimits& limits) {
  std::size_t busy = 0;
  for (const auto& [user, n] : running) busy += n;
  if (busy >= limits.max_concurrent) return {};
  return take(by_user(queued, running), limits.max_concurrent - busy, limits.max_per_user);
}

std::vector<std::string> start_order(const std::vector<QueuedRun>& queued,
                                     const RunningCounts& running) {
  return take(by_user(queued, running), queued.size(), std::numeric_limits<std::size_t>::max());
}

Result<void> admit(std::size_t queued_by_user, const AdmissionLimits& limits) {
  if (queued_by_user < limits.max_queued_per_user) return {};
  return fail(Error::rate_limited(
      "you have " + std::to_string(queued_by_user) + " runs waiting (at most " +
          std::to_string(limits.max_queued_per_user) + "); retry when some have started",
      limits.retry_after_s));
}

}  // namespace orsa::runs
