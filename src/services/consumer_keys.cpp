#include "services/consumer_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "auth/api_tokens.hpp"
#include "find_authorized.hpp"

namespace orsa::services {
namespace {

// How long a key looked up by hash is trusted before the store is asked
// again: a revocation made by another control plane takes this long.
constexpr std::int64_t kCacheSeconds = 5;
constexpr std::size_t kMaxCachedKeys = 10'000;
constexpr std::size_t kMaxNameLength = 64;
constexpr std::int64_t kMaxRatePerMinute = 1'000'000;
constexpr std::int64_t kMaxQuota = 1'000'000'000'000;
constexpr std::string_view kPrefixShown = "orsa_ck_????";

using Verdict = KeyAdmission::Verdict;

Result<void> check_positive(std::string_view field, const std::optional<std::int64_t>& value,
                            std::int64_t max) {
  if (!value || (*value >= 1 && *value <= max)) return {};
  return fail(Error::invalid_argument(
      fmt::format("{} must be between 1 and {} (or left out for none)", field, max)));
}

Result<void> validate(const NewKeyRequest& r, std::int64_t now) {
  if (r.name.empty() || r.name.size() > kMaxNameLength) {
    return fail(Error::invalid_argument(
        fmt::format("name must be 1 to {} characters (e.g. the customer's name)", kMaxNameLength)));
  }
  if (std::ranges::any_of(r.name, [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return fail(Error::invalid_argument("name must not contain control characters"));
  }
  if (r.expires_at && *r.expires_at <= now) {
    return fail(Error::invalid_argument("expires_at must be in the future (unix seconds)"));
  }
  if (auto ok = check_positive("rate_limit_per_min", r.rate_limit_per_min, kMaxRatePerMinute); !ok)
    return ok;
  if (auto ok = check_positive("monthly_quota_requests", r.monthly_quota_requests, kMaxQuota); !ok)
    return ok;
  return check_positive("monthly_quota_run_seconds", r.monthly_quota_run_seconds, kMaxQuota);
}

KeyAdmission refuse(Verdict verdict, std::string message, std::string key_id = {}) {
  KeyAdmission a;
  a.verdict = verdict;
  a.message = std::move(message);
  a.key_id = std::move(key_id);
  return a;
}

}  // namespace

ConsumerKeys::ConsumerKeys(store::ConsumerKeyStore& keys, store::ProjectStore& projects,
                           UsageMeter& meter, Audit& audit, const Clock& clock)
    : keys_(keys), projects_(projects), meter_(meter), audit_(audit), clock_(clock) {}

// --- The owner's side ------------------------------------------------------

Result<store::Project> ConsumerKeys::owned_project(const auth::Principal& who,
                                                   const ProjectRef& ref, auth::Action action) {
  return find_authorized(who, action, [&](const OwnerScope& scope) {
    return projects_.find(scope, ref.owner, ref.name);
  });
}

Result<IssuedKey> ConsumerKeys::create(const auth::Principal& who, const ProjectRef& ref,
                                       const NewKeyRequest& request, const Caller& caller) {
  auto project = owned_project(who, ref, auth::Action::kWrite);
  if (!project) return fail(project.error());
  if (auto ok = validate(request, clock_.now_unix()); !ok) return fail(ok.error());
  auto active = keys_.count_active(project->id);
  if (!active) return fail(active.error());
  if (*active >= kMaxKeysPerProject) {
    return fail(Error::conflict(
        fmt::format("the project has {} keys, the most it may have; revoke one first", *active)));
  }
  auto secret = auth::generate_consumer_key();
  auto key = keys_.create({.project_id = project->id,
                           .name = request.name,
                           .key_hash = secret.hash,
                           .prefix = secret.secret.substr(0, kPrefixShown.size()),
                           .expires_at = request.expires_at,
                           .rate_limit_per_min = request.rate_limit_per_min,
                           .monthly_quota_requests = request.monthly_quota_requests,
                           .monthly_quota_run_seconds = request.monthly_quota_run_seconds});
  if (!key) return fail(key.error());
  audit_.record(who.user_id, "consumer_key_create",
                fmt::format("project:{}/{} key:{}", ref.owner, ref.name, key->id), caller.ip,
                key->name);
  return IssuedKey{{std::move(*key), {}}, std::move(secret.secret)};
}

Result<std::vector<KeyView>> ConsumerKeys::list(const auth::Principal& who, const ProjectRef& ref) {
  auto project = owned_project(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  auto keys = keys_.list(auth::Policy::scope(who), project->id);
  if (!keys) return fail(keys.error());
  std::vector<KeyView> out;
  out.reserve(keys->size());
  for (auto& key : *keys) {
    auto month = meter_.month_usage(key.id);
    if (!month) return fail(month.error());
    out.push_back({std::move(key), *month});
  }
  return out;
}

Result<KeyView> ConsumerKeys::revoke(const auth::Principal& who, const ProjectRef& ref,
                                     std::string_view id, const Caller& caller) {
  auto project = owned_project(who, ref, auth::Action::kWrite);
  if (!project) return fail(project.error());
  auto key = keys_.revoke(auth::Policy::scope(who), project->id, id, clock_.now_unix());
  if (!key) return fail(key.error());
  {
    std::lock_guard lock(mu_);
    by_hash_.erase(key->key_hash);  // at once in this process
    buckets_.erase(key->id);
  }
  audit_.record(who.user_id, "consumer_key_revoke",
                fmt::format("project:{}/{} key:{}", ref.owner, ref.name, key->id), caller.ip,
                key->name);
  auto month = meter_.month_usage(key->id);
  return KeyView{std::move(*key), month.value_or(store::KeyMonthUsage{})};
}

// --- The gate --------------------------------------------------------------

Result<store::ConsumerKey> ConsumerKeys::lookup(std::string_view secret) {
  const std::string hash = auth::hash_api_token(secret);
  const std::int64_t now = clock_.now_unix();
  {
    std::lock_guard lock(mu_);
    const auto it = by_hash_.find(hash);
    if (it != by_hash_.end() && now - it->second.fetched_at < kCacheSeconds) return it->second.key;
  }
  auto key = keys_.find_by_hash(hash);  // a miss is not cached: keys are made at any time
  if (!key) return key;
  std::lock_guard lock(mu_);
  if (by_hash_.size() >= kMaxCachedKeys) by_hash_.clear();  // rare: start over
  by_hash_[hash] = {*key, now};
  return key;
}

KeyAdmission ConsumerKeys::check_key(std::string_view secret, bool with_principal) {
  if (!auth::is_consumer_key(secret)) return refuse(Verdict::kNotFound, "not found");
  auto key = lookup(secret);
  if (!key) {
    if (key.error().code == ErrorCode::kNotFound) return refuse(Verdict::kNotFound, "not found");
    return refuse(Verdict::kUnauthorized, "the key cannot be checked now; try again");
  }
  return judge(*key, with_principal);
}

std::optional<store::ConsumerKey> ConsumerKeys::cached(std::string_view secret) {
  const std::string hash = auth::hash_api_token(secret);
  std::lock_guard lock(mu_);
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end() || clock_.now_unix() - it->second.fetched_at >= kCacheSeconds) {
    return std::nullopt;
  }
  return it->second.key;
}

KeyAdmission ConsumerKeys::judge(const store::ConsumerKey& key, bool with_principal) const {
  const std::int64_t now = clock_.now_unix();
  if (key.revoked_at) return refuse(Verdict::kUnauthorized, "this key was revoked", key.id);
  if (key.expires_at.value_or(std::numeric_limits<std::int64_t>::max()) <= now) {
    return refuse(Verdict::kUnauthorized, "this key has expired", key.id);
  }
  KeyAdmission a;
  a.verdict = Verdict::kAllow;
  a.key_id = key.id;
  if (with_principal) {  // the runs API's caller; a gateway call needs none
    a.principal = auth::Principal::consumer(key.id, key.project_id, key.name);
    a.principal.expires_at = key.expires_at;
    a.principal.user_id.clear();
  }
  a.limits = key;
  return a;
}

// A token bucket per key: `rate` calls a minute, as a burst or spread out.
bool ConsumerKeys::take_token(const store::ConsumerKey& key, KeyAdmission& admission) {
  if (!key.rate_limit_per_min) return true;
  const double rate = static_cast<double>(*key.rate_limit_per_min);
  const std::int64_t now = clock_.now_unix();
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(key.id, Bucket{rate, now});
  Bucket& b = it->second;
  b.tokens = std::min(rate, b.tokens + static_cast<double>(now - b.at) * rate / 60.0);
  b.at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  admission.verdict = Verdict::kRateLimited;
  admission.retry_after_s = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) * 60.0 / rate)));
  admission.message = fmt::format("rate limit of {} calls a minute reached; retry in {} s",
                                  *key.rate_limit_per_min, admission.retry_after_s);
  return false;
}

