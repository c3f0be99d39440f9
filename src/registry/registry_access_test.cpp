// Who may use /v2: the challenge on anonymous requests, the registry's error
// format on unknown paths, tenants' repositories hidden from each other, and
// scoped tokens.

#include <gtest/gtest.h>

#include <string>

#include "registry_test_fixture.hpp"

namespace orsa::registry::testing {
namespace {

using Access = RegistryApiTest;

void expect_challenge(const http::Response& res, const std::string& what) {
  EXPECT_EQ(res.status, 401) << what << ": " << res.body;
  EXPECT_EQ(res.header("WWW-Authenticate").value_or(""), R"(Basic realm="orsa")") << what;
  EXPECT_EQ(res.header("Docker-Distribution-API-Version").value_or(""), "registry/2.0") << what;
  EXPECT_EQ(error_code(res), "UNAUTHORIZED") << what << ": " << res.body;
}

TEST_F(Access, AnonymousRequestsGetTheChallengeInTheRegistryFormat) {
  expect_challenge(call("GET", "/v2/"), "GET /v2/");
  expect_challenge(call("GET", "/v2"), "GET /v2");
  expect_challenge(call("GET", "/v2/_catalog"), "catalog");
  // A repository route challenges before it looks at the repository, so an
  // anonymous caller learns nothing about which names exist.
  expect_challenge(call("GET", "/v2/alice/app/manifests/latest"), "manifest");
  expect_challenge(call("GET", "/v2/nobody/nothing/manifests/latest"), "unknown repo");
  expect_challenge(call("POST", "/v2/alice/app/blobs/uploads/"), "upload");
  EXPECT_EQ(upload_sessions(), 0u);
}

TEST_F(Access, BadCredentialsAreRefusedAndGoodOnesAnswerTheVersionCheck) {
  expect_challenge(call("GET", "/v2/", basic("alice", "wrong password!")), "wrong password");
  expect_challenge(call("GET", "/v2/", "Basic !!!not-base64"), "malformed Basic");
  expect_challenge(call("GET", "/v2/", "Basic " + base64("no-colon")), "no colon");
  expect_challenge(call("GET", "/v2/", "Digest x"), "other scheme");
  expect_challenge(call("GET", "/v2/", "Bearer not-a-token"), "bad bearer");
  // Cookies are not credentials here: a browser's session cannot act on /v2.
  auto session = accounts_.login("alice", kPassword, services::Caller{"192.0.2.1"});
  ASSERT_TRUE(session);
  expect_challenge(
      call("GET", "/v2/", {}, {}, {{"Cookie", "orsa_session=" + session->session.token}}),
      "cookie");

  auto ok = call("GET", "/v2/", alice());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "{}");
  EXPECT_EQ(ok.header("Docker-Distribution-API-Version").value_or(""), "registry/2.0");
  // The session token and an API token work as Basic passwords and as bearers.
  EXPECT_EQ(call("GET", "/v2/", basic("alice", session->session.token)).status, 200);
  EXPECT_EQ(call("GET", "/v2/", "Bearer " + session->session.token).status, 200);
  const auth::Principal who{alice_id_, "alice", Role::kDeveloper, false, ""};
  auto token =
      accounts_.create_token(who, "ci", std::nullopt, std::nullopt, services::Caller{"192.0.2.1"});
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(call("GET", "/v2/", basic("alice", token->secret)).status, 200);
}

TEST_F(Access, UnknownV2PathsChallengeFirstThenAnswerInTheRegistryFormat) {
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    expect_challenge(call(method, "/v2/no/such/endpoint"), method);
    auto res = call(method, "/v2/no/such/endpoint", alice());
    EXPECT_EQ(res.status, 404) << method << ": " << res.body;
    EXPECT_EQ(error_code(res), "NAME_UNKNOWN") << method << ": " << res.body;
    EXPECT_EQ(res.header("Docker-Distribution-API-Version").value_or(""), "registry/2.0");
  }
  // A path the router knows but the registry spells differently is not
  // mistaken for a repository route: three segments before /manifests/.
  auto deep = call("GET", "/v2/a/b/c/manifests/latest", alice());
  EXPECT_EQ(deep.status, 404) << deep.body;
  EXPECT_EQ(error_code(deep), "NAME_UNKNOWN");
}

