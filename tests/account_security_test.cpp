// Accounts under attack, through a real orsa-deployer: revocation on logout
// and password change, token scopes and minting, per-account backoff across
// login forms, trusted proxies, and registration that does not enumerate.

#include <gtest/gtest.h>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"

namespace orsa::testing {
namespace {

constexpr const char* kPassword = "password-1234";

class AccountSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    deployer_ = DeployerProcess::start();
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
  }

  int me_status(const std::string& token) const {
    return api_->call("GET", "/api/v1/me", std::nullopt, token).status;
  }

  ApiResponse mint(const std::string& token, const Json& body) const {
    return api_->call("POST", "/api/v1/tokens", body, token);
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_;
};

// A stolen copy of a session (token or cookie) dies with the logout.
TEST_F(AccountSecurity, LogoutRevokesTheSessionServerSide) {
  api_->register_user("ada", kPassword);
  const std::string stolen = api_->login("ada", kPassword);
  const std::string other = api_->login("ada", kPassword);
  ASSERT_EQ(me_status(stolen), 200);
  auto out = api_->call("POST", "/api/v1/auth/logout", std::nullopt, "",
                        {{"Cookie", "orsa_session=" + stolen}});
  EXPECT_EQ(out.status, 204);
  EXPECT_EQ(me_status(stolen), 401);
  // Only that session: the user's others live on.
  EXPECT_EQ(me_status(other), 200);
  EXPECT_EQ(api_->call("POST", "/api/v1/auth/logout", std::nullopt, other).status, 204);
  EXPECT_EQ(me_status(other), 401);
}

TEST_F(AccountSecurity, PasswordChangeRevokesEveryOtherSession) {
  api_->register_user("bea", kPassword);
  const std::string here = api_->login("bea", kPassword);
  const std::string elsewhere = api_->login("bea", kPassword);
  const std::string token = mint(here, Json{{"name", "ci"}}).json["secret"];
  // A token cannot change its owner's password; nor can a wrong current one.
  EXPECT_EQ(api_->call("POST", "/api/v1/me/password",
                       Json{{"current_password", kPassword}, {"new_password", "new-password-5678"}},
                       token)
                .status,
            403);
  EXPECT_EQ(
      api_->call("POST", "/api/v1/me/password",
                 Json{{"current_password", "not-it-at-all"}, {"new_password", "x-5678-long"}}, here)
          .status,
      403);
  EXPECT_EQ(api_->call("POST", "/api/v1/me/password",
                       Json{{"current_password", kPassword}, {"new_password", "short"}}, here)
                .status,
            400);
  auto changed = api_->call(
      "POST", "/api/v1/me/password",
      Json{{"current_password", kPassword}, {"new_password", "new-password-5678"}}, here);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_FALSE(changed.set_cookies.empty());
  const std::string fresh = changed.json["token"];
  EXPECT_EQ(me_status(elsewhere), 401);
  EXPECT_EQ(me_status(here), 401);
  EXPECT_EQ(me_status(fresh), 200);
  EXPECT_EQ(me_status(token), 200);  // API tokens are revoked one by one, not by this
  EXPECT_EQ(
      api_->call("POST", "/api/v1/auth/login", Json{{"username", "bea"}, {"password", kPassword}})
          .status,
      401);
  EXPECT_EQ(api_->login("bea", "new-password-5678").empty(), false);
}

TEST_F(AccountSecurity, TokenScopesAreEnforcedAndCannotBeWidened) {
  const std::string dev = api_->register_user("cy", kPassword);
  auto read = mint(dev, Json{{"name", "read"}, {"scopes", {"read"}}});
  ASSERT_EQ(read.status, 201) << read.body;
  EXPECT_EQ(read.json["scopes"], Json::array({"read"}));
  const std::string reader = read.json["secret"];
  EXPECT_EQ(me_status(reader), 200);
  EXPECT_EQ(api_->call("GET", "/api/v1/projects", std::nullopt, reader).status, 200);
  EXPECT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "p1"}}, reader).status, 403);
  // A read token mints nothing (minting writes).
  EXPECT_EQ(mint(reader, Json{{"name", "more"}, {"scopes", {"read"}}}).status, 403);

  const std::string writer =
      mint(dev, Json{{"name", "rw"}, {"scopes", {"read", "write"}}, {"expires_in_days", 1}})
          .json["secret"];
  EXPECT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "p1"}}, writer).status, 201);
  // Beyond its own scopes: refused; within them: allowed, and never longer-lived.
  EXPECT_EQ(mint(writer, Json{{"name", "wider"}, {"scopes", {"read", "deploy"}}}).status, 403);
  EXPECT_EQ(mint(writer, Json{{"name", "all"}}).json["scopes"], Json::array({"read", "write"}));
  auto child = mint(writer, Json{{"name", "child"}, {"scopes", {"read"}}});
  ASSERT_EQ(child.status, 201) << child.body;
  EXPECT_FALSE(child.json["expires_at"].is_null());
  EXPECT_EQ(mint(dev, Json{{"name", "bad"}, {"scopes", {"root"}}}).status, 400);
  EXPECT_EQ(mint(dev, Json{{"name", "none"}, {"scopes", Json::array()}}).status, 400);

  // An admin's token without the admin scope is a plain user's.
  const std::string admin_rw =
      mint(admin_, Json{{"name", "rw"}, {"scopes", {"read", "write"}}}).json["secret"];
  EXPECT_EQ(api_->call("GET", "/api/v1/users", std::nullopt, admin_rw).status, 403);
  EXPECT_EQ(api_->call("GET", "/api/v1/projects/cy/p1", std::nullopt, admin_rw).status, 404);
  EXPECT_EQ(api_->call("GET", "/api/v1/projects/cy/p1", std::nullopt, admin_).status, 200);
  const std::string admin_all = mint(admin_, Json{{"name", "all"}}).json["secret"];
  EXPECT_EQ(api_->call("GET", "/api/v1/users", std::nullopt, admin_all).status, 200);
}

