// login, logout, whoami, tokens, version.

#include <unistd.h>

#include "cli/output.hpp"
#include "context.hpp"

#ifndef ORSA_CLI_VERSION
#define ORSA_CLI_VERSION "0.0.0"
#endif

namespace orsa::cli {
namespace {

struct LoginOptions {
  std::string username;
  std::string token;
  bool password_stdin = false;
};

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "this machine";
  return name;
}

// A password login: the session it opens is used once, to create the API
// token the client keeps, and then ended.
Result<Profile> login_with_password(const Context& ctx, const std::string& server,
                                    const LoginOptions& opts) {
  std::string username = opts.username;
  if (username.empty()) {
    auto line = read_line("Username: ");
    if (!line) return fail(line.error());
    username = *line;
  }
  auto password = read_secret("Password: ");
  if (!password) return fail(password.error());
  const ApiClient anonymous = ctx.anonymous(server);
  auto session =
      anonymous.call("POST", "/api/v1/auth/login", {{"login", username}, {"password", *password}});
  if (!session) return fail(session.error());
  const std::string session_token = cell(*session, "token");
  if (session_token.empty()) return fail(Error::internal("the login answer holds no session"));
  const ApiClient with_session(server, session_token, anonymous.timeout());
  auto token = with_session.call("POST", "/api/v1/tokens", {{"name", "orsa CLI on " + hostname()}});
  // The session is no longer needed whatever happened; ending it is best effort.
  std::ignore = with_session.call("POST", "/api/v1/auth/logout");
  if (!token) return fail(token.error());
  Profile profile{.server = server,
                  .token = cell(*token, "secret"),
                  .token_id = cell(*token, "id"),
                  .username = cell(session->value("user", Json::object()), "username")};
  if (profile.token.empty() || profile.token_id.empty())
    return fail(Error::internal("the token answer holds no secret"));
  return profile;
}

Result<Profile> login_with_token(const Context& ctx, const std::string& server,
                                 const std::string& token) {
  const ApiClient client(server, token, std::chrono::seconds(ctx.options.timeout_s));
  auto me = client.call("GET", "/api/v1/me");
  if (!me) return fail(me.error());
  return Profile{.server = server, .token = token, .username = cell(*me, "username")};
}

Result<int> login(const Context& ctx, const LoginOptions& opts) {
  auto path = ctx.config_path();
  if (!path) return fail(path.error());
  auto config = load_config(*path);
  if (!config) return fail(config.error());
  const std::string name = ctx.profile_name(*config);
  if (!valid_profile_name(name))
    return fail(Error::invalid_argument("invalid profile name '" + name + "'"));
  std::string server = ctx.options.server;
  const auto existing = config->profiles.find(name);
  if (server.empty() && existing != config->profiles.end()) server = existing->second.server;
  if (server.empty())
    return fail(
        Error::invalid_argument("which server? pass --server URL (e.g. "
                                "http://127.0.0.1:8080)"));
  while (server.ends_with('/')) server.pop_back();
  if (!server.starts_with("http://") && !server.starts_with("https://"))
    return fail(
        Error::invalid_argument("--server wants an http:// or https:// URL, got '" + server + "'"));
  auto profile = opts.token.empty() ? login_with_password(ctx, server, opts)
                                    : login_with_token(ctx, server, opts.token);
  if (!profile) return fail(profile.error());
  // A token this client created at an earlier login of the profile goes.
  if (existing != config->profiles.end() && !existing->second.token_id.empty() &&
      existing->second.server == server) {
    const ApiClient old(server, existing->second.token, std::chrono::seconds(10));
    std::ignore = old.call("DELETE", "/api/v1/tokens/" + escape_path(existing->second.token_id));
  }
  // The first profile becomes the current one; others are chosen with --profile.
  if (!config->profiles.contains(config->current)) config->current = name;
  config->profiles[name] = *profile;
  if (auto saved = save_config(*path, *config); !saved) return fail(saved.error());
  ctx.say("Logged in to " + server + " as " + profile->username + " (profile " + name + ")");
  return 0;
}

Result<int> logout(const Context& ctx) {
  auto path = ctx.config_path();
  if (!path) return fail(path.error());
  auto config = load_config(*path);
  if (!config) return fail(config.error());
  const std::string name = ctx.profile_name(*config);
  const auto it = config->profiles.find(name);
  if (it == config->profiles.end() || it->second.token.empty()) {
    ctx.say("Not logged in (profile " + name + ")");
    return 0;
  }
  Profile& profile = it->second;
  if (!profile.token_id.empty()) {
    const ApiClient client(profile.server, profile.token,
                           std::chrono::seconds(ctx.options.timeout_s));
    auto revoked = client.call("DELETE", "/api/v1/tokens/" + escape_path(profile.token_id));
    // Already revoked (404) or refused (401: the token is dead) both end the login.
    if (!revoked && revoked.error().code != ErrorCode::kNotFound &&
        revoked.error().code != ErrorCode::kUnauthenticated)
      return fail(revoked.error());
  }
  profile.token.clear();
  profile.token_id.clear();
  if (auto saved = save_config(*path, *config); !saved) return fail(saved.error());
  ctx.say("Logged out of " + profile.server + " (profile " + name + ")");
  return 0;
}

Result<int> whoami(const Context& ctx) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto me = client->call("GET", "/api/v1/me");
  if (!me) return fail(me.error());
  if (ctx.json()) {
    ctx.print_json(*me);
  } else {
    ctx.say(cell(*me, "username") + " (" + cell(*me, "role") + ") on " + client->server());
  }
  return 0;
}

