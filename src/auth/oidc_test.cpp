// ID token verification against keys made here with OpenSSL: each refusal
// the login must make is shown with a token that differs in that one way.

#include "auth/oidc.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/random.hpp"

namespace orsa::auth::oidc {
namespace {

using Json = nlohmann::json;
constexpr std::int64_t kNow = 1'800'000'000;

struct Signer {
  std::string kid;
  std::string alg;
  std::shared_ptr<EVP_PKEY> pkey;

  static Signer rsa(std::string kid) {
    return {std::move(kid), "RS256", {EVP_RSA_gen(2048), EVP_PKEY_free}};
  }
  static Signer ec(std::string kid) {
    return {std::move(kid), "ES256", {EVP_EC_gen("P-256"), EVP_PKEY_free}};
  }

  static std::string bn_bytes(EVP_PKEY* k, const char* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(k, name, &bn);
    std::string out(std::size_t(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }

  Json jwk() const {
    if (alg == "RS256")
      return {{"kty", "RSA"},
              {"kid", kid},
              {"use", "sig"},
              {"alg", "RS256"},
              {"n", base64url_encode(bn_bytes(pkey.get(), OSSL_PKEY_PARAM_RSA_N))},
              {"e", base64url_encode(bn_bytes(pkey.get(), OSSL_PKEY_PARAM_RSA_E))}};
    unsigned char point[65];
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(pkey.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    const std::string p(reinterpret_cast<char*>(point), len);
    return {{"kty", "EC"},
            {"kid", kid},
            {"crv", "P-256"},
            {"x", base64url_encode(p.substr(1, 32))},
            {"y", base64url_encode(p.substr(33, 32))}};
  }

  std::string sign(std::string_view input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey.get());
    std::size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    if (alg == "RS256") return sig;
    const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &der, long(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    return raw;
  }

  std::string token(const Json& claims, Json header = {}) const {
    if (header.is_null()) header = {{"alg", alg}, {"kid", kid}, {"typ", "JWT"}};
    const std::string input =
        base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    return input + "." + base64url_encode(sign(input));
  }
};

std::string jwks(std::initializer_list<const Signer*> signers) {
  Json keys = Json::array();
  for (const auto* s : signers) keys.push_back(s->jwk());
  return Json{{"keys", keys}}.dump();
}

Json good_claims() {
  return {{"iss", "https://idp.example"},
          {"sub", "user-1"},
          {"aud", "orsa"},
          {"exp", kNow + 300},
          {"iat", kNow - 5},
          {"nonce", "n-123"},
          {"email", "a@example.org"},
          {"preferred_username", "alice"}};
}

TokenExpectations expect() {
  return {"https://idp.example", "orsa", "n-123", kNow};
}

class OidcTest : public ::testing::Test {
 protected:
  Signer rsa = Signer::rsa("k1");
  KeySet keys = KeySet::parse(jwks({&rsa})).value();
};

TEST_F(OidcTest, GoodTokenIsAccepted) {
  auto claims = verify_id_token(rsa.token(good_claims()), keys, expect());
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->subject, "user-1");
  EXPECT_EQ(claims->preferred_username, "alice");
  EXPECT_EQ(claims->email, "a@example.org");
}

TEST_F(OidcTest, Es256IsAccepted) {
  const Signer ec = Signer::ec("e1");
  auto set = KeySet::parse(jwks({&ec})).value();
  auto claims = verify_id_token(ec.token(good_claims()), set, expect());
  ASSERT_TRUE(claims) << claims.error().message;
}

TEST_F(OidcTest, WrongSignatureIsRefused) {
  const Signer other = Signer::rsa("k1");  // same kid, another key
  auto claims = verify_id_token(other.token(good_claims()), keys, expect());
  ASSERT_FALSE(claims);
  EXPECT_EQ(claims.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(claims.error().message.find("signature"), std::string::npos);
}

TEST_F(OidcTest, TamperedPayloadIsRefused) {
  std::string token = rsa.token(good_claims());
  Json evil = good_claims();
  evil["sub"] = "admin";
  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  token = token.substr(0, dot1 + 1) + base64url_encode(evil.dump()) + token.substr(dot2);
  EXPECT_FALSE(verify_id_token(token, keys, expect()));
}

TEST_F(OidcTest, WrongAudienceIsRefused) {
  Json c = good_claims();
  c["aud"] = "someone-else";
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, expect()));
  c["aud"] = Json::array({"someone-else", "orsa"});  // several: azp must name us
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, expect()));
  c["azp"] = "orsa";
  EXPECT_TRUE(verify_id_token(rsa.token(c), keys, expect()));
}

TEST_F(OidcTest, WrongIssuerIsRefused) {
  Json c = good_claims();
  c["iss"] = "https://evil.example";
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, expect()));
}

