#include "deployer/accounts.hpp"

#include <algorithm>
#include <cctype>

#include "auth/api_tokens.hpp"
#include "auth/passwords.hpp"
#include "core/slug.hpp"

namespace orsa::deployer {
namespace {

constexpr std::size_t kMaxEmailBytes = 254;
constexpr std::size_t kMaxTokenNameBytes = 100;
constexpr std::size_t kMaxTokensPerUser = 100;
constexpr std::int64_t kMaxTokenDays = 3650;
// API token use is recorded at most this often, so that authenticated reads
// do not each turn into a database write.
constexpr std::int64_t kTokenTouchIntervalS = 60;

Error invalid_credentials() {
  return Error::unauthenticated("invalid username, email or password");
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
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
  std::string out = lower(email.substr(first, last - first + 1));
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

Accounts::Accounts(store::Store& store, const auth::SessionSigner& signer,
                   const auth::PushTokenSigner& push_signer, auth::LoginRateLimiter& limiter,
                   Audit& audit, const Clock& clock, Registration registration)
    : store_(store),
      signer_(signer),
      push_signer_(push_signer),
      limiter_(limiter),
      audit_(audit),
      clock_(clock),
      registration_(registration),
      basic_cache_(clock),
      dummy_hash_(auth::hash_password(auth::generate_password()).value_or("")) {}

Result<store::User> Accounts::insert_user(const NewAccount& account) {
  if (auto ok = validate_account(account); !ok) return fail(ok.error());
  auto hash = auth::hash_password(account.password);
  if (!hash) return fail(hash.error());
  return store_.create_user({.username = account.username,
                             .email = normalize_email(account.email).value(),
                             .password_hash = std::move(*hash),
                             .role = account.role});
}

Result<LoggedIn> Accounts::register_user(const NewAccount& account, const Caller& caller) {
  if (registration_ == Registration::kClosed) {
    return fail(Error::permission_denied("registration is closed; ask an admin for an account"));
  }
  NewAccount developer = account;
  developer.role = Role::kDeveloper;
  auto user = insert_user(developer);
  if (!user) return fail(user.error());
  audit_.record(user->id, "register", "user:" + user->id, caller.ip);
  return LoggedIn{*user, signer_.issue(user->id)};
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
                                                    std::string_view password,
                                                    const Caller& caller) {
  const std::string key = lower(login);
  const std::string limiter_key = caller.ip + "|" + key;
  if (auto ok = limiter_.check(limiter_key); !ok) return fail(ok.error());
  auto user = store_.find_user_by_login(key);
  if (!user && user.error().code != ErrorCode::kNotFound) return fail(user.error());
  // Verify even when no user matched, so response time does not reveal
  // which usernames exist.
  const bool password_ok =
      auth::verify_password(user ? user->password_hash : dummy_hash_, password) && user.has_value();
  if (!password_ok) {
    limiter_.record_failure(limiter_key);
    audit_.record(user ? std::optional(user->id) : std::nullopt, "login_failed",
                  user ? "user:" + user->id : "login:" + key.substr(0, 64), caller.ip);
    return fail(invalid_credentials());
  }
  if (user->disabled) {
    audit_.record(user->id, "login_failed", "user:" + user->id, caller.ip, "account disabled");
    return fail(Error::permission_denied("this account is disabled"));
  }
  limiter_.record_success(limiter_key);
  return user;
}

Result<LoggedIn> Accounts::login(std::string_view login, std::string_view password,
                                 const Caller& caller) {
  auto user = verify_password_login(login, password, caller);
  if (!user) return fail(user.error());
  audit_.record(user->id, "login", "user:" + user->id, caller.ip);
  return LoggedIn{*user, signer_.issue(user->id)};
}

Result<std::optional<std::string>> Accounts::bootstrap_admin(
    const std::string& username, const std::string& email,
    const std::optional<std::string>& password) {
  auto count = store_.count_users();
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

Result<auth::Principal> Accounts::active_principal(std::string_view user_id, bool via_api_token) {
  auto user = store_.find_user_by_id(user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return fail(Error::unauthenticated("invalid credentials"));
    }
    return fail(user.error());
  }
  // Checked on every request, so disabling a user revokes all their
  // sessions and tokens at once.
  if (user->disabled) return fail(Error::unauthenticated("this account is disabled"));
  return auth::Principal{user->id, user->username, user->role, via_api_token, ""};
}

Result<auth::Principal> Accounts::authenticate_bearer(std::string_view bearer) {
  if (!auth::is_api_token(bearer)) {
    auto session = authenticate_session(bearer);
    if (!session) return fail(session.error());
    return session->first;
  }
  auto token = store_.find_token_by_hash(auth::hash_api_token(bearer));
  if (!token) {
    if (token.error().code == ErrorCode::kNotFound) {
      return fail(Error::unauthenticated("invalid or revoked API token"));
    }
    return fail(token.error());
  }
  const std::int64_t now = clock_.now_unix();
  if (token->expires_at && *token->expires_at <= now) {
    return fail(Error::unauthenticated("API token has expired"));
  }
  if (!token->last_used_at || *token->last_used_at + kTokenTouchIntervalS <= now) {
    (void)store_.touch_token(token->id, now);  // best effort bookkeeping
  }
  return active_principal(token->user_id, true);
}

Result<std::pair<auth::Principal, std::string>> Accounts::authenticate_session(
    std::string_view jwt) {
  auto claims = signer_.verify(jwt);
  if (!claims) return fail(claims.error());
  auto principal = active_principal(claims->user_id, false);
  if (!principal) return fail(principal.error());
  return std::pair{std::move(*principal), std::move(claims->csrf)};
}

Result<auth::Principal> Accounts::authenticate_basic(std::string_view login,
                                                     std::string_view password,
                                                     const Caller& caller) {
  if (auth::is_api_token(password)) {
    auto principal = authenticate_bearer(password);
    if (!principal) return fail(principal.error());
    // The username must name the token's owner, so a leaked token cannot be
    // replayed under a misleading name in logs and audit.
    auto named = store_.find_user_by_login(lower(login));
    if (!named || named->id != principal->user_id) return fail(invalid_credentials());
    return principal;
  }
  const std::string key = lower(login);
  // The container runtime pulls a deployment's image with a push token as
  // its password (Docker's X-Registry-Auth carries only user and password).
  if (password.starts_with("eyJ")) {
    if (auto push = push_signer_.verify(password)) {
      auto principal = active_principal(push->user_id, true);
      if (!principal) return fail(principal.error());
      if (principal->username != key) return fail(invalid_credentials());
      principal->repository_scope = push->repository;
      return principal;
    }
  }
  if (auto user_id = basic_cache_.find(key, password)) return active_principal(*user_id, false);
  auto user = verify_password_login(key, password, caller);
  if (!user) {
    // A disabled account is a failed login here: the registry speaks 401.
    if (user.error().code == ErrorCode::kPermissionDenied) {
      return fail(Error::unauthenticated(user.error().message));
    }
    return fail(user.error());
  }
  basic_cache_.remember(key, password, user->id);
  return active_principal(user->id, false);
}

Result<auth::Principal> Accounts::authenticate_registry_bearer(std::string_view bearer) {
  if (auth::is_api_token(bearer)) return authenticate_bearer(bearer);
  if (auto push = push_signer_.verify(bearer)) {
    auto principal = active_principal(push->user_id, true);
    if (!principal) return fail(principal.error());
    principal->repository_scope = push->repository;
    return principal;
  }
  return authenticate_bearer(bearer);
}

Result<void> Accounts::authorize_repository(const auth::Principal& who, auth::Action action,
                                            std::string_view repository) {
  const auto slash = repository.find('/');
  if (slash == std::string_view::npos) return fail(Error::not_found("repository not found"));
  const std::string_view owner = repository.substr(0, slash);
  std::string owner_id;
  if (!auth::Policy::is_reserved_namespace(owner)) {
    auto project =
        store_.find_project(auth::Policy::scope(who), owner, repository.substr(slash + 1));
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

Result<store::User> Accounts::me(const auth::Principal& who) {
  return store_.find_user_by_id(who.user_id);
}

Result<std::vector<store::User>> Accounts::list_users(const auth::Principal& who) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return fail(ok.error());
  return store_.list_users();
}

Result<store::User> Accounts::update_user(const auth::Principal& who, std::string_view user_id,
                                          const UserChange& change, const Caller& caller) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return fail(ok.error());
  if (user_id == who.user_id) {
    // An admin demoting or disabling themselves could lock everyone out.
    return fail(Error::invalid_argument("admins cannot change their own role or status"));
  }
  auto before = store_.find_user_by_id(user_id);
  if (!before) return fail(before.error());
  auto after = store_.update_user(user_id, change.role, change.disabled);
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
                                            const Caller& caller) {
  if (auto ok = auth::Policy::authorize_create(who); !ok) return fail(ok.error());
  if (name.empty() || name.size() > kMaxTokenNameBytes) {
    return fail(Error::invalid_argument("token name must be 1-100 characters"));
  }
  if (expires_in_days && (*expires_in_days < 1 || *expires_in_days > kMaxTokenDays)) {
    return fail(Error::invalid_argument("expires_in_days must be between 1 and 3650"));
  }
  auto existing = store_.list_tokens(OwnerScope::of(who.user_id));
  if (!existing) return fail(existing.error());
  if (existing->size() >= kMaxTokensPerUser) {
    return fail(Error::conflict("a user may hold at most 100 API tokens; revoke one first"));
  }
  auto secret = auth::generate_api_token();
  std::optional<std::int64_t> expires_at;
  if (expires_in_days) expires_at = clock_.now_unix() + *expires_in_days * 86400;
  auto token = store_.create_token({.user_id = who.user_id,
                                    .name = std::string(name),
                                    .token_hash = secret.hash,
                                    .expires_at = expires_at});
  if (!token) return fail(token.error());
  audit_.record(who.user_id, "token_create", "token:" + token->id, caller.ip);
  return CreatedToken{std::move(*token), std::move(secret.secret)};
}

Result<std::vector<store::ApiToken>> Accounts::list_tokens(const auth::Principal& who) {
  return store_.list_tokens(auth::Policy::scope(who));
}

Result<void> Accounts::revoke_token(const auth::Principal& who, std::string_view token_id,
                                    const Caller& caller) {
  auto tokens = store_.list_tokens(auth::Policy::scope(who));
  if (!tokens) return fail(tokens.error());
  const auto it = std::find_if(tokens->begin(), tokens->end(),
                               [&](const store::ApiToken& t) { return t.id == token_id; });
  if (it == tokens->end()) return fail(Error::not_found("token not found"));
  if (auto ok = auth::Policy::authorize(who, auth::Action::kWrite, it->user_id); !ok) return ok;
  if (auto ok = store_.delete_token(auth::Policy::scope(who), token_id); !ok) return ok;
  audit_.record(who.user_id, "token_revoke", "token:" + std::string(token_id), caller.ip);
  return {};
}

}  // namespace orsa::deployer