struct TokenOptions {
  std::string name;
  std::vector<std::string> scopes;
  int expires_in_days = 0;
  std::string id;
};

Result<int> tokens_create(const Context& ctx, const TokenOptions& opts) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  Json body = {{"name", opts.name}};
  if (!opts.scopes.empty()) body["scopes"] = opts.scopes;
  if (opts.expires_in_days > 0) body["expires_in_days"] = opts.expires_in_days;
  auto token = client->call("POST", "/api/v1/tokens", body);
  if (!token) return fail(token.error());
  if (ctx.json()) {
    ctx.print_json(*token);
  } else {
    ctx.note("Token " + cell(*token, "id") + " created; its secret is shown only now:");
    ctx.say(cell(*token, "secret"));
  }
  return 0;
}

Result<int> tokens_ls(const Context& ctx) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto list = client->call("GET", "/api/v1/tokens");
  if (!list) return fail(list.error());
  if (ctx.json()) {
    ctx.print_json(*list);
    return 0;
  }
  Table table{.headers = {"ID", "NAME", "SCOPES", "CREATED", "LAST USED", "EXPIRES"}};
  for (const auto& t : (*list)["tokens"]) {
    std::string scopes;
    for (const auto& s : t.value("scopes", Json::array()))
      scopes += (scopes.empty() ? "" : ",") + s.get<std::string>();
    table.rows.push_back({cell(t, "id"), cell(t, "name"), scopes, short_time(cell(t, "created_at")),
                          short_time(cell(t, "last_used_at")), short_time(cell(t, "expires_at"))});
  }
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> tokens_revoke(const Context& ctx, const std::string& id) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto done = client->call("DELETE", "/api/v1/tokens/" + escape_path(id));
  if (!done) return fail(done.error());
  ctx.say("Token " + id + " revoked");
  return 0;
}

