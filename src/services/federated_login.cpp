#include "services/federated_login.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/random.hpp"
#include "core/slug.hpp"
#include "core/strings.hpp"
#include "github_oauth.hpp"

namespace orsa::services {

namespace oidc = auth::oidc;
using Json = nlohmann::json;

struct FederatedLogin::Live {
  oidc::ProviderMetadata metadata;
  std::unique_ptr<oidc::KeySetCache> keys;
};

namespace {

/// The pending login is stored under a hash of `state`: the state itself
/// only travels through the browser.
std::string state_hash(std::string_view state) {
  return oidc::pkce_challenge(state);  // base64url(SHA-256(state))
}

/// A username candidate from what the provider says: lower case, [a-z0-9-].
std::string slugify(std::string_view raw) {
  std::string out;
  for (const unsigned char c : raw) {
    if (std::isalnum(c))
      out += char(std::tolower(c));
    else if (!out.empty() && out.back() != '-')
      out += '-';
    if (out.size() >= 40) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

/// Marks a user created through a provider: no password matches it.
constexpr std::string_view kNoPassword = "!federated";

}  // namespace

std::string safe_next_path(std::string_view next) {
  // Only a local absolute path: "//host" and "/\host" would leave the origin.
  if (next.size() > 512 || next.empty() || next[0] != '/' || next.starts_with("//") ||
      next.starts_with("/\\") || next.find_first_of("\r\n") != std::string_view::npos)
    return "/";
  return std::string(next);
}

FederatedLogin::FederatedLogin(std::vector<IdentityProvider> providers, FederatedTables tables,
                               ProviderHttp& http, const auth::SessionSigner& signer, Audit& audit,
                               const Clock& clock, Registration registration,
                               std::string callback_base)
    : providers_(std::move(providers)),
      tables_(tables),
      http_(http),
      signer_(signer),
      audit_(audit),
      clock_(clock),
      registration_(registration),
      callback_base_(std::move(callback_base)),
      starts_(clock, kStartsPerWindow, kStartWindow) {}

FederatedLogin::~FederatedLogin() = default;

const IdentityProvider* FederatedLogin::find(std::string_view id) const {
  for (const auto& p : providers_)
    if (p.id == id) return &p;
  return nullptr;
}

std::string FederatedLogin::callback_url(std::string_view provider_id) const {
  std::lock_guard lock(mu_);
  return fmt::format("{}/api/v1/auth/oidc/{}/callback", callback_base_, provider_id);
}

void FederatedLogin::set_callback_base(std::string base) {
  std::lock_guard lock(mu_);
  callback_base_ = std::move(base);
}

Result<FederatedLogin::Live*> FederatedLogin::live(const IdentityProvider& p) {
  std::lock_guard lock(mu_);
  if (const auto it = live_.find(p.id); it != live_.end()) return it->second.get();
  auto doc = http_.get(oidc::discovery_url(p.issuer));
  if (!doc) return fail(Error::unavailable("provider discovery failed: " + doc.error().message));
  auto metadata = oidc::parse_discovery(*doc, p.issuer);
  if (!metadata) return fail(metadata.error());
  auto entry = std::make_unique<Live>();
  entry->metadata = *metadata;
  const std::string jwks_uri = metadata->jwks_uri;
  entry->keys = std::make_unique<oidc::KeySetCache>(
      [this, jwks_uri] { return http_.get(jwks_uri); }, [this] { return clock_.now_unix(); });
  return live_.emplace(p.id, std::move(entry)).first->second.get();
}

Result<std::string> FederatedLogin::authorization_url(const IdentityProvider& p,
                                                      const oidc::LoginSecrets& secrets) {
  if (p.kind == ProviderKind::kGitHub) return github::authorize_url(p, callback_url(p.id), secrets);
  auto provider = live(p);
  if (!provider) return fail(provider.error());
  const std::string& endpoint = (*provider)->metadata.authorization_endpoint;
  return fmt::format(
      "{}{}response_type=code&client_id={}&redirect_uri={}&scope=openid%20email%20profile"
      "&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
      endpoint, endpoint.find('?') == std::string::npos ? '?' : '&', percent_encode(p.client_id),
      percent_encode(callback_url(p.id)), secrets.state, secrets.nonce, secrets.code_challenge);
}

Result<LoginStart> FederatedLogin::start(std::string_view provider_id,
                                         const std::optional<auth::Principal>& linking,
                                         std::string_view next_path, const Caller& caller) {
  if (auto ok = starts_.check(caller.ip); !ok) {
    Error limited = ok.error();  // keeps the seconds to wait
    limited.message = "too many sign-ins started from this address: try again later";
    return fail(std::move(limited));
  }
  if (linking) {
    if (auto ok = auth::Policy::authorize_sign_in_methods(*linking, auth::Action::kWrite); !ok)
      return fail(ok.error());
  }
  const IdentityProvider* p = find(provider_id);
  if (!p) return fail(Error::not_found("no such sign-in provider"));
  const auto secrets = oidc::new_login_secrets();
  auto url = authorization_url(*p, secrets);
  if (!url) return fail(url.error());
  store::PendingLogin pending{state_hash(secrets.state),
                              p->id,
                              secrets.nonce,
                              secrets.code_verifier,
                              linking ? std::optional(linking->user_id) : std::nullopt,
                              safe_next_path(next_path),
                              clock_.now_unix() + kPendingSeconds};
  if (auto ok = tables_.identities.begin_login(pending); !ok) return fail(ok.error());
  starts_.record_failure(caller.ip);  // counts starts; a finished sign-in does not refund
  return LoginStart{std::move(*url), secrets.state};
}

Result<std::string> FederatedLogin::exchange_code(const IdentityProvider& p, Live& live,
                                                  std::string_view code,
                                                  const store::PendingLogin& pending) {
  auto body =
      http_.post_form(live.metadata.token_endpoint, {{"grant_type", "authorization_code"},
                                                     {"code", std::string(code)},
                                                     {"redirect_uri", callback_url(p.id)},
                                                     {"client_id", p.client_id},
                                                     {"client_secret", p.client_secret},
                                                     {"code_verifier", pending.code_verifier}});
  if (!body) return fail(Error::unauthenticated("the provider refused the code"));
  const Json doc = Json::parse(*body, nullptr, false);
  if (!doc.is_object() || !doc.contains("id_token") || !doc["id_token"].is_string())
    return fail(Error::unauthenticated("the provider returned no ID token"));
  return doc["id_token"].get<std::string>();
}

Result<oidc::IdTokenClaims> FederatedLogin::claims_for_code(const IdentityProvider& p,
                                                            std::string_view code,
                                                            const store::PendingLogin& pending) {
  if (p.kind == ProviderKind::kGitHub)
    return github::claims_for_code(http_, p, code, callback_url(p.id), pending.code_verifier);
  auto provider = live(p);
  if (!provider) return fail(provider.error());
  auto id_token = exchange_code(p, **provider, code, pending);
  if (!id_token) return fail(id_token.error());
  return (*provider)->keys->verify(*id_token,
                                   {p.issuer, p.client_id, pending.nonce, clock_.now_unix()});
}

Result<FederatedResult> FederatedLogin::callback(std::string_view provider_id,
                                                 std::string_view state, std::string_view code,
                                                 const Caller& caller) {
  const IdentityProvider* p = find(provider_id);
  if (!p) return fail(Error::not_found("no such sign-in provider"));
  if (state.empty() || state.size() > 256 || code.empty() || code.size() > 4096)
    return fail(Error::invalid_argument("missing or oversized state or code"));
  auto pending = tables_.identities.take_login(state_hash(state));
  if (!pending || pending->provider != p->id)
    return fail(Error::unauthenticated("this sign-in link is unknown, expired or used already"));
  auto claims = claims_for_code(*p, code, *pending);
  if (!claims) return fail(claims.error());

  if (pending->link_user_id.has_value()) {
    const std::string user_id = pending->link_user_id.value_or(std::string());
    auto linked = tables_.identities.create({user_id, p->id, claims->subject, claims->email});
    if (!linked) return fail(linked.error());
    audit_.record(user_id, "identity_link", "identity:" + linked->id, caller.ip, p->id);
    return FederatedResult{std::nullopt, pending->next_path};
  }
  auto user = find_or_create_user(*p, *claims, caller);
  if (!user) return fail(user.error());
  if (user->disabled) return fail(Error::unauthenticated("this account is disabled"));
  audit_.record(user->id, "login", "user:" + user->id, caller.ip, p->id);
  return FederatedResult{LoggedIn{*user, signer_.issue(user->id, user->session_epoch)},
                         pending->next_path};
}

Result<store::User> FederatedLogin::find_or_create_user(const IdentityProvider& p,
                                                        const oidc::IdTokenClaims& claims,
                                                        const Caller& caller) {
  if (auto identity = tables_.identities.find_by_subject(p.id, claims.subject)) {
    std::ignore = tables_.identities.touch_login(identity->id);
    return tables_.users.find_by_id(identity->user_id);
  } else if (identity.error().code != ErrorCode::kNotFound) {
    return fail(identity.error());
  }
  if (registration_ == Registration::kClosed && !p.trusted)
    return fail(Error::permission_denied("registration is closed: ask an administrator"));
  auto username = unique_username(claims);
  if (!username) return fail(username.error());
  // A placeholder address when the provider vouches for none: an e-mail is
  // never a reason to join an existing account.
  const std::string email = claims.email_verified && !claims.email.empty()
                                ? claims.email
                                : *username + "@" + p.id + ".invalid";
  auto user =
      tables_.users.create({*username, email, std::string(kNoPassword), role_for(p, claims)});
  if (!user && user.error().code == ErrorCode::kConflict)
    return fail(Error::conflict(
        "an account with this e-mail exists: sign in to it, then link this provider"));
  if (!user) return fail(user.error());
  auto identity = tables_.identities.create({user->id, p.id, claims.subject, claims.email});
  if (!identity) return fail(identity.error());
  audit_.record(user->id, "user_register", "user:" + user->id, caller.ip, p.id);
  return user;
}

Result<std::string> FederatedLogin::unique_username(const oidc::IdTokenClaims& claims) {
  std::string base = slugify(claims.preferred_username);
  if (base.empty()) base = slugify(claims.email.substr(0, claims.email.find('@')));
  if (base.empty() || !validate_slug(base, "username")) base = "user";
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::string candidate = attempt == 0 ? base : fmt::format("{}-{}", base, random_hex(2));
    auto taken = tables_.users.find_by_login(candidate);
    if (!taken && taken.error().code == ErrorCode::kNotFound) return candidate;
    if (!taken) return fail(taken.error());
  }
  return fail(Error::conflict("no free username found: try again"));
}

Result<std::vector<store::Identity>> FederatedLogin::identities(const auth::Principal& who) {
  if (auto ok = auth::Policy::authorize_sign_in_methods(who, auth::Action::kRead); !ok)
    return fail(ok.error());
  return tables_.identities.list(OwnerScope::of(who.user_id));
}

Result<void> FederatedLogin::unlink(const auth::Principal& who, std::string_view identity_id,
                                    const Caller& caller) {
  if (auto ok = auth::Policy::authorize_sign_in_methods(who, auth::Action::kWrite); !ok)
    return fail(ok.error());
  auto mine = tables_.identities.list(OwnerScope::of(who.user_id));
  if (!mine) return fail(mine.error());
  const bool owned =
      std::ranges::any_of(*mine, [&](const store::Identity& i) { return i.id == identity_id; });
  if (!owned) return fail(Error::not_found("identity not found"));
  auto user = tables_.users.find_by_id(who.user_id);
  if (!user) return fail(user.error());
  if (user->password_hash == kNoPassword && mine->size() == 1)
    return fail(Error::conflict(
        "this is your only way to sign in: set a password or link another provider first"));
  if (auto ok = tables_.identities.remove(OwnerScope::of(who.user_id), identity_id); !ok) return ok;
  audit_.record(who.user_id, "identity_unlink", "identity:" + std::string(identity_id), caller.ip);
  return {};
}

Role FederatedLogin::role_for(const IdentityProvider& p, const oidc::IdTokenClaims& claims) const {
  if (p.role_claim.empty()) return p.default_role;
  const Json all = Json::parse(claims.raw_json, nullptr, false);
  const auto it = all.is_object() ? all.find(p.role_claim) : all.end();
  if (it == all.end()) return p.default_role;
  std::vector<std::string> values;
  if (it->is_string()) values.push_back(it->get<std::string>());
  if (it->is_array())
    for (const Json& v : *it)
      if (v.is_string()) values.push_back(v.get<std::string>());
  // The highest role any value maps to.
  std::optional<Role> best;
  for (const auto& v : values)
    if (const auto m = p.role_map.find(v); m != p.role_map.end())
      if (!best || m->second == Role::kAdmin ||
          (m->second == Role::kDeveloper && *best == Role::kViewer))
        best = m->second;
  return best.value_or(p.default_role);
}

}  // namespace orsa::services