TEST_F(Access, AnotherTenantsRepositoryIsUnknownNotForbidden) {
  const std::string manifest = image_manifest("alice/app");
  ASSERT_EQ(push_manifest("alice/app", "v1", manifest).status, 201);

  auto read = call("GET", "/v2/alice/app/manifests/v1", bob());
  EXPECT_EQ(read.status, 404) << read.body;
  EXPECT_EQ(error_code(read), "NAME_UNKNOWN");
  // Same answer as for a repository that does not exist: existence is not revealed.
  auto missing = call("GET", "/v2/alice/nothing/manifests/v1", bob());
  EXPECT_EQ(missing.status, read.status);
  EXPECT_EQ(missing.body, read.body);

  const std::string config_digest = Json::parse(manifest)["config"]["digest"];
  EXPECT_EQ(error_code(call("GET", "/v2/alice/app/blobs/" + config_digest, bob())), "NAME_UNKNOWN");
  EXPECT_EQ(error_code(call("GET", "/v2/alice/app/tags/list", bob())), "NAME_UNKNOWN");
  auto push = call("POST", "/v2/alice/app/blobs/uploads/", bob());
  EXPECT_EQ(push.status, 404) << push.body;
  EXPECT_EQ(upload_sessions(), 0u);  // refused before any session was opened
  const std::string bobs_manifest = image_manifest("bob/tool", "other", bob());
  ASSERT_EQ(push_manifest("bob/tool", "v1", bobs_manifest, bob()).status, 201);
  auto overwrite = push_manifest("alice/app", "v1", bobs_manifest, bob());
  EXPECT_EQ(overwrite.status, 404) << overwrite.body;
  EXPECT_EQ(call("GET", "/v2/alice/app/manifests/v1", alice()).body, manifest);

  // The catalog lists only what the caller may read; admins read everything.
  auto bobs = Json::parse(call("GET", "/v2/_catalog", bob()).body)["repositories"];
  EXPECT_EQ(bobs, Json::array({"bob/tool"})) << bobs.dump();
  auto all = Json::parse(call("GET", "/v2/_catalog", root()).body)["repositories"];
  EXPECT_EQ(all, Json::array({"alice/app", "bob/tool"})) << all.dump();
  EXPECT_EQ(call("GET", "/v2/alice/app/manifests/v1", root()).status, 200);
}

TEST_F(Access, APullTokenReadsItsRepositoryOnlyAndNeverWrites) {
  ASSERT_EQ(push_manifest("alice/app", "v1", image_manifest("alice/app")).status, 201);
  const auth::Principal who{alice_id_, "alice", Role::kDeveloper, false, ""};
  auto token = accounts_.issue_pull_token(who, "alice/app");
  ASSERT_TRUE(token) << token.error().message;
  const std::string pull = basic("alice", *token);
  EXPECT_EQ(call("GET", "/v2/alice/app/manifests/v1", pull).status, 200);
  auto write = call("POST", "/v2/alice/app/blobs/uploads/", pull);
  EXPECT_EQ(write.status, 403) << write.body;
  EXPECT_EQ(error_code(write), "DENIED");
  // Another repository of the same owner is outside the token's scope.
  ASSERT_TRUE(store_.projects().create({alice_id_, "other", "python-flask"}));
  auto other = call("GET", "/v2/alice/other/tags/list", pull);
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_EQ(error_code(other), "NAME_UNKNOWN");
}

TEST_F(Access, BaseImagesAreReadableByAllAndWritableByAdminsOnly) {
  auto by_user = call("POST", "/v2/orsa/base/blobs/uploads/", alice());
  EXPECT_EQ(by_user.status, 403) << by_user.body;
  EXPECT_EQ(error_code(by_user), "DENIED");
  const std::string manifest = image_manifest("alice/app");
  // Admins push the base; every user pulls it.
  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  const std::string layer = "layer";
  for (const auto& blob : {config, layer}) {
    const auto digest = oci::Digest::of(blob).str();
    ASSERT_EQ(call("POST", "/v2/orsa/base/blobs/uploads/?digest=" + digest, root(), blob).status,
              201);
  }
  ASSERT_EQ(push_manifest("orsa/base", "latest", manifest, root()).status, 201);
  EXPECT_EQ(call("GET", "/v2/orsa/base/manifests/latest", bob()).body, manifest);
}

TEST_F(Access, RepositoryNamesAreCheckedBeforeAccess) {
  auto res = call("GET", "/v2/Alice/app/manifests/v1", alice());
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(error_code(res), "NAME_INVALID");
}

}  // namespace
}  // namespace orsa::registry::testing
