#include "auth/login_backoff.hpp"

#include <algorithm>
#include <vector>

namespace orsa::auth {
namespace {

// Failures older than this are forgotten: a user who mistyped last week
// starts afresh.
constexpr std::int64_t kForgetAfterS = 24 * 3600;

}  // namespace

LoginBackoff::LoginBackoff(const Clock& clock, int free_failures, std::chrono::seconds first_delay,
                           std::chrono::seconds max_delay)
    : clock_(clock),
      free_failures_(std::max(0, free_failures)),
      first_delay_s_(std::max<std::int64_t>(1, first_delay.count())),
      max_delay_s_(std::max<std::int64_t>(first_delay.count(), max_delay.count())) {}

std::int64_t LoginBackoff::delay_after(int failures) const {
  if (failures < free_failures_) return 0;
  std::int64_t delay = first_delay_s_;
  for (int i = free_failures_; i < failures && delay < max_delay_s_; ++i) delay *= 2;
  return std::min(delay, max_delay_s_);
}

Result<void> LoginBackoff::check(std::string_view key) {
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(std::string(key));
  if (it == entries_.end() || now >= it->second.not_before) return {};
  return fail(Error::rate_limited("too many failed login attempts; try again later",
                                  it->second.not_before - now));
}

void LoginBackoff::record_failure(std::string_view key) {
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxTrackedKeys) prune_locked(now);
    it = entries_.emplace(std::string(key), Entry{}).first;
  } else if (now - it->second.last_failure >= kForgetAfterS) {
    it->second = Entry{};
  }
  Entry& entry = it->second;
  ++entry.failures;
  entry.last_failure = now;
  entry.not_before = now + delay_after(entry.failures);
}

void LoginBackoff::record_success(std::string_view key) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(key));
}

void LoginBackoff::prune_locked(std::int64_t now) {
  // First what no longer delays anyone, then (a flood of live keys) the
  // stalest half: that only weakens the delay for keys buried by the flood.
  std::erase_if(entries_, [&](const auto& kv) { return now >= kv.second.not_before; });
  if (entries_.size() < kMaxTrackedKeys) return;
  std::vector<std::int64_t> lasts;
  lasts.reserve(entries_.size());
  for (const auto& [k, e] : entries_) lasts.push_back(e.last_failure);
  const auto middle = lasts.begin() + static_cast<std::ptrdiff_t>(lasts.size() / 2);
  std::nth_element(lasts.begin(), middle, lasts.end());
  const std::int64_t cutoff = *middle;
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.last_failure <= cutoff; });
}

}  // namespace orsa::auth
