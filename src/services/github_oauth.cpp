#include "github_oauth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/strings.hpp"

namespace orsa::services::github {
namespace {

using Json = nlohmann::json;

Result<Json> json_of(const Result<std::string>& body, std::string_view what) {
  if (!body) return fail(Error::unauthenticated(fmt::format("GitHub: {} failed", what)));
  Json doc = Json::parse(*body, nullptr, false);
  if (doc.is_discarded())
    return fail(Error::unauthenticated(fmt::format("GitHub: {} is not JSON", what)));
  return doc;
}

Result<std::string> access_token(ProviderHttp& http, const IdentityProvider& p,
                                 std::string_view code, std::string_view redirect_uri,
                                 std::string_view code_verifier) {
  auto doc = json_of(http.post_form(p.issuer + "/login/oauth/access_token",
                                    {{"client_id", p.client_id},
                                     {"client_secret", p.client_secret},
                                     {"code", std::string(code)},
                                     {"redirect_uri", std::string(redirect_uri)},
                                     {"code_verifier", std::string(code_verifier)}}),
                     "the code exchange");
  if (!doc) return fail(doc.error());
  // GitHub answers a refused code with 200 and {"error": "bad_verification_code", …}.
  if (!doc->is_object() || !doc->contains("access_token") || !(*doc)["access_token"].is_string())
    return fail(Error::unauthenticated("GitHub refused the code"));
  return (*doc)["access_token"].get<std::string>();
}

// The primary verified address, if the account has one.
std::string primary_verified_email(const Json& emails) {
  if (!emails.is_array()) return {};
  for (const Json& e : emails) {
    if (e.is_object() && e.value("primary", false) && e.value("verified", false) &&
        e.contains("email") && e["email"].is_string())
      return e["email"].get<std::string>();
  }
  return {};
}

std::vector<std::string> org_logins(const Json& orgs) {
  std::vector<std::string> out;
  if (!orgs.is_array()) return out;
  for (const Json& o : orgs)
    if (o.is_object() && o.contains("login") && o["login"].is_string())
      out.push_back(ascii_lower(o["login"].get<std::string>()));
  return out;
}

}  // namespace

std::string authorize_url(const IdentityProvider& p, std::string_view redirect_uri,
                          const auth::oidc::LoginSecrets& secrets) {
  // read:org only when membership decides who may sign in.
  const std::string scope =
      p.allowed_orgs.empty() ? "read:user user:email" : "read:user user:email read:org";
  return fmt::format(
      "{}/login/oauth/authorize?client_id={}&redirect_uri={}&scope={}&state={}"
      "&code_challenge={}&code_challenge_method=S256&allow_signup=false",
      p.issuer, percent_encode(p.client_id), percent_encode(redirect_uri), percent_encode(scope),
      secrets.state, secrets.code_challenge);
}

Result<auth::oidc::IdTokenClaims> claims_for_code(ProviderHttp& http, const IdentityProvider& p,
                                                  std::string_view code,
                                                  std::string_view redirect_uri,
                                                  std::string_view code_verifier) {
  auto token = access_token(http, p, code, redirect_uri, code_verifier);
  if (!token) return fail(token.error());
  auto user = json_of(http.get_authorized(p.api_url + "/user", *token), "reading the user");
  if (!user) return fail(user.error());
  if (!user->is_object() || !user->contains("id") || !(*user)["id"].is_number_integer() ||
      !user->contains("login") || !(*user)["login"].is_string())
    return fail(Error::unauthenticated("GitHub: the user has no id or login"));
  auto emails = json_of(http.get_authorized(p.api_url + "/user/emails", *token), "reading e-mails");
  if (!emails) return fail(emails.error());
  std::vector<std::string> orgs;
  if (!p.allowed_orgs.empty()) {
    auto listed = json_of(http.get_authorized(p.api_url + "/user/orgs", *token), "reading orgs");
    if (!listed) return fail(listed.error());
    orgs = org_logins(*listed);
  }
  if (!p.allowed_orgs.empty() && std::ranges::none_of(p.allowed_orgs, [&](const std::string& o) {
        return std::ranges::find(orgs, ascii_lower(o)) != orgs.end();
      }))
    return fail(Error::permission_denied(
        "this GitHub account is not a member of an organisation allowed to sign in"));

  auth::oidc::IdTokenClaims claims;
  claims.issuer = p.issuer;
  claims.subject = std::to_string((*user)["id"].get<std::int64_t>());
  claims.preferred_username = (*user)["login"].get<std::string>();
  if (user->contains("name") && (*user)["name"].is_string())
    claims.name = (*user)["name"].get<std::string>();
  claims.email = primary_verified_email(*emails);
  claims.email_verified = !claims.email.empty();
  claims.raw_json = Json{{"login", claims.preferred_username}, {"orgs", orgs}}.dump();
  return claims;
}

}  // namespace orsa::services::github
