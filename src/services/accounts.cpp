#include "services/accounts.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "auth/api_tokens.hpp"
#include "auth/passwords.hpp"
#include "core/slug.hpp"
#include "core/strings.hpp"

namespace orsa::services {
namespace {

constexpr std::size_t kMaxEmailBytes = 254;
constexpr std::size_t kMaxTokenNameBytes = 100;
constexpr std::size_t kMaxTokensPerUser = 100;
constexpr std::int64_t kMaxTokenDays = 3650;

Error invalid_credentials() {
  return Error::unauthenticated("invalid username, email or password");
}

Result<void> validate_account(const NewAccount& account) {
  if (auto ok = validate_slug(account.username, "username"); !ok) return ok;
  if (auth::Policy::is_reserved_namespace(account.username)) {
    // The name is the registry namespace of base images.
    return fail(Error::invalid_argument("username '" + account.username + "' is reserved"));
  }
  if (auto ok = normalize_email(account.email); !ok) return fail(ok.error());
  return auth::validate_password(account.password);
}

}  // namespace

Result<std::string> normalize_email(std::string_view email) {
  const auto first = email.find_first_not_of(" \t");
  const auto last = email.find_last_not_of(" \t");
  if (first == std::string_view::npos) return fail(Error::invalid_argument("email is required"));
  std::string out = ascii_lower(email.substr(first, last - first + 1));
  const auto at = out.find('@');
  const bool shape_ok = at != std::string::npos && at > 0 && at + 1 < out.size() &&
                        out.find('@', at + 1) == std::string::npos;
  const bool chars_ok = std::none_of(out.begin(), out.end(), [](unsigned char c) {
    return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';';
  });
  if (!shape_ok || !chars_ok || out.size() > kMaxEmailBytes) {
    return fail(Error::invalid_argument("email must look like name@domain"));
  }
  return out;
}

Accounts::Accounts(AccountTables tables, const auth::SessionSigner& signer,
                   const auth::PushTokenSigner& push_signer, auth::LoginRateLimiter& limiter,
                   Audit& audit, const Clock& clock, Registration registration)
    : users_(tables.users),
      sessions_(tables.sessions),
      tokens_(tables.tokens),
      projects_(tables.projects),
      signer_(signer),
      push_signer_(push_signer),
      limiter_(limiter),
      audit_(audit),
      clock_(clock),
      registration_(registration),
      account_backoff_(clock),
      dummy_hash_(auth::hash_password(auth::generate_password()).value_or("")) {}

Result<store::User> Accounts::insert_user(const NewAccount& account) {
  if (auto ok = validate_account(account); !ok) return fail(ok.error());
  auto hash = hash_gate_.hash(account.password, auth::HashGate::Wait::kQueue);
  if (!hash) return fail(hash.error());
  return users_.create({.username = account.username,
                        .email = normalize_email(account.email).value(),
                        .password_hash = std::move(*hash),
                        .role = account.role});
}

Result<LoggedIn> Accounts::register_user(const NewAccount& account, const Caller& caller) {
  if (registration_ == Registration::kClosed) {
    return fail(Error::permission_denied("registration is closed; ask an admin for an account"));
  }
  const std::string address_key = "addr:" + caller.ip;
  if (auto ok = limiter_.check(address_key); !ok) return fail(ok.error());
  NewAccount developer = account;
  developer.role = Role::kDeveloper;
  auto user = insert_user(developer);
  if (!user && user.error().code == ErrorCode::kConflict) {
    // Usernames are public (they name registry repositories and service
    // URLs); emails are not. One answer for both, paid for like a failed login.
    limiter_.record_failure(address_key);
    return fail(Error::conflict("that username or email is not available"));
  }
  if (!user) return fail(user.error());
  audit_.record(user->id, "register", "user:" + user->id, caller.ip);
  return LoggedIn{*user, signer_.issue(user->id, user->session_epoch)};
}

Result<store::User> Accounts::create_user(const auth::Principal& who, const NewAccount& account,
                                          const Caller& caller) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return fail(ok.error());
  auto user = insert_user(account);
  if (!user) return fail(user.error());
  audit_.record(who.user_id, "user_create", "user:" + user->id, caller.ip,
                std::string(role_name(user->role)));
  return user;
}

