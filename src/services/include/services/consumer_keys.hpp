#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/policy.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "services/audit.hpp"
#include "services/projects.hpp"
#include "services/usage_meter.hpp"
#include "store/consumers.hpp"
#include "store/projects.hpp"

namespace orsa::services {

/// How many keys (not revoked) one project may have.
inline constexpr std::int64_t kMaxKeysPerProject = 100;

struct NewKeyRequest {
  std::string name;
  std::optional<std::int64_t> expires_at;  // unix seconds, in the future
  std::optional<std::int64_t> rate_limit_per_min;
  std::optional<std::int64_t> monthly_quota_requests;
  std::optional<std::int64_t> monthly_quota_run_seconds;
};

/// A key as its owner sees it, with its use this month.
struct KeyView {
  store::ConsumerKey key;
  store::KeyMonthUsage month;
};

/// A new key: the secret is shown this once.
struct IssuedKey {
  KeyView view;
  std::string secret;
};

/// How a usage report groups the meter's hourly rows (neither: one total).
struct UsageGrouping {
  bool by_key = false;
  bool by_day = false;
};

/// One line of a usage report.
struct UsageLine {
  std::string day;       // "2026-12-06" (UTC) when grouped by day
  std::string key_id;    // when grouped by key; "" for calls made without a key
  std::string key_name;  // the key's name, when it has one
  store::UsageCounters counters;
};

/// The longest span one usage report covers.
inline constexpr std::int64_t kMaxUsageSpanSeconds = 400 * 86400;

/// What the gate decided for a call or a run submission made with a key.
struct KeyAdmission {
  enum class Verdict {
    kAllow,
    kNotFound,      // no such key, or not this project's: as if the project did not exist
    kUnauthorized,  // revoked or expired
    kRateLimited,   // 429 with Retry-After
    kOverQuota,     // 429, the month's quota used
  };
  Verdict verdict = Verdict::kNotFound;
  std::string message;
  std::int64_t retry_after_s = 0;
  std::string key_id;         // the key, once known (metering)
  auth::Principal principal;  // the key's caller (admit_run, identify; not admit_call)
  store::ConsumerKey limits;  // the key's row (allowed only)

  bool allowed() const { return verdict == Verdict::kAllow; }
};

/// Consumer keys: a project's owner issues keys that let customers call its
/// service (the gateway) and submit its runs without an ORSA account, each
/// with an optional expiry, rate limit and monthly quotas (requests; run
/// seconds), and revokes them. The gate half decides a call made with a key:
/// which key (cached by hash for a few seconds; revoking here takes effect at
/// once), its project, its rate (a token bucket in memory) and its month's
/// use (the UsageMeter). Thread-safe.
class ConsumerKeys {
 public:
  ConsumerKeys(store::ConsumerKeyStore& keys, store::ProjectStore& projects, UsageMeter& meter,
               Audit& audit, const Clock& clock);

  Result<IssuedKey> create(const auth::Principal& who, const ProjectRef& ref,
                           const NewKeyRequest& request, const Caller& caller);
  Result<std::vector<KeyView>> list(const auth::Principal& who, const ProjectRef& ref);
  Result<KeyView> revoke(const auth::Principal& who, const ProjectRef& ref, std::string_view id,
                         const Caller& caller);

  /// The project's metered use with `from` <= hour < `to` (unix seconds),
  /// grouped; for its owner (and admins). Lines in order of day, then key.
  Result<std::vector<UsageLine>> usage(const auth::Principal& who, const ProjectRef& ref,
                                       std::int64_t from, std::int64_t to, UsageGrouping grouping);

  /// A gateway call to `project_id` with `secret`: key, expiry, rate, the
  /// month's request quota. Blocking on a cache miss (reads the store).
  KeyAdmission admit_call(std::string_view secret, std::string_view project_id);
  /// admit_call from memory alone, for the network thread: none when it
  /// would read the store (a key not in the cache, a month not loaded), and
  /// then nothing was counted or taken.
  std::optional<KeyAdmission> try_admit_call(std::string_view secret, std::string_view project_id);
  /// A run submission with `secret` (the project is checked by the policy):
  /// key, expiry, rate, the month's run-seconds quota.
  KeyAdmission admit_run(std::string_view secret);
  /// Any other use of the runs API with `secret` (reading, cancelling): the
  /// key and its expiry only.
  KeyAdmission identify(std::string_view secret);

  /// The clock the keys' expiry is read against.
  const Clock& clock() const { return clock_; }

 private:
  struct Cached {
    store::ConsumerKey key;
    std::int64_t fetched_at = 0;
  };
  struct Bucket {
    double tokens = 0;
    std::int64_t at = 0;
  };
  Result<store::Project> owned_project(const auth::Principal& who, const ProjectRef& ref,
                                       auth::Action action);
  Result<store::ConsumerKey> lookup(std::string_view secret);
  KeyAdmission check_key(std::string_view secret, bool with_principal);
  std::optional<store::ConsumerKey> cached(std::string_view secret);
  KeyAdmission judge(const store::ConsumerKey& key, bool with_principal) const;
  KeyAdmission decide_call(KeyAdmission a, const std::optional<store::KeyMonthUsage>& used);
  bool take_token(const store::ConsumerKey& key, KeyAdmission& admission);

  store::ConsumerKeyStore& keys_;
  store::ProjectStore& projects_;
  UsageMeter& meter_;
  Audit& audit_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> by_hash_;
  std::unordered_map<std::string, Bucket> buckets_;  // by key id
};

}  // namespace orsa::services