TEST_F(OidcTest, ExpiredTokenIsRefusedBeyondSkew) {
  Json c = good_claims();
  c["exp"] = kNow - kClockSkewSeconds + 1;  // within skew
  EXPECT_TRUE(verify_id_token(rsa.token(c), keys, expect()));
  c["exp"] = kNow - kClockSkewSeconds - 1;
  auto r = verify_id_token(rsa.token(c), keys, expect());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
  c = good_claims();
  c["iat"] = kNow + kClockSkewSeconds + 10;
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, expect()));
}

TEST_F(OidcTest, MissingOrWrongNonceIsRefused) {
  Json c = good_claims();
  c.erase("nonce");
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, expect()));
  c["nonce"] = "n-999";
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, expect()));
  auto no_expected = expect();
  no_expected.nonce.clear();
  c["nonce"] = "";
  EXPECT_FALSE(verify_id_token(rsa.token(c), keys, no_expected));
}

TEST_F(OidcTest, AlgNoneAndHmacAreRefused) {
  const std::string payload = base64url_encode(good_claims().dump());
  const std::string none = base64url_encode(R"({"alg":"none","kid":"k1"})") + "." + payload + ".";
  EXPECT_FALSE(verify_id_token(none, keys, expect()));
  // HS256 "signed" with the RSA public modulus as the secret: the classic confusion.
  const std::string hs =
      base64url_encode(R"({"alg":"HS256","kid":"k1"})") + "." + payload + ".AAAA";
  auto r = verify_id_token(hs, keys, expect());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not accepted"), std::string::npos);
  // A header claiming ES256 for an RSA key.
  const std::string mixed = rsa.token(good_claims(), {{"alg", "ES256"}, {"kid", "k1"}});
  EXPECT_FALSE(verify_id_token(mixed, keys, expect()));
}