Result<store::User> Accounts::verify_password_login(std::string_view login,
                                                    std::string_view password, const Caller& caller,
                                                    auth::HashGate::Wait wait) {
  const std::string key = ascii_lower(login);
  // Two limits, both checked before any hashing: the client address (so
  // random usernames cannot each buy an argon2) and the account, however it
  // was named (username or email, any case), so guesses cannot be spread
  // over login forms or addresses.
  const std::string address_key = "addr:" + caller.ip;
  if (auto ok = limiter_.check(address_key); !ok) return fail(ok.error());
  auto user = users_.find_by_login(key);
  if (!user && user.error().code != ErrorCode::kNotFound) return fail(user.error());
  const std::string account_key = user ? "user:" + user->id : "login:" + key.substr(0, 256);
  if (auto ok = account_backoff_.check(account_key); !ok) return fail(ok.error());
  // Verify even when no user matched, so response time does not reveal
  // which usernames exist.
  auto verified = hash_gate_.verify(user ? user->password_hash : dummy_hash_, password, wait);
  if (!verified) return fail(verified.error());
  const bool password_ok = *verified && user.has_value();
  if (!password_ok) {
    limiter_.record_failure(address_key);
    account_backoff_.record_failure(account_key);
    audit_.record(user ? std::optional(user->id) : std::nullopt, "login_failed",
                  user ? "user:" + user->id : "login:" + key.substr(0, 64), caller.ip);
    return fail(invalid_credentials());
  }
  if (user->disabled) {
    audit_.record(user->id, "login_failed", "user:" + user->id, caller.ip, "account disabled");
    return fail(Error::permission_denied("this account is disabled"));
  }
  // The address counter is not cleared: one valid account must not buy an
  // address unlimited guesses at others.
  account_backoff_.record_success(account_key);
  return user;
}

Result<LoggedIn> Accounts::login(std::string_view login, std::string_view password,
                                 const Caller& caller) {
  auto user = verify_password_login(login, password, caller, auth::HashGate::Wait::kQueue);
  if (!user) return fail(user.error());
  audit_.record(user->id, "login", "user:" + user->id, caller.ip);
  return LoggedIn{*user, signer_.issue(user->id, user->session_epoch)};
}

void Accounts::logout(std::string_view jwt, const Caller& caller) {
  auto claims = signer_.verify(jwt);
  if (!claims) return;
  if (auto ok = sessions_.revoke(claims->session_id, claims->user_id, claims->expires_at); !ok) {
    spdlog::warn("logout: cannot record the revoked session: {}", ok.error().message);
    return;
  }
  audit_.record(claims->user_id, "logout", "user:" + claims->user_id, caller.ip);
}

Result<LoggedIn> Accounts::change_password(const auth::Principal& who, std::string_view current,
                                           std::string_view replacement, const Caller& caller) {
  if (who.via_api_token) {
    return fail(Error::permission_denied("sign in with your password to change it"));
  }
  if (auto ok = auth::validate_password(replacement); !ok) return fail(ok.error());
  // Same limits as a login: a stolen session cannot brute-force the
  // current password.
  auto user = verify_password_login(who.username, current, caller, auth::HashGate::Wait::kQueue);
  if (!user) {
    if (user.error().code == ErrorCode::kUnauthenticated) {
      return fail(Error::permission_denied("the current password is wrong"));
    }
    return fail(user.error());
  }
  if (user->id != who.user_id) {
    return fail(Error::permission_denied("the current password is wrong"));
  }
  auto hash = hash_gate_.hash(replacement, auth::HashGate::Wait::kQueue);
  if (!hash) return fail(hash.error());
  auto epoch = users_.change_password(user->id, *hash);
  if (!epoch) return fail(epoch.error());
  audit_.record(user->id, "password_change", "user:" + user->id, caller.ip);
  user->session_epoch = *epoch;
  return LoggedIn{*user, signer_.issue(user->id, *epoch)};
}

Result<std::optional<std::string>> Accounts::bootstrap_admin(
    const std::string& username, const std::string& email,
    const std::optional<std::string>& password) {
  auto count = users_.count();
  if (!count) return fail(count.error());
  if (*count > 0) return std::optional<std::string>();
  const std::string chosen = password.value_or(auth::generate_password());
  auto user = insert_user({username, email, chosen, Role::kAdmin});
  if (!user) {
    return fail(
        Error::invalid_argument("cannot create the bootstrap admin: " + user.error().message));
  }
  audit_.record(user->id, "bootstrap_admin", "user:" + user->id, "local");
  return password ? std::optional<std::string>() : std::optional<std::string>(chosen);
}

Result<std::string> Accounts::check_password(std::string_view login, std::string_view password,
                                             const Caller& caller) {
  // On the shared worker pool: turned away rather than queued when the
  // hashing slots are busy, so cheap requests keep their threads.
  auto user = verify_password_login(login, password, caller, auth::HashGate::Wait::kNever);
  if (!user) return fail(user.error());
  return user->id;
}

Result<void> Accounts::authorize_repository(const auth::Principal& who, auth::Action action,
                                            std::string_view repository) {
  const auto slash = repository.find('/');
  if (slash == std::string_view::npos) return fail(Error::not_found("repository not found"));
  const std::string_view owner = repository.substr(0, slash);
  std::string owner_id;
  if (!auth::Policy::is_reserved_namespace(owner)) {
    auto project = projects_.find(auth::Policy::scope(who), owner, repository.substr(slash + 1));
    if (!project && project.error().code != ErrorCode::kNotFound) return fail(project.error());
    // Unknown projects stay unnamed: the policy answers not found.
    if (project) owner_id = project->owner_id;
  }
  return auth::Policy::authorize_repository(who, action, {repository, owner_id});
}