KeyAdmission ConsumerKeys::admit_call(std::string_view secret, std::string_view project_id) {
  KeyAdmission a = check_key(secret, false);
  if (!a.allowed()) return a;
  if (a.limits.project_id != project_id) return refuse(Verdict::kNotFound, "not found");
  std::optional<store::KeyMonthUsage> used;
  if (a.limits.monthly_quota_requests) {
    auto month = meter_.month_usage(a.key_id);
    if (!month) return refuse(Verdict::kUnauthorized, month.error().message, a.key_id);
    used = *month;
  }
  return decide_call(std::move(a), used);
}

std::optional<KeyAdmission> ConsumerKeys::try_admit_call(std::string_view secret,
                                                         std::string_view project_id) {
  if (!auth::is_consumer_key(secret)) return refuse(Verdict::kNotFound, "not found");
  const auto key = cached(secret);
  if (!key) return std::nullopt;
  KeyAdmission a = judge(*key, false);
  if (!a.allowed()) return a;
  if (a.limits.project_id != project_id) return refuse(Verdict::kNotFound, "not found");
  std::optional<store::KeyMonthUsage> used;
  if (a.limits.monthly_quota_requests) {
    used = meter_.cached_month_usage(a.key_id);
    if (!used) return std::nullopt;  // nothing taken yet: admit_call starts over
  }
  return decide_call(std::move(a), used);
}

