#include "memory_tables.hpp"

// The fake's federated identities and pending logins.
namespace orsa::store::memory {
namespace {

class MemoryIdentities final : public IdentityStore {
 public:
  explicit MemoryIdentities(State& s) : s_(s) {}

  Result<Identity> create(const NewIdentity& in) override {
    Lock lock(s_.mu);
    if (!s_.users.contains(in.user_id)) return fail(Error::not_found("user not found"));
    for (const auto& [id, i] : s_.identities)
      if (i.provider == in.provider && i.subject == in.subject)
        return fail(Error::conflict("this account at the provider is linked already"));
    const std::int64_t now = s_.clock.now_unix();
    Identity identity{new_id("idn"), in.user_id, in.provider, in.subject, in.email, now, now};
    s_.identities.emplace(identity.id, identity);
    return identity;
  }

  Result<Identity> find_by_subject(std::string_view provider, std::string_view subject) override {
    Lock lock(s_.mu);
    for (const auto& [id, i] : s_.identities)
      if (i.provider == provider && i.subject == subject) return i;
    return fail(Error::not_found("identity not found"));
  }

  Result<std::vector<Identity>> list(const OwnerScope& scope) override {
    Lock lock(s_.mu);
    std::vector<Identity> out;
    for (const auto& [id, i] : s_.identities)
      if (!scope.owner_id || i.user_id == *scope.owner_id) out.push_back(i);
    std::ranges::sort(out, {}, [](const Identity& i) { return std::tie(i.created_at, i.id); });
    return out;
  }

  Result<void> touch_login(std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.identities.find(std::string(id));
    if (it == s_.identities.end()) return fail(Error::not_found("identity not found"));
    it->second.last_login_at = s_.clock.now_unix();
    return {};
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.identities.find(std::string(id));
    if (it == s_.identities.end() || (scope.owner_id && it->second.user_id != *scope.owner_id))
      return fail(Error::not_found("identity not found"));
    s_.identities.erase(it);
    return {};
  }

  Result<void> begin_login(const PendingLogin& login) override {
    Lock lock(s_.mu);
    const std::int64_t now = s_.clock.now_unix();
    erase_where(s_.pending_logins, [&](const PendingLogin& p) { return p.expires_at <= now; });
    if (!s_.pending_logins.emplace(login.state_hash, login).second)
      return fail(Error::conflict("login already pending"));
    return {};
  }

  Result<PendingLogin> take_login(std::string_view state_hash) override {
    Lock lock(s_.mu);
    const auto it = s_.pending_logins.find(std::string(state_hash));
    if (it == s_.pending_logins.end())
      return fail(Error::not_found("login not found or already used"));
    PendingLogin login = std::move(it->second);
    s_.pending_logins.erase(it);
    if (login.expires_at <= s_.clock.now_unix())
      return fail(Error::not_found("login expired: start again"));
    return login;
  }

 private:
  State& s_;
};

}  // namespace

std::unique_ptr<IdentityStore> identities(State& s) {
  return std::make_unique<MemoryIdentities>(s);
}

}  // namespace orsa::store::memory
