#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <vector>

namespace orsa::auth {
namespace {

// Below this many keys nothing is pruned; above it, a prune runs each time
// the map doubles (capped by kMaxTrackedKeys), so its cost is amortised.
constexpr std::size_t kPruneThreshold = 10'000;

}  // namespace

LoginRateLimiter::LoginRateLimiter(const Clock& clock, int max_failures,
                                   std::chrono::seconds window)
    : clock_(clock),
      max_failures_(std::max(1, max_failures)),
      window_s_(std::max<std::int64_t>(1, window.count())),
      prune_at_(kPruneThreshold) {}

Result<void> LoginRateLimiter::check(std::string_view key) {
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return {};
  const std::int64_t window_end = it->second.window_start + window_s_;
  if (now >= window_end) {
    entries_.erase(it);
    return {};
  }
  if (it->second.failures < max_failures_) return {};
  return fail(
      Error::rate_limited("too many failed login attempts; try again later", window_end - now));
}

void LoginRateLimiter::record_failure(std::string_view key) {
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mutex_);
  std::string owned(key);
  const auto it = entries_.find(owned);
  if (it == entries_.end()) {
    // Prune before inserting so the failure just recorded is never dropped.
    if (entries_.size() >= prune_at_) prune_locked(now);
    entries_.emplace(std::move(owned), Entry{1, now});
    return;
  }
  // The first failure after a window ended opens a new window.
  if (now >= it->second.window_start + window_s_) it->second = Entry{0, now};
  ++it->second.failures;
}

void LoginRateLimiter::record_success(std::string_view key) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(key));
}

std::size_t LoginRateLimiter::tracked_keys() {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void LoginRateLimiter::prune_locked(std::int64_t now) {
  std::erase_if(entries_,
                [&](const auto& kv) { return now >= kv.second.window_start + window_s_; });
  if (entries_.size() >= kMaxTrackedKeys) {
    // Every window is live: forget the oldest half. This weakens limiting only
    // for keys an attacker has already buried under a flood of other keys.
    const std::size_t keep = kMaxTrackedKeys / 2;
    std::vector<std::int64_t> starts;
    starts.reserve(entries_.size());
    for (const auto& [k, entry] : entries_) starts.push_back(entry.window_start);
    const auto cut = starts.end() - static_cast<std::ptrdiff_t>(keep);
    std::nth_element(starts.begin(), cut, starts.end());
    const std::int64_t cutoff = *cut;
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.window_start < cutoff; });
    // Windows that started in the same second as the cutoff tie; drop any of
    // them until the bound holds.
    for (auto it = entries_.begin(); it != entries_.end() && entries_.size() > keep;) {
      it = it->second.window_start == cutoff ? entries_.erase(it) : std::next(it);
    }
  }
  prune_at_ = std::clamp(entries_.size() * 2, kPruneThreshold, kMaxTrackedKeys);
}

}  // namespace orsa::auth
