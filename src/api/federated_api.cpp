// Routes of federated sign-in: the configured providers, the OpenID Connect
// code flow (start, callback) and the signed-in user's linked identities.
//
// Start and callback are browser navigations, not API calls: they answer
// with redirects, and a failure goes back to the login (or account) page
// with the reason in `?error=`, never a session.

#include <string>

#include "api/api.hpp"
#include "api_support.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "core/time.hpp"
#include "services/federated_login.hpp"

namespace orsa::api {
namespace {

// Binds a started sign-in to the browser that started it: a callback URL
// carried to another browser (login CSRF) finds no matching cookie.
constexpr std::string_view kStateCookie = "orsa_oidc_state";
constexpr std::size_t kLinkBodyLimit = 4 * 1024;
constexpr std::size_t kMaxErrorBytes = 200;

http::Response redirect(std::string location) {
  http::Response res;
  res.status = 303;
  res.set_header("Location", std::move(location));
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");  // the code and state stay here
  return res;
}

void set_state_cookie(http::Response& res, std::string_view state) {
  res.add_header("Set-Cookie", cookie_header(scoped_cookie_name(kStateCookie), state,
                                             services::FederatedLogin::kPendingSeconds, true));
}

// A finished (or failed) sign-in leaves no state behind in the browser.
void clear_state_cookie(http::Response& res) {
  res.add_header("Set-Cookie", cookie_header(scoped_cookie_name(kStateCookie), "", 0, true));
}

// The page a failure is shown on: the account page for a signed-in
// browser (a link that failed), else the login page.
std::string failure_page(auth::CredentialResolver& credentials, const http::Request& req,
                         std::string_view message) {
  const bool signed_in = authenticate_request(credentials, req).has_value();
  const std::string text(message.substr(0, kMaxErrorBytes));
  return std::string(signed_in ? "/account" : "/login") + "?error=" + percent_encode(text);
}

// What the provider says when it refuses (RFC 6749 §4.1.2.1), reduced to
// its code: the description is the provider's text, not ours to echo.
std::string provider_refusal(std::string_view code) {
  std::string safe;
  for (char c : code.substr(0, 64))
    if ((c >= 'a' && c <= 'z') || c == '_') safe += c;
  return "the provider refused the sign-in (" + (safe.empty() ? "error" : safe) + ")";
}

Json provider_json(const services::IdentityProvider& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"kind", p.kind == services::ProviderKind::kGitHub ? "github" : "oidc"},
          {"start_url", "/api/v1/auth/oidc/" + p.id + "/start"}};
}

http::Response start(services::FederatedLogin& login, auth::CredentialResolver& credentials,
                     const http::Request& req) {
  auto started = login.start(req.param("id"), std::nullopt, req.query_param("next").value_or("/"),
                             caller_of(req));
  if (!started && started.error().code == ErrorCode::kNotFound)
    return http::error_response(started.error());
  if (!started) return redirect(failure_page(credentials, req, started.error().message));
  http::Response res;
  res.status = 302;
  res.set_header("Location", started->authorization_url);
  res.set_header("Cache-Control", "no-store");
  set_state_cookie(res, started->state);
  return res;
}

http::Response callback(services::FederatedLogin& login, auth::CredentialResolver& credentials,
                        const http::Request& req) {
  const auto fail_with = [&](std::string_view message) {
    auto res = redirect(failure_page(credentials, req, message));
    clear_state_cookie(res);
    return res;
  };
  if (auto refused = req.query_param("error")) return fail_with(provider_refusal(*refused));
  const std::string_view state = req.query_param("state").value_or("");
  const std::string_view code = req.query_param("code").value_or("");
  if (state.empty() || code.empty()) return fail_with("the provider's answer lacks code or state");
  const auto bound = req.cookie(scoped_cookie_name(kStateCookie));
  if (!bound || !constant_time_equal(*bound, state))
    return fail_with("this sign-in was not started in this browser: start it again");
  auto result = login.callback(req.param("id"), state, code, caller_of(req));
  if (!result) return fail_with(result.error().message);
  auto res = redirect(result->next_path);
  clear_state_cookie(res);
  if (const auto& signed_in = result->login; signed_in.has_value()) {
    set_session_cookies(res, *signed_in);
  }
  return res;
}

Json identities_json(const services::FederatedLogin& login,
                     const std::vector<store::Identity>& identities) {
  Json list = Json::array();
  for (const auto& i : identities) {
    std::string name = i.provider;  // a provider no longer configured keeps its id
    for (const auto& p : login.providers())
      if (p.id == i.provider) name = p.name;
    list.push_back({{"id", i.id},
                    {"provider", i.provider},
                    {"provider_name", name},
                    {"subject", i.subject},
                    {"email", i.email},
                    {"created_at", format_rfc3339(i.created_at)}});
  }
  return {{"identities", list}};
}

http::Response start_link(services::FederatedLogin& login, const http::Request& req,
                          const auth::Principal& who) {
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"provider", "next"}); !ok)
    return http::error_response(ok.error());
  auto provider = body->required_string("provider");
  if (!provider) return http::error_response(provider.error());
  auto next = body->optional_string("next");
  if (!next) return http::error_response(next.error());
  auto started = login.start(*provider, who, next->value_or("/account"), caller_of(req));
  if (!started) return http::error_response(started.error());
  auto res = json_response(200, {{"authorization_url", started->authorization_url}});
  res.set_header("Cache-Control", "no-store");
  set_state_cookie(res, started->state);
  return res;
}

}  // namespace

void register_federated_routes(http::Router& router, ApiContext& ctx) {
  if (ctx.federated == nullptr) return;
  services::FederatedLogin* login = ctx.federated;
  router.add("GET", "/api/v1/auth/providers", [login](http::Request&) {
    Json list = Json::array();
    for (const auto& p : login->providers()) list.push_back(provider_json(p));
    return json_response(200, {{"providers", list}});
  });
  auth::CredentialResolver& credentials = ctx.credentials;
  router.add("GET", "/api/v1/auth/oidc/{id}/start",
             [login, &credentials](http::Request& req) { return start(*login, credentials, req); },
             {.query = {"next"}});
  // Providers add parameters of their own (iss, session_state, scope).
  router.add(
      "GET", "/api/v1/auth/oidc/{id}/callback",
      [login, &credentials](http::Request& req) { return callback(*login, credentials, req); },
      {.any_query = true});

  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated(ctx.credentials, std::move(h));
  };
  router.add("GET", "/api/v1/me/identities",
             with_auth([login](http::Request&, const auth::Principal& who) {
               return respond(login->identities(who), 200,
                              [login](const std::vector<store::Identity>& list) {
                                return identities_json(*login, list);
                              });
             }));
  router.add("POST", "/api/v1/me/identities",
             with_auth([login](http::Request& req, const auth::Principal& who) {
               return start_link(*login, req, who);
             }),
             {.body_limit = kLinkBodyLimit});
  router.add("DELETE", "/api/v1/me/identities/{id}",
             with_auth([login](http::Request& req, const auth::Principal& who) {
               return no_content_or_error(login->unlink(who, req.param("id"), caller_of(req)));
             }));
}

}  // namespace orsa::api
