#include "auth/api_tokens.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace orsa::auth {
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(ApiTokens, HavePrefixLengthAndCharset) {
  const auto token = generate_api_token();
  EXPECT_TRUE(token.secret.starts_with("orsa_"));
  EXPECT_EQ(token.secret.size(), 5u + 43u);
  EXPECT_EQ(token.secret.substr(5).find_first_not_of(kBase64Url), std::string::npos);
  EXPECT_TRUE(is_api_token(token.secret));
}

TEST(ApiTokens, AreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(generate_api_token().secret);
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ApiTokens, HashIsStableSha256Hex) {
  const auto token = generate_api_token();
  EXPECT_EQ(token.hash, hash_api_token(token.secret));
  EXPECT_EQ(token.hash.size(), 64u);
  EXPECT_EQ(token.hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(hash_api_token(token.secret + "x"), token.hash);
  // Known answer: sha256("abc").
  EXPECT_EQ(hash_api_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiTokens, ShapeCheckRejectsJwtsAndNearMisses) {
  const std::string good = generate_api_token().secret;
  const std::string body = good.substr(5);
  EXPECT_FALSE(is_api_token(""));
  EXPECT_FALSE(is_api_token("orsa_"));
  EXPECT_FALSE(is_api_token(good.substr(0, good.size() - 1)));  // too short
  EXPECT_FALSE(is_api_token(good + "A"));                       // too long
  EXPECT_FALSE(is_api_token("ORSA_" + body));                   // prefix is case-sensitive
  EXPECT_FALSE(is_api_token("orsa-" + body));
  EXPECT_FALSE(is_api_token("orsa_" + body.substr(1) + "="));  // padding
  EXPECT_FALSE(is_api_token("orsa_" + body.substr(1) + "."));
  EXPECT_FALSE(is_api_token("orsa_" + body.substr(1) + "+"));
  EXPECT_FALSE(
      is_api_token("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJlLWhlcmUtaXMtbG9uZw"));
}

TEST(ConsumerKeys, HaveTheirOwnShapeNeverAnApiTokens) {
  const auto key = generate_consumer_key();
  EXPECT_TRUE(key.secret.starts_with("orsa_ck_"));
  EXPECT_TRUE(is_consumer_key(key.secret));
  EXPECT_FALSE(is_api_token(key.secret));
  EXPECT_EQ(key.hash, hash_api_token(key.secret));
  EXPECT_NE(generate_consumer_key().secret, key.secret);
  const auto token = generate_api_token();
  EXPECT_FALSE(is_consumer_key(token.secret));
  EXPECT_FALSE(is_consumer_key(key.secret.substr(0, key.secret.size() - 1)));
  EXPECT_FALSE(is_consumer_key(key.secret.substr(0, key.secret.size() - 1) + "!"));
}

}  // namespace
}  // namespace orsa::auth
