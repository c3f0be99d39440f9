// The whole API journey against a real orsa-deployer process: accounts,
// sessions, tokens, roles, projects in git, audit, restart.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::testing {
namespace {

using namespace std::chrono_literals;

class ApiFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    deployer_ = DeployerProcess::start();
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
  }

  std::string head_of(const std::string& token, const std::string& project) const {
    auto res = api_->call("GET", "/api/v1/projects/" + project, std::nullopt, token);
    EXPECT_EQ(res.status, 200) << res.body;
    return res.json["head"]["sha"];
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_;
};

TEST_F(ApiFlow, SystemEndpointsAnswer) {
  EXPECT_EQ(api_->call("GET", "/healthz").json["status"], "ok");
  auto ready = api_->call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json["database"], "up");
  auto openapi = api_->call("GET", "/api/openapi.yaml");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_NE(openapi.body.find("openapi: 3.1.0"), std::string::npos);
  EXPECT_EQ(api_->call("GET", "/metrics").status, 401);  // every tenant's traffic: admins only
  auto metrics = api_->call("GET", "/metrics", std::nullopt, admin_);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("orsa_http_requests_total{"), std::string::npos);
  EXPECT_NE(metrics.body.find("route=\"/healthz\""), std::string::npos);
  EXPECT_NE(metrics.body.find("orsa_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_FALSE(metrics.headers["X-Request-Id"].empty());
  EXPECT_NE(metrics.body.find("# TYPE orsa_background_failures_total counter"), std::string::npos);
}

TEST_F(ApiFlow, RegisterLoginAndMe) {
  auto reg = api_->call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "ada"}, {"email", " Ada@Example.ORG "}, {"password", "analytical-engine"}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  EXPECT_EQ(reg.json["user"]["email"], "ada@example.org");
  EXPECT_EQ(reg.json["user"]["role"], "developer");
  EXPECT_FALSE(reg.json["user"].contains("password_hash"));

  const std::string by_email =
      api_->call("POST", "/api/v1/auth/login",
                 Json{{"email", "ADA@example.org"}, {"password", "analytical-engine"}})
          .json["token"];
  auto me = api_->call("GET", "/api/v1/me", std::nullopt, by_email);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json["username"], "ada");

  auto login = api_->call("POST", "/api/v1/auth/login",
                          Json{{"username", "ada"}, {"password", "analytical-engine"}});
  ASSERT_EQ(login.status, 200);
  bool http_only_session = false;
  for (const auto& cookie : login.set_cookies) {
    if (cookie.starts_with("orsa_session=")) {
      http_only_session = cookie.find("HttpOnly") != std::string::npos &&
                          cookie.find("SameSite=Lax") != std::string::npos;
    }
  }
  EXPECT_TRUE(http_only_session);

  auto dup = api_->call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "ada"}, {"email", "other@example.org"}, {"password", "analytical-engine"}});
  EXPECT_EQ(dup.status, 409);
  auto dup_email = api_->call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "ada2"}, {"email", "ada@EXAMPLE.org"}, {"password", "analytical-engine"}});
  EXPECT_EQ(dup_email.status, 409);
  auto short_pw =
      api_->call("POST", "/api/v1/auth/register",
                 Json{{"username", "bob"}, {"email", "bob@example.org"}, {"password", "short"}});
  EXPECT_EQ(short_pw.status, 400);
  EXPECT_NE(short_pw.error_message().find("10"), std::string::npos);
}

TEST_F(ApiFlow, FailedLoginsAreRateLimited) {
  api_->register_user("eve");
  for (int i = 0; i < 5; ++i) {
    auto res = api_->call("POST", "/api/v1/auth/login",
                          Json{{"username", "eve"}, {"password", "wrong-password"}});
    EXPECT_EQ(res.status, 401) << i;
  }
  auto limited = api_->call("POST", "/api/v1/auth/login",
                            Json{{"username", "eve"}, {"password", "password-1234"}});
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.headers["Retry-After"].empty());
  // Other logins from the same address are unaffected.
  EXPECT_EQ(api_->call("POST", "/api/v1/auth/login",
                       Json{{"username", "admin"}, {"password", DeployerProcess::kAdminPassword}})
                .status,
            200);
}

