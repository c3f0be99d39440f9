#include <gtest/gtest.h>

#include <fstream>

#include "core/temp_dir.hpp"
#include "deployer/config.hpp"

namespace orsa::deployer {
namespace {

Result<Config> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "orsa-deployer");
  return parse_config(static_cast<int>(args.size()), args.data());
}

std::string error_of(std::vector<const char*> args) {
  auto config = parse(std::move(args));
  return config ? std::string("accepted") : config.error().message;
}

void write(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path) << text;
}

TEST(OidcConfig, NoFlagsNoProviders) {
  auto config = parse({});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->identity_providers.empty());
}

TEST(OidcConfig, OneProviderFromFlagsWithItsSecretFileAndRoles) {
  TempDir dir("orsa-oidc-config");
  const auto secret = (dir.path() / "secret").string();
  write(secret, "s3cr3t\n");
  auto config = parse({"--oidc-issuer", "https://sso.example.net/realms/orsa", "--oidc-id",
                       "keycloak", "--oidc-name", "Company SSO", "--oidc-client-id", "orsa",
                       "--oidc-client-secret-file", secret.c_str(), "--oidc-role-claim", "groups",
                       "--oidc-role-map", "orsa-admins=admin", "--oidc-role-map",
                       "modelers=developer", "--oidc-default-role", "developer", "--oidc-trusted"});
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->identity_providers.size(), 1u);
  const auto& p = config->identity_providers[0];
  EXPECT_EQ(p.id, "keycloak");
  EXPECT_EQ(p.name, "Company SSO");
  EXPECT_EQ(p.issuer, "https://sso.example.net/realms/orsa");
  EXPECT_EQ(p.client_secret, "s3cr3t") << "the file's newline is not part of the secret";
  EXPECT_EQ(p.role_claim, "groups");
  EXPECT_EQ(p.role_map.at("orsa-admins"), Role::kAdmin);
  EXPECT_EQ(p.role_map.at("modelers"), Role::kDeveloper);
  EXPECT_EQ(p.default_role, Role::kDeveloper);
  EXPECT_TRUE(p.trusted);
}

TEST(OidcConfig, BadFlagsAreRefusedNamingWhatIsWrong) {
  const char* issuer = "https://sso.example.net";
  EXPECT_NE(error_of({"--oidc-issuer", "http://sso.example.net", "--oidc-client-id", "c",
                      "--oidc-client-secret", "s"})
                .find("https://"),
            std::string::npos)
      << "plain http off loopback";
  EXPECT_EQ(error_of({"--oidc-issuer", "http://127.0.0.1:9000", "--oidc-client-id", "c",
                      "--oidc-client-secret", "s"}),
            "accepted")
      << "a provider on this machine";
  EXPECT_NE(error_of({"--oidc-issuer", "http://127.0.0.1.evil.net", "--oidc-client-id", "c",
                      "--oidc-client-secret", "s"})
                .find("issuer"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-issuer", issuer, "--oidc-client-secret", "s"}).find("client id"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-issuer", issuer, "--oidc-client-id", "c"}).find("secret"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-issuer", issuer, "--oidc-client-id", "c", "--oidc-client-secret", "s",
                      "--oidc-client-secret-file", "/dev/null"})
                .find("give one"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-issuer", issuer, "--oidc-client-id", "c", "--oidc-client-secret-file",
                      "/nonexistent/secret"})
                .find("cannot read"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-issuer", issuer, "--oidc-client-id", "c", "--oidc-client-secret", "s",
                      "--oidc-role-map", "x=owner"})
                .find("role"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-issuer", issuer, "--oidc-client-id", "c", "--oidc-client-secret", "s",
                      "--oidc-id", "Bad/Id"})
                .find("id must be"),
            std::string::npos);
  EXPECT_NE(error_of({"--oidc-client-id", "c"}).find("--oidc-issuer"), std::string::npos);
}

TEST(OidcConfig, SeveralProvidersFromAFile) {
  TempDir dir("orsa-oidc-config");
  write(dir.path() / "kc-secret", "from-file");
  write(dir.path() / "providers.toml", R"([[provider]]
id = "keycloak"
name = "Company SSO"
issuer = "https://sso.example.net/realms/orsa"
client_id = "orsa"
client_secret_file = ")" + (dir.path() / "kc-secret").string() +
                                           R"("
role_claim = "groups"
role_map = { "orsa-admins" = "admin" }

[[provider]]
id = "google"
issuer = "https://accounts.google.com"
client_id = "123.apps.googleusercontent.com"
client_secret = "g"
default_role = "developer"
trusted = true
)");
  const auto file = (dir.path() / "providers.toml").string();
  auto config = parse({"--oidc-providers", file.c_str()});
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->identity_providers.size(), 2u);
  EXPECT_EQ(config->identity_providers[0].client_secret, "from-file");
  EXPECT_EQ(config->identity_providers[0].role_map.at("orsa-admins"), Role::kAdmin);
  EXPECT_EQ(config->identity_providers[1].name, "google") << "the id when no name is given";
  EXPECT_EQ(config->identity_providers[1].default_role, Role::kDeveloper);
  EXPECT_TRUE(config->identity_providers[1].trusted);
  EXPECT_FALSE(config->identity_providers[0].trusted);

  // With the flags' provider too, ids must differ.
  EXPECT_NE(
      error_of({"--oidc-providers", file.c_str(), "--oidc-id", "google", "--oidc-issuer",
                "https://x.example.net", "--oidc-client-id", "c", "--oidc-client-secret", "s"})
          .find("two sign-in providers"),
      std::string::npos);
}