// The rate, then the request quota, for a key of the right project.
KeyAdmission ConsumerKeys::decide_call(KeyAdmission a,
                                       const std::optional<store::KeyMonthUsage>& used) {
  if (!take_token(a.limits, a)) return a;
  const auto& quota = a.limits.monthly_quota_requests;
  if (quota && used && used->requests >= *quota) {
    a.verdict = Verdict::kOverQuota;
    a.message = fmt::format(
        "monthly quota of {} requests used; it renews on the first of the month (UTC)", *quota);
  }
  return a;
}

KeyAdmission ConsumerKeys::admit_run(std::string_view secret) {
  KeyAdmission a = check_key(secret, true);
  if (!a.allowed()) return a;
  if (!take_token(a.limits, a)) return a;
  if (const auto& quota = a.limits.monthly_quota_run_seconds) {
    auto used = meter_.month_usage(a.key_id);
    if (!used) return refuse(Verdict::kUnauthorized, used.error().message, a.key_id);
    if (used->run_ms >= *quota * 1000) {
      a.verdict = Verdict::kOverQuota;
      a.message = fmt::format(
          "monthly quota of {} run seconds used; it renews on the first of the month (UTC)",
          *quota);
    }
  }
  return a;
}

KeyAdmission ConsumerKeys::identify(std::string_view secret) {
  return check_key(secret, true);
}

}  // namespace orsa::services
