#include "oci/registry_client.hpp"

#include <gtest/gtest.h>

#include <string>

// The registry client's parsing and argument checks, without a network; the
// exchanges with real registries are in registry_client_cncf_test.cpp.

namespace orsa::oci {
namespace {

// ---- WWW-Authenticate parser

TEST(WwwAuthenticate, ParsesBearerWithCommasInsideQuotes) {
  auto parsed = parse_www_authenticate(
      R"(Bearer realm="https://auth.example/token",service="registry.example",)"
      R"(scope="repository:alice/app:pull,push")");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].scheme, "bearer");
  EXPECT_EQ((*parsed)[0].params.at("realm"), "https://auth.example/token");
  EXPECT_EQ((*parsed)[0].params.at("service"), "registry.example");
  EXPECT_EQ((*parsed)[0].params.at("scope"), "repository:alice/app:pull,push");
}

TEST(WwwAuthenticate, ParsesSeveralSchemesTokensAndEscapes) {
  auto parsed = parse_www_authenticate(
      R"(Basic realm="a \"quoted\", realm", charset=UTF-8 ,  BEARER Realm=x,error="invalid_token")");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].scheme, "basic");
  EXPECT_EQ((*parsed)[0].params.at("realm"), R"(a "quoted", realm)");
  EXPECT_EQ((*parsed)[0].params.at("charset"), "UTF-8");
  EXPECT_EQ((*parsed)[1].scheme, "bearer");
  EXPECT_EQ((*parsed)[1].params.at("realm"), "x");
  EXPECT_EQ((*parsed)[1].params.at("error"), "invalid_token");
}

TEST(WwwAuthenticate, SchemeWithoutParamsAndMalformedInput) {
  auto bare = parse_www_authenticate("Negotiate, Basic");
  ASSERT_TRUE(bare);
  ASSERT_EQ(bare->size(), 2u);
  EXPECT_TRUE((*bare)[0].params.empty());
  EXPECT_EQ((*bare)[1].scheme, "basic");
  EXPECT_TRUE(parse_www_authenticate("").value().empty());
  EXPECT_FALSE(parse_www_authenticate(R"(Bearer realm="unterminated)"));
  EXPECT_FALSE(parse_www_authenticate(R"(Bearer ="x")"));
}

TEST(RegistryClientOptions, RejectsBadUrlsAndNames) {
  EXPECT_FALSE(RegistryClient::create({.base_url = "ftp://host"}));
  EXPECT_FALSE(RegistryClient::create({.base_url = "http://host/some/path"}));
  EXPECT_TRUE(RegistryClient::create({.base_url = "https://ghcr.io/v2/"}));
  auto client = RegistryClient::create({.base_url = "http://127.0.0.1:1"});
  ASSERT_TRUE(client);
  auto bad = client->blob_exists("Alice/../x", Digest::of("x"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto tag = client->get_manifest("alice/app", "bad tag");
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().code, ErrorCode::kInvalidArgument);
  auto down = client->ping();  // nothing listens on port 1
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orsa::oci
