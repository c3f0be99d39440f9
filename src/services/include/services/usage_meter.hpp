#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/consumers.hpp"
#include "store/runs.hpp"

namespace orsa::services {

/// One call through the gateway, as the meter counts it.
struct CallUsage {
  std::string_view project_id;
  std::string_view owner_id;
  std::string_view consumer_key_id;  // "" without a key
  std::string_view user_id;          // "" for anonymous and key calls
  int status = 0;
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  bool refused = false;  // turned away by the gate (rate limit, quota, revoked key)
};

/// A consumer key's counts since this process started (Prometheus counters).
struct ConsumerTotals {
  std::string consumer_key_id;  // kOtherConsumers past the series cap
  std::string project_id;       // "" for kOtherConsumers
  store::UsageCounters counters;
};

/// The key of the series that sums the keys past the cap.
inline constexpr std::string_view kOtherConsumers = "other";
/// Keys with a series of their own; later ones are summed as "other", so a
/// flood of keys cannot grow the metrics without bound.
inline constexpr std::size_t kMaxConsumerSeries = 500;

/// Start of the UTC calendar month holding `unix_seconds`.
std::int64_t month_start(std::int64_t unix_seconds);

/// Usage metering: counters per project, consumer key, user and hour, kept
/// in memory and added to the store in batches by flush() (the deployer
/// flushes every few seconds and once more on a graceful stop), so counting
/// never waits on the database. A crash loses what was counted since the
/// last flush. It also keeps each consumer key's month to date, for quotas.
/// Thread-safe; count_* never block on I/O.
class UsageMeter {
 public:
  UsageMeter(store::UsageStore& usage, const Clock& clock);

  void count_call(const CallUsage& call);
  /// An ended run: one run, its wall time (start to finish) and CPU time.
  void count_run(const store::Run& run, std::int64_t cpu_ms);

  /// Writes what was counted since the last flush in one transaction; on
  /// failure the counts stay for the next attempt.
  Result<void> flush();

  /// A key's use this month: what the store holds plus what this process
  /// counted since. The first call for a key in a month reads the store
  /// (blocking, and waiting for a flush in progress); later ones are memory
  /// only.
  Result<store::KeyMonthUsage> month_usage(std::string_view consumer_key_id);

  /// month_usage when it needs no store read; none otherwise.
  std::optional<store::KeyMonthUsage> cached_month_usage(std::string_view consumer_key_id);

  /// A project's hourly rows with `from` <= hour < `to`: the store's plus
  /// what this process counted since its last flush (exact, as month_usage).
  Result<std::vector<store::UsageRow>> project_rows(std::string_view project_id, std::int64_t from,
                                                    std::int64_t to);

  /// Each consumer key's counts since start, by key id (at most
  /// kMaxConsumerSeries + 1 entries).
  std::vector<ConsumerTotals> consumer_totals();

  /// Counts not yet flushed (rows), for tests and metrics.
  std::size_t pending_rows();

 private:
  struct Tally {
    std::int64_t month = 0;
    bool loaded = false;  // the store's total is in `used`
    store::KeyMonthUsage used;
  };
  /// A row's key by reference, so that counting an existing row allocates nothing.
  struct KeyView {
    std::string_view project_id, owner_id, consumer_key_id, user_id;
    std::int64_t hour = 0;
  };
  /// Orders store::UsageKey and KeyView alike (as store::UsageKey's <=> does).
  struct RowOrder {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::tie(a.project_id, a.owner_id, a.consumer_key_id, a.user_id, a.hour) <
             std::tie(b.project_id, b.owner_id, b.consumer_key_id, b.user_id, b.hour);
    }
  };
  using Rows = std::map<store::UsageKey, store::UsageCounters, RowOrder>;

  void add_locked(const KeyView& key, const store::UsageCounters& counters);
  void tally_locked(std::string_view key_id, std::int64_t at, const store::KeyMonthUsage& use);
  store::KeyMonthUsage memory_use_locked(const std::string& key_id, std::int64_t month) const;
  Rows memory_rows_locked(std::string_view project_id, std::int64_t from, std::int64_t to) const;
  void total_locked(std::string_view key_id, std::string_view project_id,
                    const store::UsageCounters& counters);

  store::UsageStore& usage_;
  const Clock& clock_;
  std::mutex flush_mu_;  // a flush, or a read of the store plus memory (never both)
  std::mutex mu_;        // the counters; held briefly, never across I/O
  Rows pending_;
  Rows inflight_;            // the batch flush() is writing
  std::size_t dropped_ = 0;  // rows refused past the cap since the last flush
  std::map<std::string, Tally, std::less<>> months_;           // by key id
  std::map<std::string, ConsumerTotals, std::less<>> totals_;  // by key id
};

}  // namespace orsa::services
