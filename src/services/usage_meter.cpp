#include "services/usage_meter.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace orsa::services {
namespace {

constexpr std::int64_t kHour = 3600;
// Rows waiting for the store; past this (the database down for long) new
// rows are dropped with a warning rather than growing without bound.
constexpr std::size_t kMaxPendingRows = 200'000;

store::UsageCounters call_counters(const CallUsage& call) {
  store::UsageCounters c;
  switch (call.status / 100) {
    case 1:
      c.requests_1xx = 1;
      break;
    case 2:
      c.requests_2xx = 1;
      break;
    case 3:
      c.requests_3xx = 1;
      break;
    case 4:
      c.requests_4xx = 1;
      break;
    default:
      c.requests_5xx = 1;  // and anything unanswered
  }
  c.refused = call.refused ? 1 : 0;
  c.bytes_in = call.bytes_in;
  c.bytes_out = call.bytes_out;
  return c;
}

// What a quota counts of some counters.
store::KeyMonthUsage quota_use(const store::UsageCounters& c) {
  return {c.requests() - c.refused, c.run_wall_ms};
}

void add_use(store::KeyMonthUsage& to, const store::KeyMonthUsage& more) {
  to.requests += more.requests;
  to.run_ms += more.run_ms;
}

}  // namespace

std::int64_t month_start(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_seconds(seconds(unix_seconds)));
  const year_month_day ymd(day);
  return duration_cast<seconds>(sys_days(ymd.year() / ymd.month() / 1).time_since_epoch()).count();
}

UsageMeter::UsageMeter(store::UsageStore& usage, const Clock& clock)
    : usage_(usage), clock_(clock) {}

void UsageMeter::count_call(const CallUsage& call) {
  const std::int64_t now = clock_.now_unix();
  const auto counters = call_counters(call);
  std::lock_guard lock(mu_);
  add_locked(
      {call.project_id, call.owner_id, call.consumer_key_id, call.user_id, now - now % kHour},
      counters);
  if (!call.consumer_key_id.empty()) {
    tally_locked(call.consumer_key_id, now, quota_use(counters));
    total_locked(call.consumer_key_id, call.project_id, counters);
  }
}

void UsageMeter::total_locked(std::string_view key_id, std::string_view project_id,
                              const store::UsageCounters& counters) {
  auto it = totals_.find(key_id);
  if (it == totals_.end()) {
    if (totals_.size() >= kMaxConsumerSeries) {
      const std::string other(kOtherConsumers);
      it = totals_.try_emplace(other, ConsumerTotals{other, "", {}}).first;
    } else {
      const std::string id(key_id);
      it = totals_.try_emplace(id, ConsumerTotals{id, std::string(project_id), {}}).first;
    }
  }
  it->second.counters += counters;
}

std::vector<ConsumerTotals> UsageMeter::consumer_totals() {
  std::lock_guard lock(mu_);
  std::vector<ConsumerTotals> out;
  out.reserve(totals_.size());
  for (const auto& [key, totals] : totals_) out.push_back(totals);
  return out;
}

void UsageMeter::count_run(const store::Run& run, std::int64_t cpu_ms) {
  const std::int64_t end = run.finished_at.value_or(clock_.now_unix());
  store::UsageCounters counters{.runs = 1, .run_cpu_ms = cpu_ms};
  if (run.started_at)
    counters.run_wall_ms = std::max<std::int64_t>(0, end - *run.started_at) * 1000;
  const std::string key_id = run.consumer_key_id.value_or("");
  // A key's runs are the consumer's; the others are their submitter's.
  const std::string user_id = key_id.empty() ? run.submitter_id : "";
  std::lock_guard lock(mu_);
  add_locked({run.project_id, run.owner_id, key_id, user_id, end - end % kHour}, counters);
  if (!key_id.empty()) {
    tally_locked(key_id, end, quota_use(counters));
    total_locked(key_id, run.project_id, counters);
  }
}

void UsageMeter::add_locked(const KeyView& key, const store::UsageCounters& counters) {
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (pending_.size() >= kMaxPendingRows) {
      ++dropped_;
      return;
    }
    store::UsageKey row{std::string(key.project_id), std::string(key.owner_id),
                        std::string(key.consumer_key_id), std::string(key.user_id), key.hour};
    it = pending_.emplace(std::move(row), store::UsageCounters{}).first;
  }
  it->second += counters;
}

