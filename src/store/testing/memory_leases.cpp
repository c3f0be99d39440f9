#include "memory_tables.hpp"

// The fake's leases: acquire() under the one mutex is as atomic as the SQL
// store's single statement.
namespace orsa::store::memory {
namespace {

class MemoryLeases final : public LeaseStore {
 public:
  explicit MemoryLeases(State& s) : s_(s) {}

  Result<Lease> acquire(std::string_view name, std::string_view holder,
                        std::chrono::seconds ttl) override {
    if (auto ok = check_lease_request(name, holder, ttl); !ok) return fail(ok.error());
    Lock lock(s_.mu);
    const std::int64_t now = s_.clock.now_unix();
    auto [it, inserted] =
        s_.leases.try_emplace(std::string(name), Lease{.name = std::string(name)});
    Lease& lease = it->second;
    if (inserted) {
      lease = {std::string(name), std::string(holder), now + ttl.count(), 1};
    } else if (lease.holder == holder || lease.expires_at <= now) {
      if (lease.holder != holder) ++lease.term;
      lease.holder = holder;
      lease.expires_at = now + ttl.count();
    }
    return lease;
  }

  Result<void> release(std::string_view name, std::string_view holder) override {
    Lock lock(s_.mu);
    const std::int64_t now = s_.clock.now_unix();
    const auto it = s_.leases.find(std::string(name));
    if (it != s_.leases.end() && it->second.holder == holder && it->second.expires_at > now)
      it->second.expires_at = now;
    return {};
  }

  Result<Lease> find(std::string_view name) override {
    Lock lock(s_.mu);
    const auto it = s_.leases.find(std::string(name));
    if (it == s_.leases.end()) return fail(not_found("lease"));
    return it->second;
  }

  Result<std::vector<Lease>> list() override {
    Lock lock(s_.mu);
    std::vector<Lease> out;
    out.reserve(s_.leases.size());
    for (const auto& [name, lease] : s_.leases) out.push_back(lease);
    return out;
  }

 private:
  State& s_;
};

}  // namespace

std::unique_ptr<LeaseStore> leases(State& s) {
  return std::make_unique<MemoryLeases>(s);
}

}  // namespace orsa::store::memory
