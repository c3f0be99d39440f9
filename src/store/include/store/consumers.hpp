#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/owner_scope.hpp"

namespace orsa::store {

/// A key that lets a consumer (no ORSA account needed) call one project's
/// service and submit its runs. Only the secret's hash is stored.
struct ConsumerKey {
  std::string id;  // "ck_…"
  std::string owner_id;
  std::string project_id;
  std::string name;
  std::string key_hash;
  std::string prefix;  // the first characters of the secret, to tell keys apart
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
  std::optional<std::int64_t> rate_limit_per_min;
  std::optional<std::int64_t> monthly_quota_requests;
  std::optional<std::int64_t> monthly_quota_run_seconds;
};

struct NewConsumerKey {
  std::string project_id;  // the owner is taken from the project row
  std::string name;
  std::string key_hash;
  std::string prefix;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> rate_limit_per_min;
  std::optional<std::int64_t> monthly_quota_requests;
  std::optional<std::int64_t> monthly_quota_run_seconds;
};

/// Consumer keys, scoped to the owner of their project.
class ConsumerKeyStore {
 public:
  virtual ~ConsumerKeyStore() = default;

  /// kNotFound for an unknown project, kConflict for a hash already stored.
  virtual Result<ConsumerKey> create(const NewConsumerKey& key) = 0;
  /// A project's keys, revoked ones included, oldest first.
  virtual Result<std::vector<ConsumerKey>> list(const OwnerScope& scope,
                                                std::string_view project_id) = 0;
  /// How many keys of the project are not revoked (the per-project limit).
  virtual Result<std::int64_t> count_active(std::string_view project_id) = 0;
  /// Marks the key revoked at `at` (kNotFound when it is not the scope's or
  /// not the project's; revoking twice keeps the first time).
  virtual Result<ConsumerKey> revoke(const OwnerScope& scope, std::string_view project_id,
                                     std::string_view id, std::int64_t at) = 0;
  /// Authentication lookup by hash (not scoped: the hash is the credential).
  virtual Result<ConsumerKey> find_by_hash(std::string_view key_hash) = 0;
  /// One key by id (not scoped: for the meter's and the gate's bookkeeping).
  virtual Result<ConsumerKey> find(std::string_view id) = 0;
};

/// The meter's counters for one project, consumer key and user in one hour.
struct UsageCounters {
  std::int64_t requests_1xx = 0, requests_2xx = 0, requests_3xx = 0, requests_4xx = 0,
               requests_5xx = 0;
  std::int64_t refused = 0;  // turned away by the gate (rate limit, quota); also in 4xx
  std::int64_t bytes_in = 0, bytes_out = 0;
  std::int64_t runs = 0, run_wall_ms = 0, run_cpu_ms = 0;

  std::int64_t requests() const {
    return requests_1xx + requests_2xx + requests_3xx + requests_4xx + requests_5xx;
  }
  UsageCounters& operator+=(const UsageCounters& o);
  bool empty() const;
};

/// Which row a count belongs to.
struct UsageKey {
  std::string project_id;
  std::string owner_id;
  std::string consumer_key_id;  // "" without a key
  std::string user_id;          // "" for anonymous and key calls
  std::int64_t hour = 0;        // unix seconds at the start of the hour

  auto operator<=>(const UsageKey&) const = default;
};

struct UsageRow {
  UsageKey key;
  UsageCounters counters;
};

/// A consumer key's use in a month (what its quotas count).
struct KeyMonthUsage {
  std::int64_t requests = 0;  // answered, not refused by the gate
  std::int64_t run_ms = 0;    // wall time of its runs
};

/// The metered usage, by the hour.
class UsageStore {
 public:
  virtual ~UsageStore() = default;

  /// Adds every row's counters to the stored ones, in one transaction.
  virtual Result<void> add(const std::vector<UsageRow>& rows) = 0;
  /// A project's rows with from <= hour < to, oldest first.
  virtual Result<std::vector<UsageRow>> project_rows(std::string_view project_id, std::int64_t from,
                                                     std::int64_t to) = 0;
  /// A key's totals since `from` (the start of the month).
  virtual Result<KeyMonthUsage> key_usage_since(std::string_view consumer_key_id,
                                                std::int64_t from) = 0;
  /// Deletes rows of hours before `before` (retention); returns how many.
  virtual Result<std::int64_t> remove_before(std::int64_t before) = 0;
};

}  // namespace orsa::store