void UsageMeter::tally_locked(std::string_view key_id, std::int64_t at,
                              const store::KeyMonthUsage& use) {
  const auto it = months_.find(key_id);
  if (it == months_.end() || it->second.month != month_start(at)) return;
  add_use(it->second.used, use);
}

Result<void> UsageMeter::flush() {
  std::lock_guard one_at_a_time(flush_mu_);
  std::vector<store::UsageRow> rows;
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    inflight_ = std::move(pending_);
    pending_.clear();
    rows.reserve(inflight_.size());
    for (const auto& [key, counters] : inflight_) rows.push_back({key, counters});
    dropped = std::exchange(dropped_, 0);
  }
  if (dropped > 0) spdlog::warn("usage: {} counts dropped while the store was behind", dropped);
  auto written = usage_.add(rows);
  std::lock_guard lock(mu_);
  if (!written) {
    // Put back for the next attempt, merged with what came meanwhile.
    for (auto& [key, counters] : inflight_) pending_[key] += counters;
  }
  inflight_.clear();
  return written;
}

store::KeyMonthUsage UsageMeter::memory_use_locked(const std::string& key_id,
                                                   std::int64_t month) const {
  store::KeyMonthUsage sum;
  for (const auto* rows : {&pending_, &inflight_}) {
    for (const auto& [key, counters] : *rows) {
      if (key.consumer_key_id == key_id && key.hour >= month) add_use(sum, quota_use(counters));
    }
  }
  return sum;
}

// The store's total and this process's unflushed counts are taken with no
// flush in between (flush_mu_), else a batch would be counted twice or not
// at all. Counts made while the store is read go to the tally already (it
// exists, not yet loaded).
Result<store::KeyMonthUsage> UsageMeter::month_usage(std::string_view consumer_key_id) {
  const std::string key_id(consumer_key_id);
  const std::int64_t month = month_start(clock_.now_unix());
  {
    std::lock_guard lock(mu_);
    const auto it = months_.find(key_id);
    if (it != months_.end() && it->second.month == month && it->second.loaded) {
      return it->second.used;
    }
  }
  std::lock_guard no_flush(flush_mu_);
  {
    std::lock_guard lock(mu_);
    Tally& t = months_[key_id];
    if (t.month == month && t.loaded) return t.used;  // loaded by another caller meanwhile
    t = {.month = month, .loaded = false, .used = memory_use_locked(key_id, month)};
  }
  auto stored = usage_.key_usage_since(key_id, month);
  if (!stored) return fail(stored.error());
  std::lock_guard lock(mu_);
  Tally& t = months_[key_id];
  if (t.month != month) return fail(Error::unavailable("the month turned; try again"));
  add_use(t.used, *stored);
  t.loaded = true;
  return t.used;
}

std::optional<store::KeyMonthUsage> UsageMeter::cached_month_usage(
    std::string_view consumer_key_id) {
  const std::int64_t month = month_start(clock_.now_unix());
  std::lock_guard lock(mu_);
  const auto it = months_.find(consumer_key_id);
  if (it == months_.end() || it->second.month != month || !it->second.loaded) return std::nullopt;
  return it->second.used;
}

UsageMeter::Rows UsageMeter::memory_rows_locked(std::string_view project_id, std::int64_t from,
                                                std::int64_t to) const {
  Rows out;
  for (const auto* rows : {&pending_, &inflight_}) {
    for (const auto& [key, counters] : *rows) {
      if (key.project_id == project_id && key.hour >= from && key.hour < to) {
        out[key] += counters;
      }
    }
  }
  return out;
}

Result<std::vector<store::UsageRow>> UsageMeter::project_rows(std::string_view project_id,
                                                              std::int64_t from, std::int64_t to) {
  std::lock_guard no_flush(flush_mu_);  // see month_usage
  Rows rows;
  {
    std::lock_guard lock(mu_);
    rows = memory_rows_locked(project_id, from, to);
  }
  auto stored = usage_.project_rows(project_id, from, to);
  if (!stored) return fail(stored.error());
  for (const auto& row : *stored) rows[row.key] += row.counters;
  std::vector<store::UsageRow> out;
  out.reserve(rows.size());
  for (auto& [key, counters] : rows) out.push_back({key, counters});
  return out;
}

std::size_t UsageMeter::pending_rows() {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace orsa::services
