#include "memory_tables.hpp"

namespace orsa::store::memory {
namespace {

class MemoryConsumerKeyStore final : public ConsumerKeyStore {
 public:
  explicit MemoryConsumerKeyStore(State& s) : s_(s) {}

  Result<ConsumerKey> create(const NewConsumerKey& in) override {
    Lock lock(s_.mu);
    const auto project = s_.projects.find(in.project_id);
    if (project == s_.projects.end()) return fail(not_found("project"));
    for (const auto& [id, k] : s_.consumer_keys) {
      if (k.key_hash == in.key_hash) return fail(Error::conflict("key already exists"));
    }
    ConsumerKey key{.id = new_id("ck"),
                    .owner_id = project->second.owner_id,
                    .project_id = in.project_id,
                    .name = in.name,
                    .key_hash = in.key_hash,
                    .prefix = in.prefix,
                    .created_at = s_.clock.now_unix(),
                    .expires_at = in.expires_at,
                    .revoked_at = std::nullopt,
                    .rate_limit_per_min = in.rate_limit_per_min,
                    .monthly_quota_requests = in.monthly_quota_requests,
                    .monthly_quota_run_seconds = in.monthly_quota_run_seconds};
    s_.consumer_keys.emplace(key.id, key);
    return key;
  }

  Result<std::vector<ConsumerKey>> list(const OwnerScope& scope,
                                        std::string_view project_id) override {
    Lock lock(s_.mu);
    return select(
        s_, s_.consumer_keys,
        [&](const ConsumerKey& k) {
          return k.project_id == project_id && visible(scope, k.owner_id);
        },
        [](const ConsumerKey& a, const ConsumerKey& b) {
          return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
        });
  }

  Result<std::int64_t> count_active(std::string_view project_id) override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(std::ranges::count_if(s_.consumer_keys, [&](const auto& e) {
      return e.second.project_id == project_id && !e.second.revoked_at;
    }));
  }

  Result<ConsumerKey> revoke(const OwnerScope& scope, std::string_view project_id,
                             std::string_view id, std::int64_t at) override {
    Lock lock(s_.mu);
    const auto it = s_.consumer_keys.find(std::string(id));
    if (it == s_.consumer_keys.end() || it->second.project_id != project_id ||
        !visible(scope, it->second.owner_id)) {
      return fail(not_found("key"));
    }
    if (!it->second.revoked_at) it->second.revoked_at = at;
    return it->second;
  }

  Result<ConsumerKey> find_by_hash(std::string_view key_hash) override {
    Lock lock(s_.mu);
    for (const auto& [id, k] : s_.consumer_keys) {
      if (k.key_hash == key_hash) return k;
    }
    return fail(not_found("key"));
  }

  Result<ConsumerKey> find(std::string_view id) override {
    Lock lock(s_.mu);
    return find_scoped(s_, s_.consumer_keys, OwnerScope::everyone(), id, "key");
  }

 private:
  State& s_;
};

class MemoryUsageStore final : public UsageStore {
 public:
  explicit MemoryUsageStore(State& s) : s_(s) {}

  Result<void> add(const std::vector<UsageRow>& rows) override {
    Lock lock(s_.mu);
    for (const auto& row : rows) {
      const auto project = s_.projects.find(row.key.project_id);
      if (project == s_.projects.end()) continue;  // deleted since: as the SQL store
      UsageKey key = row.key;
      key.owner_id = project->second.owner_id;
      s_.usage[key] += row.counters;
    }
    return {};
  }

  Result<std::vector<UsageRow>> project_rows(std::string_view project_id, std::int64_t from,
                                             std::int64_t to) override {
    Lock lock(s_.mu);
    std::vector<UsageRow> out;
    for (const auto& [key, counters] : s_.usage) {
      if (key.project_id == project_id && key.hour >= from && key.hour < to) {
        out.push_back({key, counters});
      }
    }
    std::ranges::sort(out, [](const UsageRow& a, const UsageRow& b) {
      return std::tie(a.key.hour, a.key.consumer_key_id, a.key.user_id) <
             std::tie(b.key.hour, b.key.consumer_key_id, b.key.user_id);
    });
    return out;
  }

  Result<KeyMonthUsage> key_usage_since(std::string_view consumer_key_id,
                                        std::int64_t from) override {
    Lock lock(s_.mu);
    KeyMonthUsage total;
    for (const auto& [key, counters] : s_.usage) {
      if (key.consumer_key_id != consumer_key_id || key.hour < from) continue;
      total.requests += counters.requests() - counters.refused;
      total.run_ms += counters.run_wall_ms;
    }
    return total;
  }

  Result<std::int64_t> remove_before(std::int64_t before) override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(
        std::erase_if(s_.usage, [&](const auto& entry) { return entry.first.hour < before; }));
  }

 private:
  State& s_;
};

}  // namespace

std::unique_ptr<ConsumerKeyStore> consumer_keys(State& s) {
  return std::make_unique<MemoryConsumerKeyStore>(s);
}

std::unique_ptr<UsageStore> usage(State& s) {
  return std::make_unique<MemoryUsageStore>(s);
}

}  // namespace orsa::store::memory
