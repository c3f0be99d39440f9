#include "sign_in_config.hpp"

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "auth/oidc.hpp"

namespace orsa::deployer {
namespace {

// A secret file holds one line; anything much larger is the wrong file.
constexpr std::size_t kMaxSecretBytes = 4096;
constexpr std::size_t kMaxIdBytes = 32;
constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxIssuerBytes = 512;

Result<std::string> read_secret_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::invalid_argument(std::string(what) + ": cannot read " + path));
  std::string text(kMaxSecretBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxSecretBytes)
    return fail(Error::invalid_argument(std::string(what) + ": " + path + " is over 4 KiB"));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

bool is_slug(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && id.front() != '-' &&
         std::ranges::all_of(id, [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// Tokens and secrets cross this URL: only TLS, except a provider on this
// machine (a test provider, a local Keycloak).
bool is_acceptable_issuer(std::string_view issuer) {
  return issuer.size() <= kMaxIssuerBytes && auth::oidc::is_secure_url(issuer);
}

Result<void> check_provider(const services::IdentityProvider& p, std::string_view where) {
  const auto bad = [&](const std::string& why) {
    return fail(Error::invalid_argument(std::string(where) + ": " + why));
  };
  if (!is_slug(p.id)) return bad("id must be 1-32 of [a-z0-9-], got '" + p.id + "'");
  if (p.name.empty() || p.name.size() > kMaxNameBytes) return bad("name must be 1-64 bytes");
  if (!is_acceptable_issuer(p.issuer))
    return bad(
        "issuer (GitHub: web URL) must be an https:// URL (http:// only on loopback), got '" +
        p.issuer + "'");
  if (p.client_id.empty()) return bad("a client id is required");
  if (p.client_secret.empty()) return bad("a client secret (or a file holding it) is required");
  return {};
}

Result<Role> role_named(std::string_view name, std::string_view where) {
  auto role = parse_role(name);
  if (!role)
    return fail(Error::invalid_argument(std::string(where) + ": role must be admin, developer or " +
                                        "viewer, got '" + std::string(name) + "'"));
  return *role;
}

// The secret given inline or in a file: exactly one of them.
Result<std::string> secret_of(const std::string& inline_secret, const std::string& file,
                              std::string_view flag) {
  if (!inline_secret.empty() && !file.empty())
    return fail(Error::invalid_argument(std::string(flag) + " and " + std::string(flag) +
                                        "-file: give one of them"));
  if (file.empty()) return inline_secret;
  return read_secret_file(file, std::string(flag) + "-file");
}

Result<services::IdentityProvider> github_provider(const GitHubFlags& f) {
  services::IdentityProvider p{.id = "github",
                               .name = "GitHub",
                               .issuer = f.web_url,
                               .client_id = f.client_id,
                               .kind = services::ProviderKind::kGitHub,
                               .api_url = f.api_url,
                               .allowed_orgs = f.orgs};
  while (p.issuer.ends_with('/')) p.issuer.pop_back();
  while (p.api_url.ends_with('/')) p.api_url.pop_back();
  auto secret = secret_of(f.client_secret, f.client_secret_file, "--github-client-secret");
  if (!secret) return fail(secret.error());
  p.client_secret = std::move(*secret);
  auto role = role_named(f.default_role, "--github-default-role");
  if (!role) return fail(role.error());
  p.default_role = *role;
  p.trusted = f.trusted;
  if (!is_acceptable_issuer(p.api_url))
    return fail(Error::invalid_argument(
        "--github-api-url must be an https:// URL (http:// only on loopback), got '" + p.api_url +
        "'"));
  if (auto ok = check_provider(p, "--github-*"); !ok) return fail(ok.error());
  return p;
}

Result<services::IdentityProvider> provider_of_flags(const OidcFlags& f) {
  services::IdentityProvider p{.id = f.id,
                               .name = f.name,
                               .issuer = f.issuer,
                               .client_id = f.client_id,
                               .client_secret = f.client_secret,
                               .role_claim = f.role_claim};
  auto secret = secret_of(f.client_secret, f.client_secret_file, "--oidc-client-secret");
  if (!secret) return fail(secret.error());
  p.client_secret = std::move(*secret);
  for (const auto& entry : f.role_map) {
    const auto eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return fail(
          Error::invalid_argument("--oidc-role-map must be VALUE=ROLE, got '" + entry + "'"));
    auto role = role_named(entry.substr(eq + 1), "--oidc-role-map");
    if (!role) return fail(role.error());
    p.role_map[entry.substr(0, eq)] = *role;
  }
  auto role = role_named(f.default_role, "--oidc-default-role");
  if (!role) return fail(role.error());
  p.default_role = *role;
  p.trusted = f.trusted;
  if (auto ok = check_provider(p, "--oidc-*"); !ok) return fail(ok.error());
  return p;
}

Result<std::string> string_of(const toml::table& t, std::string_view key, std::string_view where,
                              bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (required)
      return fail(
          Error::invalid_argument(std::string(where) + ": " + std::string(key) + " is required"));
    return std::string();
  }
  const auto value = node->value<std::string>();
  if (!value.has_value())
    return fail(Error::invalid_argument(std::string(where) + ": " + std::string(key) +
                                        " must be a string"));
  return value.value();
}

Result<services::IdentityProvider> provider_of_table(const toml::table& t, std::string_view where) {
  static constexpr std::array kKnown = {
      "id",         "name",     "issuer",       "client_id", "client_secret", "client_secret_file",
      "role_claim", "role_map", "default_role", "trusted"};
  for (const auto& [key, node] : t) {
    if (std::ranges::find(kKnown, key.str()) == kKnown.end())
      return fail(Error::invalid_argument(std::string(where) + ": unknown key '" +
                                          std::string(key.str()) + "'"));
  }
  services::IdentityProvider p;
  struct Field {
    std::string_view key;
    std::string* out;
    bool required;
  };
  std::string secret_file, default_role = "viewer";
  for (const Field& field :
       {Field{"id", &p.id, true}, Field{"name", &p.name, false}, Field{"issuer", &p.issuer, true},
        Field{"client_id", &p.client_id, true}, Field{"client_secret", &p.client_secret, false},
        Field{"client_secret_file", &secret_file, false}, Field{"role_claim", &p.role_claim, false},
        Field{"default_role", &default_role, false}}) {
    auto value = string_of(t, field.key, where, field.required);
    if (!value) return fail(value.error());
    if (!value->empty()) *field.out = std::move(*value);
  }
  if (p.name.empty()) p.name = p.id;
  if (!p.client_secret.empty() && !secret_file.empty())
    return fail(Error::invalid_argument(std::string(where) +
                                        ": client_secret and client_secret_file: give one"));
  if (!secret_file.empty()) {
    auto secret = read_secret_file(secret_file, where);
    if (!secret) return fail(secret.error());
    p.client_secret = std::move(*secret);
  }
  if (const toml::node* map = t.get("role_map")) {
    const toml::table* roles = map->as_table();
    if (roles == nullptr)
      return fail(Error::invalid_argument(std::string(where) + ": role_map must be a table"));
    for (const auto& [value, role_node] : *roles) {
      const auto name = role_node.value<std::string>();
      auto role = role_named(name.value_or(""), where);
      if (!role) return fail(role.error());
      p.role_map[std::string(value.str())] = *role;
    }
  }
  auto role = role_named(default_role, where);
  if (!role) return fail(role.error());
  p.default_role = *role;
  if (const toml::node* trusted = t.get("trusted")) {
    const auto flag = trusted->value<bool>();
    if (!flag.has_value())
      return fail(Error::invalid_argument(std::string(where) + ": trusted must be true or false"));
    p.trusted = flag.value();
  }
  if (auto ok = check_provider(p, where); !ok) return fail(ok.error());
  return p;
}

Result<std::vector<services::IdentityProvider>> providers_of_file(const std::string& path) {
  const std::string where = "--oidc-providers " + path;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return fail(Error::invalid_argument(where + ": " + std::string(e.description())));
  }
  const toml::array* list = root["provider"].as_array();
  if (list == nullptr || list->empty())
    return fail(Error::invalid_argument(where + ": no [[provider]] table"));
  std::vector<services::IdentityProvider> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::table* table = list->get(i)->as_table();
    const std::string at = where + " provider " + std::to_string(i + 1);
    if (table == nullptr) return fail(Error::invalid_argument(at + ": not a table"));
    auto provider = provider_of_table(*table, at);
    if (!provider) return fail(provider.error());
    out.push_back(std::move(*provider));
  }
  return out;
}

void add_github_options(CLI::App& app, GitHubFlags& flags) {
  app.add_option("--github-client-id", flags.client_id,
                 "Client id of a GitHub OAuth app: turns on \"Sign in with GitHub\"")
      ->envname("ORSA_GITHUB_CLIENT_ID");
  app.add_option("--github-client-secret", flags.client_secret,
                 "Its client secret (prefer the variable or --github-client-secret-file)")
      ->envname("ORSA_GITHUB_CLIENT_SECRET");
  app.add_option("--github-client-secret-file", flags.client_secret_file,
                 "File holding the client secret")
      ->envname("ORSA_GITHUB_CLIENT_SECRET_FILE");
  app.add_option("--github-url", flags.web_url,
                 "GitHub's web origin (GitHub Enterprise Server: https://HOST)")
      ->envname("ORSA_GITHUB_URL");
  app.add_option("--github-api-url", flags.api_url,
                 "GitHub's REST API (GitHub Enterprise Server: https://HOST/api/v3)")
      ->envname("ORSA_GITHUB_API_URL");
  app.add_option("--github-orgs", flags.orgs,
                 "Only members of these organisations may sign in (comma-separated)")
      ->envname("ORSA_GITHUB_ORGS")
      ->delimiter(',');
  app.add_option("--github-default-role", flags.default_role,
                 "Role of a user created by signing in with GitHub (default viewer)")
      ->envname("ORSA_GITHUB_DEFAULT_ROLE");
  app.add_flag("--github-trusted", flags.trusted,
               "GitHub may sign up new users even with --registration closed")
      ->envname("ORSA_GITHUB_TRUSTED");
}

void add_oidc_options(CLI::App& app, OidcFlags& flags) {
  app.add_option("--oidc-issuer", flags.issuer,
                 "OpenID provider's issuer URL (discovery at /.well-known/openid-configuration)")
      ->envname("ORSA_OIDC_ISSUER");
  app.add_option("--oidc-id", flags.id, "The provider's id in URLs (default oidc)")
      ->envname("ORSA_OIDC_ID");
  app.add_option("--oidc-name", flags.name, "Its button label (\"Sign in with NAME\")")
      ->envname("ORSA_OIDC_NAME");
  app.add_option("--oidc-client-id", flags.client_id, "Client id registered at the provider")
      ->envname("ORSA_OIDC_CLIENT_ID");
  app.add_option("--oidc-client-secret", flags.client_secret,
                 "Client secret (prefer the variable or --oidc-client-secret-file)")
      ->envname("ORSA_OIDC_CLIENT_SECRET");
  app.add_option("--oidc-client-secret-file", flags.client_secret_file,
                 "File holding the client secret")
      ->envname("ORSA_OIDC_CLIENT_SECRET_FILE");
  app.add_option("--oidc-role-claim", flags.role_claim,
                 "ID token claim mapped to roles (e.g. groups)")
      ->envname("ORSA_OIDC_ROLE_CLAIM");
  app.add_option("--oidc-role-map", flags.role_map,
                 "VALUE=ROLE: a role claim value and the role it gives (repeatable)")
      ->envname("ORSA_OIDC_ROLE_MAP")
      ->delimiter(',');
  app.add_option("--oidc-default-role", flags.default_role,
                 "Role of a new user no mapping names (default viewer)")
      ->envname("ORSA_OIDC_DEFAULT_ROLE");
  app.add_flag("--oidc-trusted", flags.trusted,
               "The provider may sign up new users even with --registration closed")
      ->envname("ORSA_OIDC_TRUSTED");
  app.add_option("--oidc-providers", flags.providers_file,
                 "TOML file of several providers ([[provider]] tables with the same keys)")
      ->envname("ORSA_OIDC_PROVIDERS");
}

}  // namespace