TEST_F(ApiFlow, CookieSessionsNeedTheCsrfHeaderForWrites) {
  api_->register_user("carol");
  auto login = api_->call("POST", "/api/v1/auth/login",
                          Json{{"username", "carol"}, {"password", "password-1234"}});
  const std::string cookie = "orsa_session=" + login.json["token"].get<std::string>();
  const std::string csrf = login.json["csrf_token"];
  auto me = api_->call("GET", "/api/v1/me", std::nullopt, "", {{"Cookie", cookie}});
  EXPECT_EQ(me.status, 200);
  auto without =
      api_->call("POST", "/api/v1/projects", Json{{"name", "p1"}}, "", {{"Cookie", cookie}});
  EXPECT_EQ(without.status, 403);
  auto wrong = api_->call("POST", "/api/v1/projects", Json{{"name", "p1"}}, "",
                          {{"Cookie", cookie}, {"X-CSRF-Token", "nope"}});
  EXPECT_EQ(wrong.status, 403);
  auto with = api_->call("POST", "/api/v1/projects", Json{{"name", "p1"}}, "",
                         {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(with.status, 201) << with.body;
  auto logout = api_->call("POST", "/api/v1/auth/logout");
  EXPECT_EQ(logout.status, 204);
  ASSERT_FALSE(logout.set_cookies.empty());
  EXPECT_NE(logout.set_cookies.front().find("Max-Age=0"), std::string::npos);
}

// Login CSRF: a foreign page posts a text/plain form whose body is the
// attacker's credentials as JSON, to sign the victim's browser in as the
// attacker. The route refuses the form's type and the foreign origin.
TEST_F(ApiFlow, CrossSiteFormLoginIsRefused) {
  api_->register_user("mallory");
  const std::string form_body = R"({"username":"mallory","password":"password-1234"})";
  const HeaderList browser_form = {{"Content-Type", "text/plain"},
                                   {"Origin", "http://attacker.example"},
                                   {"Sec-Fetch-Site", "cross-site"},
                                   {"Sec-Fetch-Mode", "navigate"}};
  for (const char* path : {"/api/v1/auth/login", "/api/v1/auth/register"}) {
    auto replay = api_->raw("POST", path, form_body, "", browser_form);
    EXPECT_TRUE(replay.status == 403 || replay.status == 415) << path << replay.body;
    EXPECT_TRUE(replay.set_cookies.empty()) << path;
  }
  // Each defence holds on its own: the type without foreign headers...
  auto plain =
      api_->raw("POST", "/api/v1/auth/login", form_body, "", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(plain.status, 415);
  EXPECT_EQ(plain.error_code(), "unsupported_media_type");
  auto untyped = api_->raw("POST", "/api/v1/auth/login", form_body);
  EXPECT_EQ(untyped.status, 415);
  // ...and the origin with the right type (a page cannot send it without a
  // preflight, but the check does not rely on that).
  const Json creds = {{"username", "mallory"}, {"password", "password-1234"}};
  auto foreign =
      api_->call("POST", "/api/v1/auth/login", creds, "", {{"Origin", "http://attacker.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(foreign.set_cookies.empty());
  auto sibling =
      api_->call("POST", "/api/v1/auth/login", creds, "", {{"Sec-Fetch-Site", "same-site"}});
  EXPECT_EQ(sibling.status, 403);
  // The app's own pages and non-browser clients still sign in.
  auto own = api_->call("POST", "/api/v1/auth/login", creds, "",
                        {{"Origin", api_->base_url()}, {"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(api_->call("POST", "/api/v1/auth/login", creds).status, 200);
}

// A cookie session with a valid CSRF token is still refused from another
// origin (a page that learnt the token from a shared cookie jar).
TEST_F(ApiFlow, CookieWritesFromAnotherOriginAreRefused) {
  api_->register_user("trent");
  auto login = api_->call("POST", "/api/v1/auth/login",
                          Json{{"username", "trent"}, {"password", "password-1234"}});
  const std::string cookie = "orsa_session=" + login.json["token"].get<std::string>();
  const std::string csrf = login.json["csrf_token"];
  auto cross = api_->call("POST", "/api/v1/tokens", Json{{"name", "stolen"}}, "",
                          {{"Cookie", cookie},
                           {"X-CSRF-Token", csrf},
                           {"Origin", "http://127.0.0.1:1"},
                           {"Sec-Fetch-Site", "same-site"}});
  EXPECT_EQ(cross.status, 403) << cross.body;
  auto own = api_->call("POST", "/api/v1/tokens", Json{{"name", "mine"}}, "",
                        {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", api_->base_url()}});
  EXPECT_EQ(own.status, 201) << own.body;
}

TEST_F(ApiFlow, ServicesLiveOnTheirOwnListenerAndSlashSOnlyRedirects) {
  const std::string services = deployer_->services_url();
  ASSERT_TRUE(services.starts_with("http://127.0.0.1:")) << services;
  EXPECT_NE(services, deployer_->url());
  // The old path on ORSA's origin: a redirect keeping the method, nothing served.
  auto moved = api_->raw("POST", "/s/alice/shop/solve?x=1", "{}", admin_);
  EXPECT_EQ(moved.status, 308) << moved.body;
  EXPECT_EQ(moved.headers["location"], services + "/alice/shop/solve?x=1");
  // ORSA's API is not on the services listener, with any credential.
  ApiClient on_services(services);
  for (const char* path : {"/api/v1/me", "/api/v1/tokens", "/healthz"}) {
    auto res = on_services.call("GET", path, std::nullopt, admin_);
    EXPECT_EQ(res.status, 404) << path << ": " << res.body;
  }
  auto mint = on_services.call("POST", "/api/v1/tokens", Json{{"name", "x"}}, admin_);
  EXPECT_EQ(mint.status, 404) << mint.body;
  EXPECT_NE(mint.headers["content-security-policy"].find("sandbox"), std::string::npos);
  auto tokens = api_->call("GET", "/api/v1/tokens", std::nullopt, admin_);
  ASSERT_EQ(tokens.status, 200);
  EXPECT_TRUE(tokens.json["tokens"].empty()) << tokens.body;
}

TEST_F(ApiFlow, ApiTokensWorkUntilRevoked) {
  const std::string dev = api_->register_user("dave");
  auto created =
      api_->call("POST", "/api/v1/tokens", Json{{"name", "ci"}, {"expires_in_days", 30}}, dev);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = created.json["secret"];
  EXPECT_TRUE(secret.starts_with("orsa_"));
  EXPECT_FALSE(created.json["expires_at"].is_null());

  auto me = api_->call("GET", "/api/v1/me", std::nullopt, secret);
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.json["username"], "dave");
  auto list = api_->call("GET", "/api/v1/tokens", std::nullopt, dev);
  ASSERT_EQ(list.json["tokens"].size(), 1u);
  EXPECT_FALSE(list.json["tokens"][0].contains("secret"));
  EXPECT_FALSE(list.json["tokens"][0]["last_used_at"].is_null());

  const std::string id = created.json["id"];
  EXPECT_EQ(api_->call("DELETE", "/api/v1/tokens/" + id, std::nullopt, dev).status, 204);
  EXPECT_EQ(api_->call("GET", "/api/v1/me", std::nullopt, secret).status, 401);
  EXPECT_EQ(api_->call("DELETE", "/api/v1/tokens/" + id, std::nullopt, dev).status, 404);
}

TEST_F(ApiFlow, AdminsManageRolesAndDisabledUsersLoseAccessAtOnce) {
  const std::string dev = api_->register_user("frank");
  const std::string token =
      api_->call("POST", "/api/v1/tokens", Json{{"name", "cli"}}, dev).json["secret"];
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "model"}}, dev).status, 201);
  const std::string id = api_->call("GET", "/api/v1/me", std::nullopt, dev).json["id"];

  auto users = api_->call("GET", "/api/v1/users", std::nullopt, admin_);
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(users.json["users"].size(), 2u);

  auto demote = api_->call("PATCH", "/api/v1/users/" + id, Json{{"role", "viewer"}}, admin_);
  ASSERT_EQ(demote.status, 200) << demote.body;
  EXPECT_EQ(demote.json["role"], "viewer");
  // Roles are read per request: the existing session is now read-only.
  EXPECT_EQ(api_->call("GET", "/api/v1/projects/frank/model/files", std::nullopt, dev).status, 200);
  EXPECT_EQ(api_->call("PUT", "/api/v1/projects/frank/model/files/x.txt", std::nullopt, dev).status,
            403);

  auto disable = api_->call("PATCH", "/api/v1/users/" + id, Json{{"disabled", true}}, admin_);
  ASSERT_EQ(disable.status, 200);
  EXPECT_EQ(api_->call("GET", "/api/v1/me", std::nullopt, dev).status, 401);
  EXPECT_EQ(api_->call("GET", "/api/v1/me", std::nullopt, token).status, 401);
  EXPECT_EQ(api_->call("POST", "/api/v1/auth/login",
                       Json{{"username", "frank"}, {"password", "password-1234"}})
                .status,
            403);

  const std::string admin_id = api_->call("GET", "/api/v1/me", std::nullopt, admin_).json["id"];
  EXPECT_EQ(
      api_->call("PATCH", "/api/v1/users/" + admin_id, Json{{"role", "viewer"}}, admin_).status,
      400);

  auto audit = api_->call("GET", "/api/v1/admin/audit", std::nullopt, admin_);
  ASSERT_EQ(audit.status, 200);
  std::set<std::string> actions;
  for (const auto& e : audit.json["events"]) actions.insert(e["action"].get<std::string>());
  for (const char* a :
       {"login", "register", "role_change", "user_disable", "project_create", "token_create"}) {
    EXPECT_TRUE(actions.contains(a)) << a;
  }
}

TEST_F(ApiFlow, ProjectsLiveInGit) {
  const std::string dev = api_->register_user("grace");
  auto created = api_->call("POST", "/api/v1/projects",
                            Json{{"name", "knapsack"}, {"template", "python-flask"}}, dev);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["full_name"], "grace/knapsack");
  EXPECT_EQ(created.json["head"]["author"]["name"], "grace");
  EXPECT_TRUE(std::filesystem::exists(deployer_->data_dir() / "repos/grace/knapsack.git"));
  EXPECT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "knapsack"}}, dev).status, 409);

  const std::string base = "/api/v1/projects/grace/knapsack";
  auto tree = api_->call("GET", base + "/files", std::nullopt, dev);
  ASSERT_EQ(tree.status, 200);
  std::set<std::string> paths;
  for (const auto& f : tree.json["files"]) paths.insert(f["path"].get<std::string>());
  EXPECT_EQ(paths, (std::set<std::string>{"README.md", "input.json", "model.py", "orsa.toml"}));
  auto model = api_->call("GET", base + "/files/model.py", std::nullopt, dev);
  ASSERT_EQ(model.status, 200);
  EXPECT_NE(model.body.find("def solve(data: dict, options: dict | None = None) -> dict"),
            std::string::npos);
  const std::string first = head_of(dev, "grace/knapsack");
  EXPECT_EQ(model.headers["X-Orsa-Commit"], first);

  // Optimistic concurrency: a write based on the current head lands; one
  // based on a stale head is refused with the current head.
  auto put = api_->raw("PUT", base + "/files/data/extra.json?message=Add%20data", "{\"a\":1}", dev,
                       {{"If-Match", first}});
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string second = put.json["commit"]["sha"];
  EXPECT_EQ(put.json["commit"]["message"], "Add data");
  EXPECT_EQ(put.json["commit"]["parents"][0], first);
  auto stale = api_->raw("PUT", base + "/files/model.py", "print(1)", dev, {{"If-Match", first}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.json["error"]["current_head"], second);
  EXPECT_EQ(head_of(dev, "grace/knapsack"), second);

  // Atomic multi-file commit.
  auto commit = api_->call(
      "POST", base + "/commits",
      Json{{"message", "Rework"},
           {"expected_head", second},
           {"changes",
            Json::array({Json{{"path", "model.py"}, {"content", "def solve(d): return d\n"}},
                         Json{{"path", "data/extra.json"}, {"delete", true}},
                         Json{{"path", "lib/util.py"}, {"content", "X = 1\n"}}})}},
      dev);
  ASSERT_EQ(commit.status, 201) << commit.body;
  EXPECT_EQ(api_->call("GET", base + "/files/data/extra.json", std::nullopt, dev).status, 404);
  EXPECT_EQ(api_->call("GET", base + "/files/lib/util.py", std::nullopt, dev).body, "X = 1\n");
  // Reading at an older ref still gives the old content.
  EXPECT_EQ(
      api_->call("GET", base + "/files/data/extra.json?ref=" + second, std::nullopt, dev).body,
      "{\"a\":1}");

  auto del = api_->call("DELETE", base + "/files/lib/util.py", std::nullopt, dev);
  ASSERT_EQ(del.status, 200);

  auto history = api_->call("GET", base + "/commits?limit=10", std::nullopt, dev);
  ASSERT_EQ(history.status, 200);
  ASSERT_EQ(history.json["commits"].size(), 4u);
  EXPECT_EQ(history.json["commits"][1]["message"], "Rework");
  EXPECT_EQ(history.json["commits"][3]["sha"], first);
  EXPECT_EQ(history.json["commits"][0]["author"]["email"], "grace@example.org");

  // Archive upload replaces the tree in one commit.
  auto archive = api_->raw("POST", base + "/archive",
                           make_tar_gz({{"./model.py", "def solve(d):\n  return {}\n"},
                                        {"orsa.toml", "[service]\n"},
                                        {"pkg/__init__.py", ""}}),
                           dev, {{"Content-Type", "application/gzip"}});
  ASSERT_EQ(archive.status, 201) << archive.body;
  auto after = api_->call("GET", base + "/files", std::nullopt, dev);
  EXPECT_EQ(after.json["files"].size(), 3u);

  auto list = api_->call("GET", "/api/v1/projects", std::nullopt, dev);
  ASSERT_EQ(list.json["projects"].size(), 1u);
  EXPECT_EQ(api_->call("DELETE", base, std::nullopt, dev).status, 204);
  EXPECT_EQ(api_->call("GET", base, std::nullopt, dev).status, 404);
  EXPECT_FALSE(std::filesystem::exists(deployer_->data_dir() / "repos/grace/knapsack.git"));
  // The name is free again.
  EXPECT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "knapsack"}}, dev).status, 201);
}

