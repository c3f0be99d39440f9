// Every route, called as anonymous, as another developer, as a viewer and as
// an admin: 401 / 404 / 403 / 2xx exactly as the contract says, and nothing
// changes for the owner when a call is refused.

#include <gtest/gtest.h>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"

namespace orsa::testing {
namespace {

// Callers of the matrix. "viewer_own" is a viewer acting on their own
// resources; "viewer_other" a viewer acting on alice's.
enum Caller { kAnonymous, kOtherDeveloper, kViewerOther, kViewerOwn, kAdmin, kCallerCount };
constexpr const char* kCallerNames[] = {"anonymous", "other developer", "viewer on alice's",
                                        "viewer on own", "admin"};

struct Row {
  std::string method;
  std::string path;  // {p} → owner/project, {tok} → a token id, {uid} → a user id
  std::optional<Json> body;
  std::string raw_body;
  int expected[kCallerCount];
};

class TenantMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    deployer_ = DeployerProcess::start();
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
    alice_ = api_->register_user("alice");
    bob_ = api_->register_user("bob");
    vera_ = api_->register_user("vera");
    ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "aproj"}}, alice_).status, 201);
    ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "vproj"}}, vera_).status, 201);
    alice_token_id_ = api_->call("POST", "/api/v1/tokens", Json{{"name", "a"}}, alice_).json["id"];
    vera_token_id_ = api_->call("POST", "/api/v1/tokens", Json{{"name", "v"}}, vera_).json["id"];
    alice_id_ = api_->call("GET", "/api/v1/me", std::nullopt, alice_).json["id"];
    const std::string vera_id = api_->call("GET", "/api/v1/me", std::nullopt, vera_).json["id"];
    ASSERT_EQ(
        api_->call("PATCH", "/api/v1/users/" + vera_id, Json{{"role", "viewer"}}, admin_).status,
        200);
  }

  std::string token_for(Caller c) const {
    switch (c) {
      case kAnonymous:
        return "";
      case kOtherDeveloper:
        return bob_;
      case kViewerOther:
      case kViewerOwn:
        return vera_;
      case kAdmin:
        return admin_;
      default:
        return "";
    }
  }

  std::string expand(std::string path, Caller c) const {
    const bool own = c == kViewerOwn;
    const auto replace = [&](const std::string& key, const std::string& value) {
      for (auto pos = path.find(key); pos != std::string::npos; pos = path.find(key)) {
        path.replace(pos, key.size(), value);
      }
    };
    replace("{p}", own ? "vera/vproj" : "alice/aproj");
    replace("{tok}", own ? vera_token_id_ : alice_token_id_);
    replace("{uid}", alice_id_);
    return path;
  }

  ApiResponse call(const Row& row, Caller c) const {
    const std::string path = expand(row.path, c);
    if (row.body) return api_->call(row.method, path, row.body, token_for(c));
    return api_->raw(row.method, path, row.raw_body, token_for(c));
  }

  std::string alice_state() const {
    auto files = api_->call("GET", "/api/v1/projects/alice/aproj/commits", std::nullopt, alice_);
    auto tokens = api_->call("GET", "/api/v1/tokens", std::nullopt, alice_);
    auto me = api_->call("GET", "/api/v1/me", std::nullopt, alice_);
    return files.body + tokens.body + me.json.value("role", "");
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_, alice_, bob_, vera_;
  std::string alice_token_id_, vera_token_id_, alice_id_;
};

