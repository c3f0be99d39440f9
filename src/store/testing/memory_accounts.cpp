#include "memory_tables.hpp"

// The fake's users, revoked sessions, API tokens and audit log.
namespace orsa::store::memory {
namespace {

class MemoryUsers final : public UserStore {
 public:
  explicit MemoryUsers(State& s) : s_(s) {}

  Result<User> create(const NewUser& in) override {
    Lock lock(s_.mu);
    for (const auto& [id, u] : s_.users) {
      if (u.username == in.username) {
        return fail(Error::conflict(fmt::format("username '{}' is already taken", in.username)));
      }
      if (u.email == in.email) return fail(Error::conflict("email is already registered"));
    }
    User user{new_id("usr"), in.username, in.email,           in.password_hash,
              in.role,       false,       s_.clock.now_unix()};
    s_.users.emplace(user.id, user);
    return user;
  }

  Result<User> find_by_id(std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.users.find(std::string(id));
    if (it == s_.users.end()) return fail(not_found("user"));
    return it->second;
  }

  Result<User> find_by_login(std::string_view login) override {
    Lock lock(s_.mu);
    for (const auto& [id, u] : s_.users) {
      if (u.username == login || u.email == login) return u;
    }
    return fail(not_found("user"));
  }

  Result<std::vector<User>> list() override {
    Lock lock(s_.mu);
    std::vector<User> out;
    out.reserve(s_.users.size());
    for (const auto& [id, u] : s_.users) out.push_back(u);
    std::ranges::sort(out, {}, &User::username);
    return out;
  }

  Result<User> update(std::string_view id, std::optional<Role> role,
                      std::optional<bool> disabled) override {
    Lock lock(s_.mu);
    const auto it = s_.users.find(std::string(id));
    if (it == s_.users.end()) return fail(not_found("user"));
    if (role) it->second.role = *role;
    if (disabled) it->second.disabled = *disabled;
    return it->second;
  }

  Result<std::int64_t> count() override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(s_.users.size());
  }

  Result<std::int64_t> change_password(std::string_view id,
                                       std::string_view password_hash) override {
    Lock lock(s_.mu);
    const auto it = s_.users.find(std::string(id));
    if (it == s_.users.end()) return fail(not_found("user"));
    it->second.password_hash = std::string(password_hash);
    return ++it->second.session_epoch;
  }

 private:
  State& s_;
};

class MemorySessions final : public SessionStore {
 public:
  explicit MemorySessions(State& s) : s_(s) {}

  Result<void> revoke(std::string_view session_id, std::string_view user_id,
                      std::int64_t expires_at) override {
    Lock lock(s_.mu);
    const auto now = s_.clock.now_unix();
    erase_where(s_.revoked, [&](const State::Revocation& r) { return r.expires_at <= now; });
    s_.revoked[std::string(session_id)] = {std::string(user_id), expires_at};
    return {};
  }

  Result<bool> is_revoked(std::string_view session_id) override {
    Lock lock(s_.mu);
    return s_.revoked.contains(std::string(session_id));
  }

 private:
  State& s_;
};

class MemoryTokens final : public TokenStore {
 public:
  explicit MemoryTokens(State& s) : s_(s) {}

  Result<ApiToken> create(const NewApiToken& in) override {
    Lock lock(s_.mu);
    if (!s_.users.contains(in.user_id)) return fail(not_found("user"));
    for (const auto& [id, t] : s_.tokens) {
      if (t.token_hash == in.token_hash) return fail(Error::conflict("token already exists"));
    }
    ApiToken token{new_id("tok"),       in.user_id,    in.name,      in.token_hash,
                   s_.clock.now_unix(), in.expires_at, std::nullopt, in.scopes};
    s_.tokens.emplace(token.id, token);
    return token;
  }

  Result<std::vector<ApiToken>> list(const OwnerScope& scope) override {
    Lock lock(s_.mu);
    std::vector<ApiToken> out;
    for (const auto& [id, t] : s_.tokens) {
      if (visible(scope, t.user_id)) out.push_back(t);
    }
    std::ranges::sort(out, [](const ApiToken& a, const ApiToken& b) {
      return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    return out;
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.tokens.find(std::string(id));
    if (it == s_.tokens.end() || !visible(scope, it->second.user_id)) {
      return fail(not_found("token"));
    }
    s_.tokens.erase(it);
    return {};
  }

  Result<ApiToken> find_by_hash(std::string_view token_hash) override {
    Lock lock(s_.mu);
    for (const auto& [id, t] : s_.tokens) {
      if (t.token_hash == token_hash) return t;
    }
    return fail(not_found("token"));
  }

  Result<void> touch(std::string_view id, std::int64_t at) override {
    Lock lock(s_.mu);
    const auto it = s_.tokens.find(std::string(id));
    if (it == s_.tokens.end()) return fail(not_found("token"));
    it->second.last_used_at = at;
    return {};
  }

 private:
  State& s_;
};

class MemoryAudit final : public AuditStore {
 public:
  explicit MemoryAudit(State& s) : s_(s) {}

  Result<void> record(const AuditEvent& in) override {
    Lock lock(s_.mu);
    AuditEvent event = in;
    if (event.id.empty()) event.id = new_id("aud");
    if (event.at == 0) event.at = s_.clock.now_unix();
    s_.audit.push_back(std::move(event));
    return {};
  }

  Result<std::vector<AuditEvent>> list(std::size_t limit) override {
    Lock lock(s_.mu);
    auto out = s_.audit;
    for (auto& event : out) {
      event.actor_username.reset();
      if (!event.actor_id) continue;
      if (auto name = username_of(s_, *event.actor_id); !name.empty()) event.actor_username = name;
    }
    std::ranges::sort(out, [](const AuditEvent& a, const AuditEvent& b) {
      return std::tie(a.at, a.id) > std::tie(b.at, b.id);
    });
    return first_n(std::move(out), limit);
  }

 private:
  State& s_;
};

}  // namespace

std::unique_ptr<UserStore> users(State& s) {
  return std::make_unique<MemoryUsers>(s);
}

std::unique_ptr<SessionStore> sessions(State& s) {
  return std::make_unique<MemorySessions>(s);
}

std::unique_ptr<TokenStore> tokens(State& s) {
  return std::make_unique<MemoryTokens>(s);
}

std::unique_ptr<AuditStore> audit(State& s) {
  return std::make_unique<MemoryAudit>(s);
}

}  // namespace orsa::store::memory
