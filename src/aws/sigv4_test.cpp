#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

namespace orsa::aws {
namespace {

// The example credentials of AWS's Signature Version 4 documentation.
const Credentials kExample{.access_key_id = "AKIDEXAMPLE",
                           .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
constexpr std::int64_t k20150830T123600Z = 1440938160;

std::string header(const Params& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

// Each expected Authorization below was computed by botocore 1.29's
// SigV4Auth for the same request and time (an independent implementation);
// the first is also the "get-vanilla" signature AWS publishes.
TEST(SigV4, SignsTheDocumentationsVanillaRequest) {
  const HttpRequest request{.method = "GET", .host = "example.amazonaws.com"};
  const auto added = sign(request, kExample, {"us-east-1", "service"}, k20150830T123600Z);
  EXPECT_EQ(header(added, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header(added, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(header(added, "X-Amz-Security-Token"), "");
}

TEST(SigV4, SignsAJsonCallWithASessionToken) {
  Credentials temporary = kExample;
  temporary.session_token = "session/token+value=";
  const std::string body = R"({"repositoryName":"alice/knap"})";
  const HttpRequest request{
      .method = "POST",
      .host = "127.0.0.1:4566",
      .headers = {{"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.CreateRepository"}},
      .body = body};
  const auto added = sign(request, temporary, {"eu-west-1", "ecr"}, 1796671800);
  EXPECT_EQ(header(added, "X-Amz-Date"), "20261207T193000Z");
  EXPECT_EQ(header(added, "X-Amz-Security-Token"), "session/token+value=");
  EXPECT_EQ(header(added, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-west-1/ecr/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
            "Signature=d1c5c9e4f742946062471f40f782327e24e1263786e96795e5310208a8f31b53");
}

// What libcurl's own signer gets wrong for services other than S3: the
// query sorted and RFC 3986-encoded, path segments encoded twice, header
// values trimmed with inner spaces collapsed.
TEST(SigV4, SortsAndEncodesTheQueryAndEncodesThePathTwice) {
  const HttpRequest request{.method = "GET",
                            .host = "example.amazonaws.com",
                            .path = "/a b/c:d",
                            .query = {{"b", "2"}, {"a", "x y"}, {"a", "/"}, {"c", "~"}},
                            .headers = {{"X-Custom", "  two   spaces  "}}};
  const auto added = sign(request, kExample, {"us-east-1", "service"}, k20150830T123600Z);
  EXPECT_EQ(header(added, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-custom, "
            "Signature=5af5219be2555bae841478056f6d0f8606ed61fcf20c5923ab24c05de064cc1d");
  const auto canonical = canonical_request(request, {{"host", "example.amazonaws.com"}}, "-");
  EXPECT_EQ(canonical.substr(0, canonical.find('\n', 4)), "GET\n/a%2520b/c%253Ad");
  EXPECT_NE(canonical.find("\na=%2F&a=x%20y&b=2&c=~\n"), std::string::npos);
}

TEST(SigV4, EncodesAsRfc3986Says) {
  EXPECT_EQ(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b+c/d=é", false), "a%20b%2Bc%2Fd%3D%C3%A9");
  EXPECT_EQ(uri_encode("/a b/", true), "/a%20b/");
  EXPECT_EQ(amz_date(0), "19700101T000000Z");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace orsa::aws