// One account, however it is named: five wrong guesses spread over the
// username, the email and their case still slow that account down.
TEST_F(AccountSecurity, FailuresCountPerAccountWhateverTheLoginForm) {
  api_->register_user("dora", kPassword);
  const char* forms[] = {"dora", "DORA", "dora@example.org", "Dora@Example.ORG", "dOrA"};
  for (const char* form : forms) {
    auto res = api_->call("POST", "/api/v1/auth/login",
                          Json{{"login", form}, {"password", "wrong-password"}});
    EXPECT_EQ(res.status, 401) << form;
  }
  auto limited = api_->call("POST", "/api/v1/auth/login",
                            Json{{"email", "dora@example.org"}, {"password", kPassword}});
  EXPECT_EQ(limited.status, 429);
  const int wait = std::stoi(limited.headers["Retry-After"]);
  // A delay, not a lockout: seconds, not the old fifteen minutes.
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 10);
}

// Behind a trusted proxy, each forwarded client has its own address budget;
// without the flag, a forged X-Forwarded-For buys nothing.
TEST(TrustedProxies, ForwardedForCountsOnlyFromTrustedProxies) {
  for (const bool trusted : {false, true}) {
    SCOPED_TRACE(trusted ? "trusted" : "untrusted");
    DeployerOptions options;
    if (trusted) options.args = {"--trusted-proxies", "127.0.0.0/8"};
    auto deployer = DeployerProcess::start(options);
    ApiClient api(deployer->url());
    int limited = 0;
    for (int i = 0; i < 25; ++i) {
      auto res =
          api.call("POST", "/api/v1/auth/login",
                   Json{{"username", "ghost" + std::to_string(i)}, {"password", "guess-guess"}}, "",
                   {{"X-Forwarded-For", "203.0.113." + std::to_string(i + 1)}});
      if (res.status == 429) ++limited;
    }
    // 20 failures per address: forged addresses all count as 127.0.0.1.
    EXPECT_EQ(limited, trusted ? 0 : 5);
  }
}

// Taken usernames and taken emails get the same answer.
TEST_F(AccountSecurity, RegistrationDoesNotSayWhichFieldIsTaken) {
  api_->register_user("eli", kPassword);
  auto name = api_->call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "eli"}, {"email", "fresh@example.org"}, {"password", kPassword}});
  auto email = api_->call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "fresh"}, {"email", "eli@example.org"}, {"password", kPassword}});
  EXPECT_EQ(name.status, 409);
  EXPECT_EQ(email.status, 409);
  EXPECT_EQ(name.body, email.body);
  EXPECT_EQ(name.body.find("eli"), std::string::npos);
}

}  // namespace
}  // namespace orsa::testing