// The server's API version, from the info block of the OpenAPI document it serves.
Result<std::string> server_version(const Context& ctx) {
  auto server = ctx.server();
  if (!server) return fail(server.error());
  const ApiClient client = ctx.anonymous(*server);
  auto doc = client.send("GET", *server + "/api/openapi.yaml");
  if (!doc) return fail(doc.error());
  if (doc->status != 200) return fail(error_from_response(*doc));
  bool in_info = false;
  std::string_view text = doc->body;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (line.starts_with("info:"))
      in_info = true;
    else if (!line.empty() && line.front() != ' ')
      in_info = false;
    if (in_info && line.starts_with("  version:")) {
      std::string version(line.substr(10));
      std::erase(version, ' ');
      return version;
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return fail(Error::internal("the server's API document names no version"));
}

Result<int> version(const Context& ctx) {
  auto server = server_version(ctx);
  if (ctx.json()) {
    Json doc = {{"client", ORSA_CLI_VERSION}};
    doc["server"] = server ? Json(*server) : Json(nullptr);
    if (!server) doc["server_error"] = server.error().message;
    ctx.print_json(doc);
    return 0;
  }
  ctx.say("client  " + std::string(ORSA_CLI_VERSION));
  ctx.say("server  " + (server ? *server : "unknown (" + server.error().message + ")"));
  return 0;
}

}  // namespace

void add_account_commands(CLI::App& app, Context& ctx) {
  auto login_opts = std::make_shared<LoginOptions>();
  auto* login_cmd = app.add_subcommand("login", "Log in to a server and keep an API token");
  login_cmd->add_option("-u,--username", login_opts->username, "Username or email (else asked)");
  login_cmd->add_option("--token", login_opts->token, "Use this API token instead (for CI)")
      ->envname("ORSA_TOKEN");
  login_cmd->footer(
      "Asks for the password without echo (or reads it from stdin when that is not a\n"
      "terminal), creates an API token \"orsa CLI on <hostname>\" and keeps it in\n"
      "~/.config/orsa/config.toml (mode 0600).\n\nExamples:\n"
      "  orsa login --server http://127.0.0.1:8080\n"
      "  orsa login --server https://orsa.example.org --profile work -u alice\n"
      "  ORSA_TOKEN=orsa_... orsa login --server https://orsa.example.org");
  login_cmd->callback([&ctx, login_opts] { ctx.outcome = login(ctx, *login_opts); });

  app.add_subcommand("logout", "Revoke the login's API token and forget it")
      ->footer("Examples:\n  orsa logout\n  orsa logout --profile work")
      ->callback([&ctx] { ctx.outcome = logout(ctx); });
  app.add_subcommand("whoami", "Show the user and server of the profile")
      ->footer("Examples:\n  orsa whoami\n  orsa whoami --output json | jq -r .role")
      ->callback([&ctx] { ctx.outcome = whoami(ctx); });
  app.add_subcommand("version", "Show the client's and the server's versions")
      ->footer("Example:\n  orsa version")
      ->callback([&ctx] { ctx.outcome = version(ctx); });

  auto token_opts = std::make_shared<TokenOptions>();
  auto* tokens = app.add_subcommand("tokens", "Create, list and revoke API tokens");
  tokens->require_subcommand(1);
  tokens->footer(
      "Examples:\n  orsa tokens create ci --scope read --scope write --expires-in-days 90\n"
      "  orsa tokens ls\n  orsa tokens revoke tok_3kq9x1");
  auto* create = tokens->add_subcommand("create", "Create a token; its secret is shown once");
  create->add_option("name", token_opts->name, "A name to recognise it by")->required();
  create->add_option("--scope", token_opts->scopes, "read, write, deploy or admin (repeatable)")
      ->check(CLI::IsMember({"read", "write", "deploy", "admin"}));
  create->add_option("--expires-in-days", token_opts->expires_in_days, "Expiry (1-3650)")
      ->check(CLI::Range(1, 3650));
  create->callback([&ctx, token_opts] { ctx.outcome = tokens_create(ctx, *token_opts); });
  tokens->add_subcommand("ls", "List your tokens (no secrets)")->callback([&ctx] {
    ctx.outcome = tokens_ls(ctx);
  });
  auto* revoke = tokens->add_subcommand("revoke", "Revoke a token");
  revoke->add_option("id", token_opts->id, "The token's id")->required();
  revoke->callback([&ctx, token_opts] { ctx.outcome = tokens_revoke(ctx, token_opts->id); });
}

}  // namespace orsa::cli