TEST_F(ApiFlow, ProjectsStartFromExamples) {
  EXPECT_EQ(api_->call("GET", "/api/v1/examples").status, 401);
  const std::string dev = api_->register_user("ada");
  auto listed = api_->call("GET", "/api/v1/examples", std::nullopt, dev);
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::vector<std::string> names;
  for (const auto& e : listed.json["examples"]) {
    names.push_back(e["name"]);
    EXPECT_FALSE(e["title"].get<std::string>().empty());
    EXPECT_FALSE(e["summary"].get<std::string>().empty());
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"blend", "facility-location", "sudoku", "transportation"}));

  auto created = api_->call("POST", "/api/v1/projects",
                            Json{{"name", "beer"}, {"example", "transportation"}}, dev);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["template"], "python-flask");
  EXPECT_EQ(created.json["head"]["message"], "Create project from example transportation");
  auto input = api_->call("GET", "/api/v1/projects/ada/beer/files/input.json", std::nullopt, dev);
  ASSERT_EQ(input.status, 200);
  EXPECT_NE(input.body.find("\"supply\""), std::string::npos);
  // Naming the default template beside an example is allowed: it is the one used.
  EXPECT_EQ(
      api_->call("POST", "/api/v1/projects",
                 Json{{"name", "grid"}, {"example", "sudoku"}, {"template", "python-flask"}}, dev)
          .status,
      201);

  auto unknown = api_->call("POST", "/api/v1/projects",
                            Json{{"name", "x"}, {"example", "knapsack-deluxe"}}, dev);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("blend, facility-location, sudoku, transportation"),
            std::string::npos)
      << unknown.body;
  auto both = api_->call("POST", "/api/v1/projects",
                         Json{{"name", "x"}, {"example", "blend"}, {"template", "other"}}, dev);
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body.find("exclusive"), std::string::npos) << both.body;
  EXPECT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "x"}, {"example", 7}}, dev).status,
            400);
  auto mine = api_->call("GET", "/api/v1/projects", std::nullopt, dev);
  EXPECT_EQ(mine.json["projects"].size(), 2u) << "a refused create left a project";
}