Result<std::string> Accounts::issue_push_token(const auth::Principal& who,
                                               std::string_view repository) {
  if (auto ok = authorize_repository(who, auth::Action::kWrite, repository); !ok) {
    return fail(ok.error());
  }
  return push_signer_.issue(who.user_id, repository);
}

Result<std::string> Accounts::issue_pull_token(const auth::Principal& who,
                                               std::string_view repository) {
  if (auto ok = authorize_repository(who, auth::Action::kRead, repository); !ok) {
    return fail(ok.error());
  }
  return push_signer_.issue_pull(who.user_id, repository);
}

Result<store::User> Accounts::me(const auth::Principal& who) {
  return users_.find_by_id(who.user_id);
}

Result<std::vector<store::User>> Accounts::list_users(const auth::Principal& who) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return fail(ok.error());
  return users_.list();
}

Result<store::User> Accounts::update_user(const auth::Principal& who, std::string_view user_id,
                                          const UserChange& change, const Caller& caller) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return fail(ok.error());
  if (user_id == who.user_id) {
    // An admin demoting or disabling themselves could lock everyone out.
    return fail(Error::invalid_argument("admins cannot change their own role or status"));
  }
  auto before = users_.find_by_id(user_id);
  if (!before) return fail(before.error());
  auto after = users_.update(user_id, change.role, change.disabled);
  if (!after) return fail(after.error());
  const std::string target = "user:" + after->id;
  if (before->role != after->role) {
    audit_.record(
        who.user_id, "role_change", target, caller.ip,
        std::string(role_name(before->role)) + " -> " + std::string(role_name(after->role)));
  }
  if (before->disabled != after->disabled) {
    audit_.record(who.user_id, after->disabled ? "user_disable" : "user_enable", target, caller.ip);
  }
  return after;
}

Result<CreatedToken> Accounts::create_token(const auth::Principal& who, std::string_view name,
                                            std::optional<std::int64_t> expires_in_days,
                                            std::optional<std::uint8_t> scopes,
                                            const Caller& caller) {
  if (auto ok = auth::Policy::authorize_create(who); !ok) return fail(ok.error());
  if (name.empty() || name.size() > kMaxTokenNameBytes) {
    return fail(Error::invalid_argument("token name must be 1-100 characters"));
  }
  if (expires_in_days && (*expires_in_days < 1 || *expires_in_days > kMaxTokenDays)) {
    return fail(Error::invalid_argument("expires_in_days must be between 1 and 3650"));
  }
  auto existing = tokens_.list(OwnerScope::of(who.user_id));
  if (!existing) return fail(existing.error());
  if (existing->size() >= kMaxTokensPerUser) {
    return fail(Error::conflict("a user may hold at most 100 API tokens; revoke one first"));
  }
  const std::uint8_t granted = scopes.value_or(who.scopes);
  if (granted == 0) return fail(Error::invalid_argument("a token needs at least one scope"));
  if ((granted & ~who.scopes) != 0) {
    return fail(Error::permission_denied("a token cannot grant scopes its creator lacks (" +
                                         auth::scopes_string(who.scopes) + ")"));
  }
  std::optional<std::int64_t> expires_at;
  if (expires_in_days) expires_at = clock_.now_unix() + *expires_in_days * 86400;
  // Nor outlive the credential that made it (a token, or the session).
  if (who.via_api_token && who.expires_at && (!expires_at || *expires_at > *who.expires_at)) {
    expires_at = who.expires_at;
  }
  auto secret = auth::generate_api_token();
  auto token = tokens_.create({.user_id = who.user_id,
                               .name = std::string(name),
                               .token_hash = secret.hash,
                               .expires_at = expires_at,
                               .scopes = auth::scopes_string(granted)});
  if (!token) return fail(token.error());
  audit_.record(who.user_id, "token_create", "token:" + token->id, caller.ip);
  return CreatedToken{std::move(*token), std::move(secret.secret)};
}

Result<std::vector<store::ApiToken>> Accounts::list_tokens(const auth::Principal& who) {
  return tokens_.list(auth::Policy::scope(who));
}

Result<void> Accounts::revoke_token(const auth::Principal& who, std::string_view token_id,
                                    const Caller& caller) {
  auto tokens = tokens_.list(auth::Policy::scope(who));
  if (!tokens) return fail(tokens.error());
  const auto it = std::find_if(tokens->begin(), tokens->end(),
                               [&](const store::ApiToken& t) { return t.id == token_id; });
  if (it == tokens->end()) return fail(Error::not_found("token not found"));
  if (auto ok = auth::Policy::authorize(who, auth::Action::kWrite, it->user_id); !ok) return ok;
  if (auto ok = tokens_.remove(auth::Policy::scope(who), token_id); !ok) return ok;
  audit_.record(who.user_id, "token_revoke", "token:" + std::string(token_id), caller.ip);
  return {};
}

}  // namespace orsa::services