TEST(OidcConfig, ABadProvidersFileIsRefusedWithItsPlace) {
  TempDir dir("orsa-oidc-config");
  const auto file = (dir.path() / "providers.toml").string();
  const auto error_for = [&](std::string_view text) {
    write(file, text);
    return error_of({"--oidc-providers", file.c_str()});
  };
  EXPECT_NE(error_for("[[provider]]\nid = \"a\"\n").find("issuer is required"), std::string::npos);
  EXPECT_NE(error_for("[[provider]]\nid = \"a\"\nissuer = \"https://a\"\nclient_id = \"c\"\n"
                      "client_secret = \"s\"\ncolour = \"red\"\n")
                .find("unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(error_for("[[provider]]\nid = \"a\"\nissuer = \"https://a\"\nclient_id = \"c\"\n"
                      "client_secret = \"s\"\ntrusted = \"yes\"\n")
                .find("trusted"),
            std::string::npos);
  EXPECT_NE(error_for("[[provider]]\nid = \"a\"\nissuer = \"https://a\"\nclient_id = \"c\"\n"
                      "client_secret = \"s\"\n[[provider]]\nid = \"a\"\nissuer = \"https://b\"\n"
                      "client_id = \"c\"\nclient_secret = \"s\"\n")
                .find("two sign-in providers"),
            std::string::npos);
  EXPECT_NE(error_for("not toml [").find(file), std::string::npos);
  EXPECT_NE(error_for("x = 1\n").find("no [[provider]]"), std::string::npos);
}

TEST(GitHubConfig, ClientIdTurnsItOnWithEnterpriseEndpointsAndOrgs) {
  auto config =
      parse({"--github-client-id", "Iv1.abc", "--github-client-secret", "s", "--github-url",
             "https://ghe.example.net/", "--github-api-url", "https://ghe.example.net/api/v3",
             "--github-orgs", "acme,Research", "--github-default-role", "developer"});
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->identity_providers.size(), 1u);
  const auto& p = config->identity_providers[0];
  EXPECT_EQ(p.kind, services::ProviderKind::kGitHub);
  EXPECT_EQ(p.id, "github");
  EXPECT_EQ(p.name, "GitHub");
  EXPECT_EQ(p.issuer, "https://ghe.example.net") << "no trailing slash";
  EXPECT_EQ(p.api_url, "https://ghe.example.net/api/v3");
  EXPECT_EQ(p.allowed_orgs, (std::vector<std::string>{"acme", "Research"}));
  EXPECT_EQ(p.default_role, Role::kDeveloper);

  auto defaults = parse({"--github-client-id", "Iv1.abc", "--github-client-secret", "s"});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->identity_providers[0].issuer, "https://github.com");
  EXPECT_EQ(defaults->identity_providers[0].api_url, "https://api.github.com");
  EXPECT_TRUE(defaults->identity_providers[0].allowed_orgs.empty());
}

TEST(GitHubConfig, BadFlagsAreRefused) {
  EXPECT_NE(error_of({"--github-client-id", "c"}).find("secret"), std::string::npos);
  EXPECT_NE(error_of({"--github-client-secret", "s"}).find("--github-client-id"),
            std::string::npos);
  EXPECT_NE(error_of({"--github-client-id", "c", "--github-client-secret", "s", "--github-api-url",
                      "http://api.example.net"})
                .find("--github-api-url"),
            std::string::npos);
  EXPECT_NE(error_of({"--github-client-id", "c", "--github-client-secret", "s",
                      "--github-default-role", "root"})
                .find("role"),
            std::string::npos);
  EXPECT_NE(error_of({"--github-client-id", "c", "--github-client-secret", "s", "--oidc-id",
                      "github", "--oidc-issuer", "https://x.example.net", "--oidc-client-id", "c",
                      "--oidc-client-secret", "s"})
                .find("two"),
            std::string::npos);
}

}  // namespace
}  // namespace orsa::deployer