TEST_F(OidcTest, UnknownKidIsReportedAsNotFound) {
  const Signer other = Signer::rsa("k2");
  auto r = verify_id_token(other.token(good_claims()), keys, expect());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(OidcTest, RotationIsFollowedOnceAndRateLimited) {
  const Signer next = Signer::rsa("k2");
  std::string published = jwks({&rsa});
  std::int64_t clock = kNow;
  KeySetCache cache([&]() -> Result<std::string> { return published; }, [&] { return clock; }, 60);

  ASSERT_TRUE(cache.verify(rsa.token(good_claims()), expect()));
  EXPECT_EQ(cache.fetches(), 1);

  published = jwks({&next});  // the provider rotates
  clock += 61;
  auto r = cache.verify(next.token(good_claims()), expect());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(cache.fetches(), 2);

  // Forged kids right after: no new fetch within the interval.
  const Signer forged = Signer::rsa("k3");
  EXPECT_FALSE(cache.verify(forged.token(good_claims()), expect()));
  EXPECT_FALSE(cache.verify(forged.token(good_claims()), expect()));
  EXPECT_EQ(cache.fetches(), 2);
}

// Callbacks of several sign-ins verify at once while a rotation replaces the
// key set: every check ends with an answer, none with a key freed under it.
TEST(OidcKeyRotation, ConcurrentVerifiesAcrossARotationAllSucceed) {
  const Signer first = Signer::rsa("k1");
  const Signer second = Signer::rsa("k2");
  std::mutex published_mu;
  std::string published = jwks({&first});
  std::atomic<std::int64_t> clock = kNow;
  KeySetCache cache(
      [&]() -> Result<std::string> {
        std::lock_guard lock(published_mu);
        return published;
      },
      [&] { return clock.load(); }, 0);  // no refetch guard: as many swaps as possible
  ASSERT_TRUE(cache.verify(first.token(good_claims()), expect()));
  {
    std::lock_guard lock(published_mu);
    published = jwks({&first, &second});
  }
  const std::string tokens[] = {first.token(good_claims()), second.token(good_claims())};
  const std::string unknown_kid = Signer::rsa("kx").token(good_claims());
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        // An unknown kid forces a refetch that replaces the set others use.
        if (t % 2 == 1) (void)cache.verify(unknown_kid, expect());
        if (!cache.verify(tokens[(t + i) % 2], expect())) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(cache.fetches(), 2);
}

TEST(OidcDiscovery, EndpointsMustBeHttpsOrOnLoopback) {
  const auto doc = [](std::string_view token_endpoint) {
    return Json{{"issuer", "https://idp.example"},
                {"authorization_endpoint", "https://idp.example/auth"},
                {"token_endpoint", token_endpoint},
                {"jwks_uri", "https://idp.example/jwks"}}
        .dump();
  };
  EXPECT_TRUE(parse_discovery(doc("https://idp.example/token?tenant=a"), "https://idp.example"));
  EXPECT_TRUE(parse_discovery(doc("http://127.0.0.1:8080/token"), "https://idp.example"));
  // The client secret and the code would cross the network in clear.
  EXPECT_FALSE(parse_discovery(doc("http://idp.example/token"), "https://idp.example"));
  EXPECT_FALSE(parse_discovery(doc("http://localhost.evil.example/token"), "https://idp.example"));
  EXPECT_FALSE(parse_discovery(doc("ftp://idp.example/token"), "https://idp.example"));
  EXPECT_TRUE(is_secure_url("http://[::1]:9000"));
  EXPECT_FALSE(is_secure_url("https://"));
}

TEST(OidcDiscovery, IssuerMustMatch) {
  const std::string doc = Json{{"issuer", "https://idp.example"},
                               {"authorization_endpoint", "https://idp.example/auth"},
                               {"token_endpoint", "https://idp.example/token"},
                               {"jwks_uri", "https://idp.example/jwks"}}
                              .dump();
  auto m = parse_discovery(doc, "https://idp.example");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->token_endpoint, "https://idp.example/token");
  EXPECT_FALSE(parse_discovery(doc, "https://other.example"));
  EXPECT_FALSE(parse_discovery(R"({"issuer":"https://idp.example"})", "https://idp.example"));
  EXPECT_FALSE(parse_discovery("not json", "https://idp.example"));
  EXPECT_EQ(discovery_url("https://idp.example/"),
            "https://idp.example/.well-known/openid-configuration");
}

TEST(OidcJwks, RejectsEmptyAndSkipsEncryptionKeys) {
  EXPECT_FALSE(KeySet::parse(R"({"keys":[]})"));
  EXPECT_FALSE(KeySet::parse(R"({"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]})"));
  EXPECT_FALSE(KeySet::parse("[]"));
}

TEST(OidcPkce, ChallengeIsRfc7636S256) {
  // RFC 7636 appendix B.
  EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const auto a = new_login_secrets();
  const auto b = new_login_secrets();
  EXPECT_NE(a.state, b.state);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_EQ(a.code_challenge, pkce_challenge(a.code_verifier));
  EXPECT_GE(a.code_verifier.size(), 43u);
}

}  // namespace
}  // namespace orsa::auth::oidc
