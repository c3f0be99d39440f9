// services::FederatedLogin against the in-memory store and a fake provider
// that signs its ID tokens with an RSA key made here.

#include "services/federated_login.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "core/random.hpp"
#include "store/memory_store.hpp"

namespace orsa::services {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kIssuer = "https://idp.example";

std::string bn_param(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(k, name, &bn);
  std::string out(std::size_t(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

/// A provider: discovery, JWKS, and a token endpoint handing out `next_claims`.
class FakeProvider final : public ProviderHttp {
 public:
  FakeProvider() : key_(EVP_RSA_gen(2048), EVP_PKEY_free) {}

  Result<std::string> get(const std::string& url) override {
    if (url == std::string(kIssuer) + "/.well-known/openid-configuration")
      return Json{{"issuer", kIssuer},
                  {"authorization_endpoint", std::string(kIssuer) + "/auth"},
                  {"token_endpoint", std::string(kIssuer) + "/token"},
                  {"jwks_uri", std::string(kIssuer) + "/jwks"}}
          .dump();
    if (url == std::string(kIssuer) + "/jwks")
      return Json{{"keys",
                   {{{"kty", "RSA"},
                     {"kid", "k1"},
                     {"n", base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
                     {"e", base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E))}}}}}
          .dump();
    return fail(Error::not_found(url));
  }

  Result<std::string> get_authorized(const std::string& url, const std::string&) override {
    return fail(Error::not_found(url));
  }

  Result<std::string> post_form(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& fields) override {
    if (url != std::string(kIssuer) + "/token") return fail(Error::not_found(url));
    for (const auto& [k, v] : fields) form[k] = v;
    if (form["code"] != "good-code") return fail(Error::unauthenticated("invalid_grant"));
    Json claims = next_claims;
    if (claims.contains("nonce") && claims["nonce"] == "<issued>") claims["nonce"] = issued_nonce;
    return Json{{"id_token", sign(claims)}, {"token_type", "Bearer"}}.dump();
  }

  std::string sign(const Json& claims) const {
    const std::string input =
        base64url_encode(R"({"alg":"RS256","kid":"k1"})") + "." + base64url_encode(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get());
    std::size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return input + "." + base64url_encode(sig);
  }

  Json next_claims;
  std::string issued_nonce;
  std::map<std::string, std::string> form;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

std::string query_param(const std::string& url, const std::string& key) {
  const auto at = url.find("&" + key + "=");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 2;
  return url.substr(start, url.find('&', start) - start);
}

class FederatedLoginTest : public ::testing::Test {
 protected:
  FederatedLogin make(Registration registration, bool trusted = false) {
    IdentityProvider p{.id = "idp",
                       .name = "Company SSO",
                       .issuer = std::string(kIssuer),
                       .client_id = "orsa",
                       .client_secret = "s3cret",
                       .role_claim = "groups",
                       .role_map = {{"orsa-admins", Role::kAdmin}, {"devs", Role::kDeveloper}},
                       .default_role = Role::kViewer,
                       .trusted = trusted};
    return FederatedLogin({p}, {store_.users(), store_.identities()}, provider_, signer_, audit_,
                          clock_, registration, "https://orsa.example");
  }

  /// Starts a login and returns its state, arming the provider with `claims`.
  std::string start(FederatedLogin& login, Json claims,
                    std::optional<auth::Principal> linking = std::nullopt) {
    auto started = login.start("idp", linking, "/projects", Caller{"203.0.113.7"});
    EXPECT_TRUE(started) << started.error().message;
    const std::string url = started.value_or(LoginStart{}).authorization_url;
    provider_.issued_nonce = query_param(url, "nonce");
    provider_.next_claims = std::move(claims);
    challenge_ = query_param(url, "code_challenge");
    return query_param(url, "state");
  }

  Json claims(const std::string& sub, const std::string& username) {
    return {{"iss", kIssuer},
            {"aud", "orsa"},
            {"sub", sub},
            {"exp", clock_.now_unix() + 300},
            {"iat", clock_.now_unix()},
            {"nonce", "<issued>"},
            {"preferred_username", username},
            {"email", username + "@example.org"},
            {"email_verified", true}};
  }

  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  auth::SessionSigner signer_{std::string(32, 's'), std::chrono::hours(1), clock_};
  Audit audit_{store_.audit(), clock_};
  FakeProvider provider_;
  std::string challenge_;
};

TEST_F(FederatedLoginTest, FirstLoginCreatesTheUserAndTheNextFindsIt) {
  auto login = make(Registration::kOpen);
  const std::string state = start(login, claims("sub-1", "Alice.Smith"));
  auto done = login.callback("idp", state, "good-code", {"127.0.0.1"});
  ASSERT_TRUE(done) << done.error().message;
  ASSERT_TRUE(done->login);
  EXPECT_EQ(done->login->user.username, "alice-smith");
  EXPECT_EQ(done->login->user.role, Role::kViewer);
  EXPECT_EQ(done->next_path, "/projects");
  EXPECT_FALSE(done->login->session.token.empty());
  // PKCE: the verifier sent at the exchange matches the challenge sent out.
  EXPECT_EQ(auth::oidc::pkce_challenge(provider_.form["code_verifier"]), challenge_);
  EXPECT_EQ(provider_.form["client_secret"], "s3cret");

  const std::string again = start(login, claims("sub-1", "renamed"));
  auto second = login.callback("idp", again, "good-code", {"127.0.0.1"});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->login->user.id, done->login->user.id);
}

TEST_F(FederatedLoginTest, ReplayedStateIsRefused) {
  auto login = make(Registration::kOpen);
  const std::string state = start(login, claims("sub-1", "alice"));
  ASSERT_TRUE(login.callback("idp", state, "good-code", {"127.0.0.1"}));
  auto replay = login.callback("idp", state, "good-code", {"127.0.0.1"});
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(login.callback("idp", "forged", "good-code", {"127.0.0.1"}));
}

TEST_F(FederatedLoginTest, TokensThatFailVerificationCreateNobody) {
  auto login = make(Registration::kOpen);
  Json wrong_aud = claims("sub-1", "alice");
  wrong_aud["aud"] = "other";
  Json no_nonce = claims("sub-2", "bob");
  no_nonce.erase("nonce");
  Json expired = claims("sub-3", "carol");
  expired["exp"] = clock_.now_unix() - 3600;
  for (const Json& c : {wrong_aud, no_nonce, expired}) {
    const std::string state = start(login, c);
    EXPECT_FALSE(login.callback("idp", state, "good-code", {"127.0.0.1"})) << c.dump();
  }
  EXPECT_EQ(store_.users().count().value(), 0);
  EXPECT_TRUE(store_.identities().list(OwnerScope::everyone())->empty());
}

TEST_F(FederatedLoginTest, RolesFollowTheClaimMapping) {
  auto login = make(Registration::kOpen);
  Json c = claims("sub-1", "root");
  c["groups"] = Json::array({"devs", "orsa-admins"});
  auto done = login.callback("idp", start(login, c), "good-code", {"127.0.0.1"});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->login->user.role, Role::kAdmin);
}

TEST_F(FederatedLoginTest, ClosedRegistrationRefusesUnlessTrusted) {
  auto closed = make(Registration::kClosed);
  auto refused =
      closed.callback("idp", start(closed, claims("sub-1", "alice")), "good-code", {"1.1.1.1"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  auto trusted = make(Registration::kClosed, /*trusted=*/true);
  EXPECT_TRUE(
      trusted.callback("idp", start(trusted, claims("sub-1", "alice")), "good-code", {"1.1.1.1"}));
}

TEST_F(FederatedLoginTest, SameEmailNeverJoinsAnExistingAccount) {
  auto local = store_.users().create({"alice", "alice@example.org", "hash", Role::kDeveloper});
  ASSERT_TRUE(local);
  auto login = make(Registration::kOpen);
  auto done =
      login.callback("idp", start(login, claims("sub-1", "alice")), "good-code", {"1.1.1.1"});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kConflict);

  // Linking is for the signed-in user who asked for it.
  auth::Principal alice{.user_id = local->id, .username = "alice", .role = Role::kDeveloper};
  auto linked = login.callback("idp", start(login, claims("sub-1", "alice"), alice), "good-code",
                               {"1.1.1.1"});
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_FALSE(linked->login);
  auto signed_in =
      login.callback("idp", start(login, claims("sub-1", "alice")), "good-code", {"1.1.1.1"});
  ASSERT_TRUE(signed_in) << signed_in.error().message;
  EXPECT_EQ(signed_in->login->user.id, local->id);
}

TEST_F(FederatedLoginTest, UnlinkKeepsAWayToSignIn) {
  auto login = make(Registration::kOpen);
  auto done =
      login.callback("idp", start(login, claims("sub-1", "alice")), "good-code", {"1.1.1.1"});
  ASSERT_TRUE(done) << done.error().message;
  const auth::Principal alice{.user_id = done->login->user.id, .username = "alice"};
  const auto mine = login.identities(alice).value();
  ASSERT_EQ(mine.size(), 1u);
  // No password and no other identity: unlinking would lock the user out.
  auto refused = login.unlink(alice, mine[0].id, {"1.1.1.1"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);

  auto other = store_.users().create({"bob", "bob@example.org", "hash", Role::kDeveloper});
  const auth::Principal bob{.user_id = other->id, .username = "bob"};
  EXPECT_EQ(login.unlink(bob, mine[0].id, {"1.1.1.1"}).error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(store_.identities().create({alice.user_id, "github", "42", ""}));
  EXPECT_TRUE(login.unlink(alice, mine[0].id, {"1.1.1.1"}));
  EXPECT_EQ(login.identities(alice)->size(), 1u);
}

TEST_F(FederatedLoginTest, StartsPerAddressAreLimitedAndOtherAddressesGoOn) {
  auto login = make(Registration::kOpen);
  const Caller flood{"198.51.100.9"};
  for (int i = 0; i < FederatedLogin::kStartsPerWindow; ++i)
    ASSERT_TRUE(login.start("idp", std::nullopt, "/", flood)) << "start " << i;
  auto refused = login.start("idp", std::nullopt, "/", flood);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_NE(refused.error().message.find("too many sign-ins"), std::string::npos);
  EXPECT_TRUE(login.start("idp", std::nullopt, "/", Caller{"198.51.100.10"}));
  clock_.advance(FederatedLogin::kStartWindow.count() + 1);
  EXPECT_TRUE(login.start("idp", std::nullopt, "/", flood)) << "after the window";
}

TEST_F(FederatedLoginTest, LinkingAndUnlinkingNeedASession) {
  auto login = make(Registration::kOpen);
  auto user = store_.users().create({"carol", "carol@example.org", "hash", Role::kDeveloper});
  ASSERT_TRUE(user);
  auth::Principal token{.user_id = user->id, .username = "carol"};
  token.via_api_token = true;
  auto refused = login.start("idp", token, "/account", Caller{"192.0.2.1"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(login.identities(token)) << "listing is a read";
  const auto key = auth::Principal::consumer("ck_1", "prj_1", "acme");
  EXPECT_EQ(login.identities(key).error().code, ErrorCode::kNotFound);
}

/// GitHub's OAuth and REST endpoints, answering as its documentation shows.
class FakeGitHub final : public ProviderHttp {
 public:
  static constexpr std::string_view kWeb = "https://github.example";
  static constexpr std::string_view kApi = "https://api.github.example";

  Result<std::string> get(const std::string& url) override { return fail(Error::not_found(url)); }

  Result<std::string> get_authorized(const std::string& url, const std::string& token) override {
    if (token != "gho_token") return fail(Error::unauthenticated("HTTP 401"));
    if (url == std::string(kApi) + "/user")
      return Json{
          {"login", "Octo.Cat"}, {"id", 583231}, {"name", "The Octocat"}, {"email", nullptr}}
          .dump();
    if (url == std::string(kApi) + "/user/emails")
      return Json::array({{{"email", "old@example.org"}, {"primary", false}, {"verified", true}},
                          {{"email", "octo@example.org"}, {"primary", true}, {"verified", true}}})
          .dump();
    if (url == std::string(kApi) + "/user/orgs") return orgs.dump();
    return fail(Error::not_found(url));
  }

  Result<std::string> post_form(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& fields) override {
    if (url != std::string(kWeb) + "/login/oauth/access_token") return fail(Error::not_found(url));
    for (const auto& [k, v] : fields) form[k] = v;
    // A refused code is a 200 with an error field, not an HTTP error.
    if (form["code"] != "good-code")
      return Json{{"error", "bad_verification_code"},
                  {"error_description", "The code passed is incorrect or expired."}}
          .dump();
    return Json{
        {"access_token", "gho_token"}, {"token_type", "bearer"}, {"scope", "read:user,user:email"}}
        .dump();
  }

  Json orgs = Json::array();
  std::map<std::string, std::string> form;
};

class GitHubLoginTest : public ::testing::Test {
 protected:
  FederatedLogin make(std::vector<std::string> allowed_orgs = {}) {
    IdentityProvider p{.id = "github",
                       .name = "GitHub",
                       .issuer = std::string(FakeGitHub::kWeb),
                       .client_id = "Iv1.abc",
                       .client_secret = "gh-secret",
                       .default_role = Role::kDeveloper,
                       .kind = ProviderKind::kGitHub,
                       .api_url = std::string(FakeGitHub::kApi),
                       .allowed_orgs = std::move(allowed_orgs)};
    return FederatedLogin({p}, {store_.users(), store_.identities()}, github_, signer_, audit_,
                          clock_, Registration::kOpen, "https://orsa.example");
  }

  std::string start(FederatedLogin& login) {
    auto started = login.start("github", std::nullopt, "/", Caller{"192.0.2.8"});
    EXPECT_TRUE(started) << started.error().message;
    url_ = started.value_or(LoginStart{}).authorization_url;
    return started.value_or(LoginStart{}).state;
  }

  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  auth::SessionSigner signer_{std::string(32, 's'), std::chrono::hours(1), clock_};
  Audit audit_{store_.audit(), clock_};
  FakeGitHub github_;
  std::string url_;
};

TEST_F(GitHubLoginTest, TheCodeBecomesTheUserGitHubsApiNames) {
  auto login = make();
  const std::string state = start(login);
  EXPECT_TRUE(url_.starts_with("https://github.example/login/oauth/authorize?client_id=Iv1.abc&"))
      << url_;
  EXPECT_NE(
      url_.find(
          "redirect_uri=https%3A%2F%2Forsa.example%2Fapi%2Fv1%2Fauth%2Foidc%2Fgithub%2Fcallback"),
      std::string::npos)
      << url_;
  EXPECT_NE(url_.find("scope=read%3Auser%20user%3Aemail&"), std::string::npos) << url_;
  EXPECT_NE(url_.find("&state=" + state), std::string::npos);
  auto done = login.callback("github", state, "good-code", {"192.0.2.8"});
  ASSERT_TRUE(done) << done.error().message;
  ASSERT_TRUE(done->login);
  EXPECT_EQ(done->login->user.username, "octo-cat");
  EXPECT_EQ(done->login->user.email, "octo@example.org") << "the primary verified address";
  EXPECT_EQ(done->login->user.role, Role::kDeveloper);
  EXPECT_EQ(github_.form["client_secret"], "gh-secret");
  EXPECT_EQ(auth::oidc::pkce_challenge(github_.form["code_verifier"]),
            url_.substr(url_.find("code_challenge=") + 15, 43));
  const auto ids = store_.identities().list(OwnerScope::of(done->login->user.id)).value();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].subject, "583231") << "the numeric id: a login can be renamed";
}

TEST_F(GitHubLoginTest, ARefusedCodeCreatesNobody) {
  auto login = make();
  auto refused = login.callback("github", start(login), "stale-code", {"192.0.2.8"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(store_.users().find_by_login("octo-cat"));
}

TEST_F(GitHubLoginTest, OnlyMembersOfTheAllowedOrganisations) {
  auto login = make({"Acme"});
  const std::string state = start(login);
  EXPECT_NE(url_.find("read%3Aorg"), std::string::npos) << "membership needs read:org";
  github_.orgs = Json::array({{{"login", "other"}, {"id", 1}}});
  auto refused = login.callback("github", state, "good-code", {"192.0.2.8"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(store_.users().find_by_login("octo-cat"));
  github_.orgs = Json::array({{{"login", "acme"}, {"id", 2}}});
  auto admitted = login.callback("github", start(login), "good-code", {"192.0.2.8"});
  EXPECT_TRUE(admitted) << admitted.error().message;
}

TEST(SafeNextPath, OnlyLocalPaths) {
  EXPECT_EQ(safe_next_path("/projects/a"), "/projects/a");
  EXPECT_EQ(safe_next_path("//evil.example"), "/");
  EXPECT_EQ(safe_next_path("https://evil.example"), "/");
  EXPECT_EQ(safe_next_path("/\\evil.example"), "/");
  EXPECT_EQ(safe_next_path(""), "/");
}

}  // namespace
}  // namespace orsa::services
