// CredentialResolver against an in-memory directory: the port is all it
// knows of users and tokens.

#include "auth/credentials.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "auth/api_tokens.hpp"

namespace orsa::auth {
namespace {

constexpr std::int64_t kStart = 1'700'000'000;

class FakeDirectory final : public CredentialDirectory {
 public:
  Result<DirectoryUser> find_user_by_id(std::string_view id) override {
    for (const auto& [login, user] : users)
      if (user.id == id) return user;
    return fail(Error::not_found("no user"));
  }
  Result<DirectoryUser> find_user_by_login(std::string_view login) override {
    const auto it = users.find(std::string(login));
    if (it == users.end()) return fail(Error::not_found("no user"));
    return it->second;
  }
  Result<DirectoryToken> find_token_by_hash(std::string_view hash) override {
    const auto it = tokens.find(std::string(hash));
    if (it == tokens.end()) return fail(Error::not_found("no token"));
    return it->second;
  }
  void touch_token(std::string_view id, std::int64_t) override { touched.insert(std::string(id)); }
  Result<bool> is_session_revoked(std::string_view sid) override {
    return revoked.contains(std::string(sid));
  }

  std::map<std::string, DirectoryUser> users;    // by login
  std::map<std::string, DirectoryToken> tokens;  // by hash
  std::set<std::string> revoked;
  std::set<std::string> touched;
};

class CredentialResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_.users["ada"] = {.id = "usr_ada", .username = "ada", .role = Role::kDeveloper};
    token_ = generate_api_token();
    directory_.tokens[token_.hash] = {.id = "tok_1", .user_id = "usr_ada", .scopes = "read"};
  }

  Result<std::string> check_password(std::string_view login, std::string_view password) {
    ++password_checks_;
    if (login == "ada" && password == "correct horse") return std::string("usr_ada");
    return fail(Error::unauthenticated("invalid username, email or password"));
  }

  ManualClock clock_{kStart};
  FakeDirectory directory_;
  SessionSigner signer_{std::string(32, 's'), std::chrono::hours(1), clock_};
  PushTokenSigner push_{std::string(32, 'p'), clock_};
  int password_checks_ = 0;
  CredentialResolver resolver_{
      directory_, signer_, push_, clock_,
      [this](std::string_view login, std::string_view password, std::string_view) {
        return check_password(login, password);
      }};
  ApiTokenSecret token_;
};

TEST_F(CredentialResolverTest, AnApiTokenNamesItsOwnerWithItsScopes) {
  auto who = resolver_.authenticate_bearer(token_.secret);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->user_id, "usr_ada");
  EXPECT_TRUE(who->via_api_token);
  EXPECT_TRUE(who->has(Scope::kRead));
  EXPECT_FALSE(who->has(Scope::kWrite));
  EXPECT_TRUE(directory_.touched.contains("tok_1"));
}

TEST_F(CredentialResolverTest, ExpiredTokensAndDisabledUsersAreRefused) {
  directory_.tokens[token_.hash].expires_at = kStart - 1;
  EXPECT_EQ(resolver_.authenticate_bearer(token_.secret).error().code, ErrorCode::kUnauthenticated);
  directory_.tokens[token_.hash].expires_at.reset();
  directory_.users["ada"].disabled = true;
  EXPECT_EQ(resolver_.authenticate_bearer(token_.secret).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(CredentialResolverTest, ASessionEndsWithLogoutOrANewEpoch) {
  const auto session = signer_.issue("usr_ada", 0);
  auto who = resolver_.authenticate_session(session.token);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->first.username, "ada");
  EXPECT_EQ(who->second, session.claims.csrf);
  directory_.users["ada"].session_epoch = 1;
  EXPECT_FALSE(resolver_.authenticate_session(session.token));
  directory_.users["ada"].session_epoch = 0;
  directory_.revoked.insert(session.claims.session_id);
  EXPECT_FALSE(resolver_.authenticate_bearer(session.token));
}

TEST_F(CredentialResolverTest, BasicPasswordsAreCheckedOnceThenCached) {
  ASSERT_TRUE(resolver_.authenticate_basic("Ada", "correct horse", "10.0.0.1"));
  ASSERT_TRUE(resolver_.authenticate_basic("ada", "correct horse", "10.0.0.1"));
  EXPECT_EQ(password_checks_, 1);
  EXPECT_FALSE(resolver_.authenticate_basic("ada", "wrong", "10.0.0.1"));
}

TEST_F(CredentialResolverTest, BasicWithATokenMustNameItsOwner) {
  EXPECT_TRUE(resolver_.authenticate_basic("ada", token_.secret, "10.0.0.1"));
  directory_.users["eve"] = {.id = "usr_eve", .username = "eve"};
  EXPECT_FALSE(resolver_.authenticate_basic("eve", token_.secret, "10.0.0.1"));
}

TEST_F(CredentialResolverTest, APushTokenIsScopedToItsRepository) {
  const auto token = push_.issue("usr_ada", "ada/knapsack");
  auto who = resolver_.authenticate_registry_bearer(token);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->repository_scope, "ada/knapsack");
  EXPECT_FALSE(who->repository_pull_only);
  auto pull = resolver_.authenticate_basic("ada", push_.issue_pull("usr_ada", "ada/knapsack"), "");
  ASSERT_TRUE(pull) << pull.error().message;
  EXPECT_TRUE(pull->repository_pull_only);
  EXPECT_FALSE(resolver_.authenticate_basic("eve", token, ""));
}

}  // namespace
}  // namespace orsa::auth