TEST_F(ApiFlow, CommitDiffsShowWhatChanged) {
  const std::string dev = api_->register_user("linus");
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "lp"}}, dev).status, 201);
  const std::string base = "/api/v1/projects/linus/lp";
  const std::string first = head_of(dev, "linus/lp");
  auto commit = api_->call(
      "POST", base + "/commits",
      Json{{"message", "Tune"},
           {"changes", Json::array({Json{{"path", "model.py"}, {"content", "print(42)\n"}},
                                    Json{{"path", "README.md"}, {"delete", true}},
                                    Json{{"path", "data/a.csv"}, {"content", "x,y\n1,2\n"}}})}},
      dev);
  ASSERT_EQ(commit.status, 201) << commit.body;
  const std::string second = commit.json["commit"]["sha"];

  auto diff = api_->call("GET", base + "/commits/" + second.substr(0, 10), std::nullopt, dev);
  ASSERT_EQ(diff.status, 200) << diff.body;
  EXPECT_EQ(diff.json["commit"]["sha"], second);
  EXPECT_EQ(diff.json["commit"]["message"], "Tune");
  EXPECT_EQ(diff.json["commit"]["parents"][0], first);
  EXPECT_EQ(diff.json["commit"]["author"]["name"], "linus");
  EXPECT_EQ(diff.json["truncated"], false);
  std::map<std::string, Json> files;
  for (const auto& f : diff.json["files"]) files[f["path"].get<std::string>()] = f;
  ASSERT_EQ(files.size(), 3u) << diff.body;
  EXPECT_EQ(files["data/a.csv"]["status"], "added");
  EXPECT_EQ(files["data/a.csv"]["additions"], 2);
  EXPECT_EQ(files["README.md"]["status"], "deleted");
  EXPECT_EQ(files["model.py"]["status"], "modified");
  EXPECT_EQ(files["model.py"]["binary"], false);
  EXPECT_EQ(files["model.py"]["additions"], 1);
  const std::string patch = files["model.py"]["patch"];
  EXPECT_NE(patch.find("+print(42)"), std::string::npos) << patch;
  EXPECT_FALSE(files["model.py"].contains("old_path"));

  // The first commit is diffed against the empty tree.
  auto root = api_->call("GET", base + "/commits/" + first, std::nullopt, dev);
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_TRUE(root.json["commit"]["parents"].empty());
  ASSERT_EQ(root.json["files"].size(), 4u);
  for (const auto& f : root.json["files"]) EXPECT_EQ(f["status"], "added") << f.dump();

  auto bad = api_->call("GET", base + "/commits/not-a-sha", std::nullopt, dev);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.error_message().find("not-a-sha"), std::string::npos) << bad.body;
  auto unknown = api_->call("GET", base + "/commits/" + std::string(40, '0'), std::nullopt, dev);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.error_code(), "not_found");
  // Another developer's project is not found; an admin may read it.
  const std::string other = api_->register_user("mallory");
  EXPECT_EQ(api_->call("GET", base + "/commits/" + second, std::nullopt, other).status, 404);
  EXPECT_EQ(api_->call("GET", base + "/commits/" + second, std::nullopt, admin_).status, 200);
}