std::vector<Row> rows() {
  const Json change = {{"changes", Json::array({Json{{"path", "n.txt"}, {"content", "x"}}})}};
  const std::string archive = make_tar_gz({{"model.py", "x = 1\n"}});
  // Each row: method, path, JSON body or raw body, then the expected status for
  // anonymous, other developer, viewer on alice's, viewer on own, admin.
  return {
      {"GET", "/api/v1/me", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"GET", "/api/v1/auth/providers", std::nullopt, "", {200, 200, 200, 200, 200}},
      {"GET", "/api/v1/auth/oidc/nope/start", std::nullopt, "", {404, 404, 404, 404, 404}},
      {"GET", "/api/v1/me/identities", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"POST", "/api/v1/me/identities", Json{{"provider", "nope"}}, "", {401, 404, 404, 404, 404}},
      {"DELETE", "/api/v1/me/identities/idn_nothing", std::nullopt, "", {401, 404, 404, 404, 404}},
      {"GET", "/api/v1/templates", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"GET", "/api/v1/examples", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"GET", "/api/v1/projects", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"POST", "/api/v1/projects", Json{{"name", "newp"}}, "", {401, 201, 403, 403, 201}},
      {"GET", "/api/v1/projects/{p}", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET", "/api/v1/projects/{p}/files", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET", "/api/v1/projects/{p}/files/model.py", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"PUT",
       "/api/v1/projects/{p}/files/new.py",
       std::nullopt,
       "x = 2\n",
       {401, 404, 404, 403, 200}},
      {"DELETE",
       "/api/v1/projects/{p}/files/README.md",
       std::nullopt,
       "",
       {401, 404, 404, 403, 200}},
      {"GET", "/api/v1/projects/{p}/commits", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET", "/api/v1/projects/{p}/commits/main", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"POST", "/api/v1/projects/{p}/commits", change, "", {401, 404, 404, 403, 201}},
      {"POST", "/api/v1/projects/{p}/archive", std::nullopt, archive, {401, 404, 404, 403, 201}},
      {"POST", "/api/v1/tokens", Json{{"name", "t"}}, "", {401, 201, 403, 403, 201}},
      {"GET", "/api/v1/tokens", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"DELETE", "/api/v1/tokens/{tok}", std::nullopt, "", {401, 404, 404, 403, 204}},
      {"GET", "/api/v1/users", std::nullopt, "", {401, 403, 403, 403, 200}},
      {"POST",
       "/api/v1/users",
       Json{{"username", "zed"}, {"email", "zed@example.org"}, {"password", "password-1234"}},
       "",
       {401, 403, 403, 403, 201}},
      {"PATCH", "/api/v1/users/{uid}", Json{{"role", "developer"}}, "", {401, 403, 403, 403, 200}},
      {"GET", "/api/v1/admin/audit", std::nullopt, "", {401, 403, 403, 403, 200}},
      {"GET", "/metrics", std::nullopt, "", {401, 403, 403, 403, 200}},
      {"GET", "/api/v1/admin/usage", std::nullopt, "", {401, 403, 403, 403, 200}},
      // Egress is the admin's to grant; even the owner cannot.
      {"PATCH",
       "/api/v1/admin/projects/{p}",
       Json{{"allow_egress", true}},
       "",
       {401, 404, 404, 403, 200}},
      // Runs: a private project's runs are its owner's (and admins'); a viewer
      // submits none. The admin passes the policy and meets the project's
      // missing image (409).
      {"POST",
       "/api/v1/projects/{p}/runs",
       Json{{"input", Json::object()}},
       "",
       {401, 404, 404, 403, 409}},
      {"GET", "/api/v1/projects/{p}/runs", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET", "/api/v1/projects/{p}/runs?status=nope", std::nullopt, "", {401, 400, 400, 400, 400}},
      {"GET", "/api/v1/runs", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"GET", "/api/v1/runs/run_nothing", std::nullopt, "", {401, 404, 404, 404, 404}},
      {"GET", "/api/v1/runs/run_nothing/input", std::nullopt, "", {401, 404, 404, 404, 404}},
      {"GET", "/api/v1/runs/run_nothing/result", std::nullopt, "", {401, 404, 404, 404, 404}},
      {"GET", "/api/v1/runs/run_nothing/log", std::nullopt, "", {401, 404, 404, 404, 404}},
      {"POST", "/api/v1/runs/run_nothing/cancel", Json::object(), "", {401, 404, 404, 404, 404}},
      // Consumer keys and usage: the project's owner's (a viewer reads only).
      {"POST", "/api/v1/projects/{p}/keys", Json{{"name", "acme"}}, "", {401, 404, 404, 403, 201}},
      {"POST", "/api/v1/projects/{p}/keys", Json{{"name", ""}}, "", {401, 404, 404, 403, 400}},
      {"GET", "/api/v1/projects/{p}/keys", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"DELETE",
       "/api/v1/projects/{p}/keys/ck_nothing",
       std::nullopt,
       "",
       {401, 404, 404, 403, 404}},
      {"GET", "/api/v1/projects/{p}/usage", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET", "/api/v1/projects/{p}/usage?format=csv", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET",
       "/api/v1/projects/{p}/usage?from=yesterday",
       std::nullopt,
       "",
       {401, 400, 400, 400, 400}},
      {"GET", "/api/v1/deployments", std::nullopt, "", {401, 200, 200, 200, 200}},
      {"GET", "/api/v1/deployments?project={p}", std::nullopt, "", {401, 404, 404, 200, 200}},
      {"GET", "/api/v1/deployments/dep_nothing", std::nullopt, "", {401, 404, 404, 404, 404}},
      {"POST", "/api/v1/deployments", Json{{"image_id", "img_x"}}, "", {401, 404, 404, 404, 404}},
      {"DELETE", "/api/v1/projects/{p}", std::nullopt, "", {401, 404, 404, 403, 204}},
  };
}

TEST_F(TenantMatrix, EveryRouteAnswersEachCallerAsTheContractSays) {
  const auto table = rows();
  // Refused callers first, checking alice's data is untouched...
  const std::string before = alice_state();
  for (const auto& row : table) {
    for (Caller c : {kAnonymous, kOtherDeveloper, kViewerOther, kViewerOwn}) {
      auto res = call(row, c);
      EXPECT_EQ(res.status, row.expected[c])
          << row.method << " " << row.path << " as " << kCallerNames[c] << ": " << res.body;
      if (res.status >= 400) {
        EXPECT_FALSE(res.error_code().empty()) << row.method << " " << row.path;
      }
    }
  }
  EXPECT_EQ(alice_state(), before);
  // ...then the admin, who may do everything.
  for (const auto& row : table) {
    auto res = call(row, kAdmin);
    EXPECT_EQ(res.status, row.expected[kAdmin])
        << row.method << " " << row.path << " as admin: " << res.body;
  }
}

// A consumer key reaches its one project's runs API and nothing else: no
// other project's runs, no management route, whichever header carries it.
TEST_F(TenantMatrix, AConsumerKeyReachesItsProjectsRunsAndNothingElse) {
  auto issued =
      api_->call("POST", "/api/v1/projects/alice/aproj/keys", Json{{"name", "acme"}}, alice_);
  ASSERT_EQ(issued.status, 201) << issued.body;
  const std::string secret = issued.json["secret"];
  const std::string key_id = issued.json["id"];
  struct KeyRow {
    std::string method, path;
    int expected;
  };
  const std::vector<KeyRow> table = {
      {"GET", "/api/v1/projects/alice/aproj/runs", 200},
      {"POST", "/api/v1/projects/alice/aproj/runs", 409},  // admitted; the project has no image
      {"GET", "/api/v1/runs", 200},
      {"GET", "/api/v1/runs/run_nothing", 404},
      {"GET", "/api/v1/projects/vera/vproj/runs", 404},
      {"POST", "/api/v1/projects/vera/vproj/runs", 404},
      {"GET", "/api/v1/projects/alice/aproj", 401},
      {"GET", "/api/v1/projects/alice/aproj/keys", 401},
      {"GET", "/api/v1/projects/alice/aproj/usage", 401},
      {"GET", "/api/v1/projects", 401},
      {"GET", "/api/v1/me", 401},
      {"GET", "/api/v1/me/identities", 401},
      {"POST", "/api/v1/me/identities", 401},
      {"GET", "/api/v1/tokens", 401},
      {"GET", "/api/v1/deployments", 401},
      {"POST", "/api/v1/projects/alice/aproj/builds", 401},
  };
  const std::string before = alice_state();
  for (const auto& header : {std::string("X-Api-Key"), std::string("Authorization")}) {
    const std::string value = header == "Authorization" ? "Bearer " + secret : secret;
    for (const auto& row : table) {
      const std::string body = row.method == "POST" ? R"({"input":{}})" : "";
      auto res = api_->raw(row.method, row.path, body, "",
                           {{header, value}, {"Content-Type", "application/json"}});
      EXPECT_EQ(res.status, row.expected)
          << row.method << " " << row.path << " by " << header << ": " << res.body;
    }
  }
  EXPECT_EQ(alice_state(), before);
  auto mine = api_->raw("GET", "/api/v1/runs", "", "", {{"X-Api-Key", secret}});
  EXPECT_TRUE(mine.json["runs"].empty()) << mine.body;
  // A key that is not one, and a revoked key: 401 everywhere.
  EXPECT_EQ(api_->raw("GET", "/api/v1/runs", "", "", {{"X-Api-Key", "orsa_ck_forged"}}).status,
            401);
  ASSERT_EQ(
      api_->call("DELETE", "/api/v1/projects/alice/aproj/keys/" + key_id, std::nullopt, alice_)
          .status,
      200);
  auto revoked =
      api_->raw("GET", "/api/v1/projects/alice/aproj/runs", "", "", {{"X-Api-Key", secret}});
  EXPECT_EQ(revoked.status, 401);
  EXPECT_NE(revoked.body.find("revoked"), std::string::npos) << revoked.body;
}

TEST_F(TenantMatrix, ListsShowOnlyOwnResourcesExceptToAdmins) {
  auto bobs = api_->call("GET", "/api/v1/projects", std::nullopt, bob_);
  EXPECT_TRUE(bobs.json["projects"].empty());
  auto bob_tokens = api_->call("GET", "/api/v1/tokens", std::nullopt, bob_);
  EXPECT_TRUE(bob_tokens.json["tokens"].empty());
  auto bob_runs = api_->call("GET", "/api/v1/runs", std::nullopt, bob_);
  EXPECT_TRUE(bob_runs.json["runs"].empty()) << bob_runs.body;
  auto all = api_->call("GET", "/api/v1/projects", std::nullopt, admin_);
  EXPECT_EQ(all.json["projects"].size(), 2u);
  // Not-found answers for existing and missing projects are identical.
  auto hidden = api_->call("GET", "/api/v1/projects/alice/aproj", std::nullopt, bob_);
  auto missing = api_->call("GET", "/api/v1/projects/alice/nothing", std::nullopt, bob_);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body, missing.body);
}

}  // namespace
}  // namespace orsa::testing
