// Routes for sign-up, login, sessions, API tokens and user administration.

#include <string>

#include "api/api.hpp"
#include "api_support.hpp"
#include "core/time.hpp"
#include "views.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kAnonymousBodyLimit = 64 * 1024;

http::Response session_response(int status, const services::LoggedIn& in) {
  auto res = json_response(status, {{"token", in.session.token},
                                    {"csrf_token", in.session.claims.csrf},
                                    {"expires_at", format_rfc3339(in.session.claims.expires_at)},
                                    {"user", to_json(in.user)}});
  set_session_cookies(res, in);
  res.set_header("Cache-Control", "no-store");
  return res;
}

Result<services::NewAccount> parse_account(const http::Request& req, bool allow_role) {
  auto body = parse_json_body(req);
  if (!body) return fail(body.error());
  // Each list lives for the whole call (an initializer_list stored in a
  // variable from a conditional would dangle).
  auto known = allow_role ? body->reject_unknown({"username", "email", "password", "role"})
                          : body->reject_unknown({"username", "email", "password"});
  if (!known) return fail(known.error());
  services::NewAccount account;
  auto username = body->required_string("username");
  if (!username) return fail(username.error());
  auto email = body->required_string("email");
  if (!email) return fail(email.error());
  auto password = body->required_string("password");
  if (!password) return fail(password.error());
  account = {*username, *email, *password, Role::kDeveloper};
  auto role = body->optional_string("role");
  if (!role) return fail(role.error());
  if (const auto& name = *role) {
    auto parsed = parse_role(*name);
    if (!parsed) return fail(Error::invalid_argument("role must be admin, developer or viewer"));
    account.role = *parsed;
  }
  return account;
}

http::Response register_user(services::Accounts& accounts, http::Request& req) {
  // Login CSRF: a foreign page must not sign the browser in as its author.
  if (auto ok = require_same_origin(req); !ok) return http::error_response(ok.error());
  auto account = parse_account(req, false);
  if (!account) return http::error_response(account.error());
  auto in = accounts.register_user(*account, caller_of(req));
  if (!in) return http::error_response(in.error());
  return session_response(201, *in);
}

http::Response login(services::Accounts& accounts, http::Request& req) {
  if (auto ok = require_same_origin(req); !ok) return http::error_response(ok.error());
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"login", "username", "email", "password"}); !ok) {
    return http::error_response(ok.error());
  }
  std::optional<std::string> login;
  for (const char* field : {"login", "username", "email"}) {
    auto value = body->optional_string(field);
    if (!value) return http::error_response(value.error());
    if (const auto& given = *value) login = *given;
  }
  if (!login)
    return http::error_response(Error::invalid_argument("missing field 'username' or 'email'"));
  auto password = body->required_string("password");
  if (!password) return http::error_response(password.error());
  auto in = accounts.login(*login, *password, caller_of(req));
  if (!in) return http::error_response(in.error());
  return session_response(200, *in);
}

// The session being ended: the bearer JWT, else the cookie.
std::optional<std::string_view> presented_session(const http::Request& req) {
  constexpr std::string_view kBearer = "Bearer ";
  if (auto header = req.header("Authorization"); header && header->starts_with(kBearer)) {
    return header->substr(kBearer.size());
  }
  return req.cookie(kSessionCookie);
}

http::Response logout(services::Accounts& accounts, http::Request& req) {
  if (auto ok = require_same_origin(req); !ok) return http::error_response(ok.error());
  // Revoked server-side too: a copy of the token (a stolen cookie, a token
  // pasted into a registry client) stops working with the logout.
  if (auto session = presented_session(req)) accounts.logout(*session, caller_of(req));
  http::Response res;
  res.status = 204;
  res.add_header("Set-Cookie", cookie_header(session_cookie_name(), "", 0, true));
  res.add_header("Set-Cookie", cookie_header(csrf_cookie_name(), "", 0, false));
  return res;
}

// `scopes`: absent, or a non-empty array of scope names.
Result<std::optional<std::uint8_t>> parse_scope_field(const JsonObjectReader& body) {
  const Json* value = body.find("scopes");
  if (value == nullptr || value->is_null()) return std::optional<std::uint8_t>();
  if (!value->is_array() || value->empty() || value->size() > 4) {
    return fail(
        Error::invalid_argument("scopes must be a list of 1-4 of read, write, deploy, admin"));
  }
  std::string list;
  for (const auto& item : *value) {
    if (!item.is_string()) return fail(Error::invalid_argument("scopes must be strings"));
    if (!list.empty()) list += ',';
    list += item.get<std::string>();
  }
  auto bits = auth::parse_scopes(list);
  if (!bits) return fail(bits.error());
  return std::optional<std::uint8_t>(*bits);
}

http::Response create_token(services::Accounts& accounts, http::Request& req,
                            const auth::Principal& who) {
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"name", "expires_in_days", "scopes"}); !ok) {
    return http::error_response(ok.error());
  }
  auto name = body->required_string("name");
  if (!name) return http::error_response(name.error());
  auto days = body->optional_int("expires_in_days");
  if (!days) return http::error_response(days.error());
  auto scopes = parse_scope_field(*body);
  if (!scopes) return http::error_response(scopes.error());
  auto created = accounts.create_token(who, *name, *days, *scopes, caller_of(req));
  return respond(created, 201, [](const services::CreatedToken& t) {
    Json out = to_json(t.token);
    out["secret"] = t.secret;
    return out;
  });
}