void add_sign_in_options(CLI::App& app, SignInFlags& flags) {
  add_oidc_options(app, flags.oidc);
  add_github_options(app, flags.github);
}

Result<std::vector<services::IdentityProvider>> identity_providers(const SignInFlags& all) {
  const OidcFlags& flags = all.oidc;
  std::vector<services::IdentityProvider> out;
  if (!flags.issuer.empty()) {
    auto provider = provider_of_flags(flags);
    if (!provider) return fail(provider.error());
    out.push_back(std::move(*provider));
  } else if (!flags.client_id.empty() || !flags.client_secret.empty() ||
             !flags.client_secret_file.empty()) {
    return fail(Error::invalid_argument("--oidc-client-id and its secret need --oidc-issuer"));
  }
  if (!flags.providers_file.empty()) {
    auto more = providers_of_file(flags.providers_file);
    if (!more) return fail(more.error());
    std::ranges::move(*more, std::back_inserter(out));
  }
  const GitHubFlags& github = all.github;
  if (!github.client_id.empty()) {
    auto provider = github_provider(github);
    if (!provider) return fail(provider.error());
    out.push_back(std::move(*provider));
  } else if (!github.client_secret.empty() || !github.client_secret_file.empty()) {
    return fail(Error::invalid_argument("--github-client-secret needs --github-client-id"));
  }
  std::set<std::string> ids;
  for (const auto& p : out)
    if (!ids.insert(p.id).second)
      return fail(Error::invalid_argument("two sign-in providers have the id '" + p.id + "'"));
  return out;
}

}  // namespace orsa::deployer