TEST_F(ApiFlow, StateSurvivesARestartAndShutdownIsGraceful) {
  const std::string dev = api_->register_user("heidi");
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "lp"}}, dev).status, 201);
  const auto data_dir = deployer_->data_dir();
  const auto database = deployer_->database_url();
  EXPECT_EQ(deployer_->stop(), 0) << deployer_->output();

  auto again = DeployerProcess::start({.data_dir = data_dir, .database_url = database});
  ApiClient api(again->url());
  // The same signing key: the old session is still valid.
  EXPECT_EQ(api.call("GET", "/api/v1/projects/heidi/lp", std::nullopt, dev).status, 200);
  EXPECT_EQ(api.call("GET", "/api/v1/users", std::nullopt,
                     api.login("admin", DeployerProcess::kAdminPassword))
                .json["users"]
                .size(),
            2u);
  EXPECT_EQ(again->stop(), 0);
}

TEST(Tls, BehindHttpsCookiesAreHostPrefixedSecureAndHstsIsSent) {
  auto deployer = DeployerProcess::start({.args = {"--public-url", "https://orsa.example.net"}});
  ApiClient api(deployer->url());
  auto login = api.call("POST", "/api/v1/auth/login",
                        Json{{"username", "admin"}, {"password", DeployerProcess::kAdminPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.headers["strict-transport-security"], "max-age=31536000");
  ASSERT_EQ(login.set_cookies.size(), 2u);
  for (const auto& cookie : login.set_cookies) {
    EXPECT_TRUE(cookie.starts_with("__Host-orsa_")) << cookie;
    EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Domain"), std::string::npos) << cookie;
  }
  const std::string token = login.json["token"];
  // A cookie without the prefix may have been planted by a sibling host: refused.
  auto planted =
      api.call("GET", "/api/v1/me", std::nullopt, "", {{"Cookie", "orsa_session=" + token}});
  EXPECT_EQ(planted.status, 401) << planted.body;
  auto own =
      api.call("GET", "/api/v1/me", std::nullopt, "", {{"Cookie", "__Host-orsa_session=" + token}});
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(api.call("GET", "/healthz").headers["strict-transport-security"], "max-age=31536000");
}

TEST(Tls, WithoutTlsNoHstsAndPlainCookies) {
  auto deployer = DeployerProcess::start();
  ApiClient api(deployer->url());
  auto login = api.call("POST", "/api/v1/auth/login",
                        Json{{"username", "admin"}, {"password", DeployerProcess::kAdminPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_FALSE(login.headers.contains("strict-transport-security"));
  ASSERT_FALSE(login.set_cookies.empty());
  EXPECT_TRUE(login.set_cookies.front().starts_with("orsa_session=")) << login.set_cookies.front();
}

TEST(Bootstrap, GeneratesAndPrintsAnAdminPasswordOnce) {
  auto deployer = DeployerProcess::start({.set_admin_password = false});
  const std::string out = deployer->output();
  const auto start = out.find("password '");
  ASSERT_NE(start, std::string::npos) << out;
  const auto end = out.find('\'', start + 10);
  const std::string password = out.substr(start + 10, end - start - 10);
  EXPECT_GE(password.size(), 20u);
  ApiClient api(deployer->url());
  EXPECT_NO_THROW(api.login("admin", password));
  auto secret_mode = std::filesystem::status(deployer->data_dir() / "secret.key").permissions();
  EXPECT_EQ(secret_mode & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

TEST(Registration, ClosedRegistrationLeavesUserCreationToAdmins) {
  auto deployer = DeployerProcess::start({.args = {"--registration", "closed"}});
  ApiClient api(deployer->url());
  auto reg = api.call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "ivan"}, {"email", "ivan@example.org"}, {"password", "password-1234"}});
  EXPECT_EQ(reg.status, 403);
  const std::string admin = api.login("admin", DeployerProcess::kAdminPassword);
  auto created = api.call("POST", "/api/v1/users",
                          Json{{"username", "ivan"},
                               {"email", "ivan@example.org"},
                               {"password", "password-1234"},
                               {"role", "viewer"}},
                          admin);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json["role"], "viewer");
  EXPECT_NO_THROW(api.login("ivan", "password-1234"));
}

}  // namespace
}  // namespace orsa::testing

namespace orsa::testing {
namespace {

TEST(EnsureBase, BuildsAMissingBaseImageOnceAtStart) {
  auto deployer = DeployerProcess::start({.args = {"--ensure-base", "busybox"}});
  ApiClient api(deployer->url());
  const std::string admin = api.login("admin", DeployerProcess::kAdminPassword);
  Json tags;
  EXPECT_TRUE(eventually(
      60s,
      [&] {
        auto res = api.call("GET", "/v2/orsa/base-busybox/tags/list", std::nullopt, admin);
        if (res.status != 200 || res.json["tags"].size() != 2) return false;
        tags = res.json["tags"];
        return true;
      },
      "the base image's two tags"));
  ASSERT_EQ(tags.size(), 2u) << deployer->output();
  EXPECT_EQ(tags[1], "latest");
  EXPECT_TRUE(tags[0].get<std::string>().starts_with("busybox-"));
  // Every signed-in user may pull bases; the namespace is the admins' to push.
  const std::string dev = api.register_user("pat");
  EXPECT_EQ(api.call("GET", "/v2/orsa/base-busybox/manifests/latest", std::nullopt, dev,
                     {{"Accept", "application/vnd.oci.image.manifest.v1+json"}})
                .status,
            200);
}

// The web app beside the API: files, client routes and headers from
// --web-dir, while API paths keep their JSON errors.
TEST(WebApp, IsServedBesideTheApi) {
  TempDir web("orsa-web-dist");
  const std::string index = "<!doctype html><title>ORSA</title>";
  std::filesystem::create_directories(web.path() / "assets");
  std::ofstream(web.path() / "index.html") << index;
  std::ofstream(web.path() / "assets/index-3f2a.js") << "export {}";
  auto deployer = DeployerProcess::start({.args = {"--web-dir", web.path().string()}});
  ApiClient api(deployer->url());

  for (const char* path : {"/", "/projects/ada/lp"}) {
    auto page = api.call("GET", path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body, index) << path;
    EXPECT_EQ(page.headers["Cache-Control"], "no-cache") << path;
    EXPECT_EQ(page.headers["Content-Type"], "text/html; charset=utf-8") << path;
    EXPECT_NE(page.headers["Content-Security-Policy"].find("default-src 'self'"),
              std::string::npos);
  }
  auto script = api.call("GET", "/assets/index-3f2a.js");
  EXPECT_EQ(script.body, "export {}");
  EXPECT_EQ(script.headers["Content-Type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers["Cache-Control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(script.headers["X-Content-Type-Options"], "nosniff");
  auto again = api.call("GET", "/assets/index-3f2a.js", std::nullopt, "",
                        {{"If-None-Match", script.headers["ETag"]}});
  EXPECT_EQ(again.status, 304);

  auto nope = api.call("GET", "/api/v1/nope");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(nope.error_code(), "not_found");
  EXPECT_EQ(api.call("POST", "/api/v1/nope").status, 404);
  EXPECT_EQ(api.call("GET", "/api/v1/auth/login").status, 405);
  EXPECT_EQ(api.call("GET", "/v2/_catalog").status, 401);
  EXPECT_EQ(api.call("GET", "/healthz").json["status"], "ok");
}

TEST(WebApp, WithoutABuildTheRootExplainsHowToBuildIt) {
  auto deployer = DeployerProcess::start({.args = {"--web-dir", "/nonexistent/orsa-web"}});
  ApiClient api(deployer->url());
  auto root = api.call("GET", "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("make run"), std::string::npos) << root.body;
  EXPECT_EQ(api.call("GET", "/healthz").status, 200);
  EXPECT_EQ(api.call("GET", "/api/v1/nope").error_code(), "not_found");
}

}  // namespace
}  // namespace orsa::testing