http::Response change_password(services::Accounts& accounts, http::Request& req,
                               const auth::Principal& who) {
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"current_password", "new_password"}); !ok) {
    return http::error_response(ok.error());
  }
  auto current = body->required_string("current_password");
  if (!current) return http::error_response(current.error());
  auto replacement = body->required_string("new_password");
  if (!replacement) return http::error_response(replacement.error());
  auto in = accounts.change_password(who, *current, *replacement, caller_of(req));
  if (!in) return http::error_response(in.error());
  // The caller's own session was revoked with the others: hand a new one.
  return session_response(200, *in);
}

http::Response update_user(services::Accounts& accounts, http::Request& req,
                           const auth::Principal& who) {
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"role", "disabled"}); !ok)
    return http::error_response(ok.error());
  services::UserChange change;
  auto role = body->optional_string("role");
  if (!role) return http::error_response(role.error());
  if (const auto& name = *role) {
    change.role = parse_role(*name);
    if (!change.role) {
      return http::error_response(
          Error::invalid_argument("role must be admin, developer or viewer"));
    }
  }
  auto disabled = body->optional_bool("disabled");
  if (!disabled) return http::error_response(disabled.error());
  change.disabled = *disabled;
  auto user = accounts.update_user(who, req.param("id"), change, caller_of(req));
  return respond(user, 200, [](const store::User& u) { return to_json(u); });
}

Json users_json(const std::vector<store::User>& users) {
  Json list = Json::array();
  for (const auto& u : users) list.push_back(to_json(u));
  return {{"users", list}};
}

Json tokens_json(const std::vector<store::ApiToken>& tokens) {
  Json list = Json::array();
  for (const auto& t : tokens) list.push_back(to_json(t));
  return {{"tokens", list}};
}

}  // namespace

void register_account_routes(http::Router& router, ApiContext& ctx) {
  services::Accounts& accounts = ctx.accounts;
  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated(ctx.credentials, std::move(h));
  };

  // Anonymous by nature, so their bodies are kept small; the routes that
  // hash passwords run on the credential pool (http::Lane).
  const http::RouteOptions anonymous{.body_limit = kAnonymousBodyLimit};
  const http::RouteOptions hashing{.body_limit = kAnonymousBodyLimit,
                                   .lane = http::Lane::kCredential};
  router.add(
      "POST", "/api/v1/auth/register",
      [&accounts](http::Request& req) { return register_user(accounts, req); }, hashing);
  router.add(
      "POST", "/api/v1/auth/login",
      [&accounts](http::Request& req) { return login(accounts, req); }, hashing);
  router.add(
      "POST", "/api/v1/auth/logout",
      [&accounts](http::Request& req) { return logout(accounts, req); }, anonymous);
  router.add("POST", "/api/v1/me/password",
             with_auth([&accounts](http::Request& req, const auth::Principal& who) {
               return change_password(accounts, req, who);
             }),
             hashing);
  router.add("GET", "/api/v1/me",
             with_auth([&accounts, &ctx](http::Request&, const auth::Principal& who) {
               return respond(accounts.me(who), 200, [&](const store::User& u) {
                 Json out = to_json(u);
                 out["usage"] = registry_usage_json(ctx.registry, u.username);
                 out["usage"]["open_uploads"] = ctx.registry.store().open_uploads(u.id);
                 out["usage"]["max_open_uploads"] =
                     ctx.registry.store().limits().max_open_uploads_per_user;
                 const auto repository = ctx.projects.repository_bytes(u.username);
                 out["usage"]["repository_bytes"] = repository ? Json(*repository) : Json(nullptr);
                 const std::int64_t quota = ctx.projects.repository_quota_bytes();
                 out["usage"]["repository_quota_bytes"] = quota > 0 ? Json(quota) : Json(nullptr);
                 if (ctx.runs != nullptr) {
                   const auto runs = ctx.runs->data_bytes(who);
                   out["usage"]["run_data_bytes"] = runs ? Json(*runs) : Json(nullptr);
                   const std::int64_t runs_quota = ctx.runs->data_quota_bytes();
                   out["usage"]["run_data_quota_bytes"] =
                       runs_quota > 0 ? Json(runs_quota) : Json(nullptr);
                 }
                 return out;
               });
             }));

  router.add("POST", "/api/v1/tokens",
             with_auth([&accounts](http::Request& req, const auth::Principal& who) {
               return create_token(accounts, req, who);
             }));
  router.add("GET", "/api/v1/tokens",
             with_auth([&accounts](http::Request&, const auth::Principal& who) {
               return respond(accounts.list_tokens(who), 200, tokens_json);
             }));
  router.add(
      "DELETE", "/api/v1/tokens/{id}",
      with_auth([&accounts](http::Request& req, const auth::Principal& who) {
        return no_content_or_error(accounts.revoke_token(who, req.param("id"), caller_of(req)));
      }));

  router.add("GET", "/api/v1/users",
             with_auth([&accounts](http::Request&, const auth::Principal& who) {
               return respond(accounts.list_users(who), 200, users_json);
             }));
  router.add("POST", "/api/v1/users",
             with_auth([&accounts](http::Request& req, const auth::Principal& who) {
               auto account = parse_account(req, true);
               if (!account) return http::error_response(account.error());
               return respond(accounts.create_user(who, *account, caller_of(req)), 201,
                              [](const store::User& u) { return to_json(u); });
             }),
             hashing);
  router.add("PATCH", "/api/v1/users/{id}",
             with_auth([&accounts](http::Request& req, const auth::Principal& who) {
               return update_user(accounts, req, who);
             }));
}

}  // namespace orsa::api
