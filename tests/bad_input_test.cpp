// Bad input of every kind gets a clear 4xx JSON error, the server keeps
// serving, and nothing is written.

#include <gtest/gtest.h>

#include <thread>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"
#include "testing/eventually.hpp"

namespace orsa::testing {
namespace {

using namespace std::chrono_literals;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    deployer_ = DeployerProcess::start();
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
    dev_ = api_->register_user("mallory");
    ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "target"}}, dev_).status, 201);
  }

  // Everything a bad request could have changed.
  std::string state() const {
    return api_->call("GET", "/api/v1/projects/mallory/target/commits", std::nullopt, dev_).body +
           api_->call("GET", "/api/v1/projects/mallory/target/files", std::nullopt, dev_).body +
           api_->call("GET", "/api/v1/projects", std::nullopt, admin_).body +
           api_->call("GET", "/api/v1/users", std::nullopt, admin_).body +
           api_->call("GET", "/api/v1/tokens", std::nullopt, admin_).body;
  }

  void expect_error(const ApiResponse& res, int status, const std::string& message_part,
                    const std::string& what) const {
    EXPECT_EQ(res.status, status) << what << ": " << res.body;
    EXPECT_FALSE(res.error_code().empty()) << what << ": " << res.body;
    EXPECT_NE(res.error_message().find(message_part), std::string::npos)
        << what << ": expected '" << message_part << "' in " << res.body;
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_, dev_;
};

TEST_F(BadInput, MalformedAndMistypedJsonNamesTheProblem) {
  const std::string before = state();
  const HeaderList json = {{"Content-Type", "application/json"}};
  expect_error(api_->raw("POST", "/api/v1/projects", "{\"name\":", dev_, json), 400,
               "not valid JSON", "truncated JSON");
  expect_error(api_->raw("POST", "/api/v1/projects", "[]", dev_, json), 400, "JSON object",
               "array");
  expect_error(api_->call("POST", "/api/v1/projects", Json{{"name", 7}}, dev_), 400, "'name'",
               "wrong type");
  expect_error(api_->call("POST", "/api/v1/projects", Json::object(), dev_), 400, "'name'",
               "missing field");
  expect_error(
      api_->call("POST", "/api/v1/projects", Json{{"name", "ok"}, {"colour", "red"}}, dev_), 400,
      "'colour'", "unknown field");
  expect_error(
      api_->call("POST", "/api/v1/projects", Json{{"name", "x"}, {"template", "cobol"}}, dev_), 400,
      "python-flask", "unknown template");
  expect_error(api_->call("POST", "/api/v1/auth/register", Json{{"username", "u"}}), 400, "'email'",
               "register missing email");
  expect_error(api_->call("POST", "/api/v1/auth/login", Json{{"username", "admin"}}), 400,
               "'password'", "login missing password");
  expect_error(
      api_->call("POST", "/api/v1/tokens", Json{{"name", "t"}, {"expires_in_days", "soon"}}, dev_),
      400, "'expires_in_days'", "token expiry type");
  expect_error(
      api_->call("POST", "/api/v1/tokens", Json{{"name", "t"}, {"expires_in_days", 99999}}, dev_),
      400, "expires_in_days", "token expiry range");
  expect_error(api_->call("POST", "/api/v1/projects/mallory/target/commits",
                          Json{{"changes", Json::array({Json{{"path", "a"}}})}}, dev_),
               400, "changes[0]", "change without content");
  expect_error(api_->call("POST", "/api/v1/projects/mallory/target/commits",
                          Json{{"changes", Json::array()}}, dev_),
               400, "changes", "empty changes");
  expect_error(
      api_->call("GET", "/api/v1/projects/mallory/target/commits?limit=abc", std::nullopt, dev_),
      400, "limit", "bad limit");
  expect_error(api_->call("POST", "/api/v1/deployments", Json::object(), dev_), 400, "'image_id'",
               "deploy without an image");
  expect_error(
      api_->call("POST", "/api/v1/deployments", Json{{"image_id", "i"}, {"cpus", "two"}}, dev_),
      400, "cpus", "cpus type");
  expect_error(
      api_->call("POST", "/api/v1/deployments", Json{{"image_id", "i"}, {"replicas", "2"}}, dev_),
      400, "replicas", "replicas type");
  expect_error(api_->call("POST", "/api/v1/deployments",
                          Json{{"image_id", "i"}, {"env", Json{{"A", 1}}}}, dev_),
               400, "env.A", "env value type");
  expect_error(api_->call("POST", "/api/v1/deployments",
                          Json{{"image_id", "i"}, {"visibility", "secret"}}, dev_),
               400, "visibility", "bad visibility");
  expect_error(
      api_->call("POST", "/api/v1/deployments", Json{{"image_id", "i"}, {"port", 80}}, dev_), 400,
      "'port'", "unknown deploy field");
  expect_error(api_->call("GET", "/api/v1/deployments?project=nope", std::nullopt, dev_), 400,
               "owner/name", "bad project filter");
  expect_error(api_->call("GET", "/api/v1/deployments/dep_x/logs?tail=-1", std::nullopt, dev_), 400,
               "tail", "bad tail");
  const std::string admin_id = api_->call("GET", "/api/v1/me", std::nullopt, admin_).json["id"];
  const std::string dev_id = api_->call("GET", "/api/v1/me", std::nullopt, dev_).json["id"];
  expect_error(api_->call("PATCH", "/api/v1/users/" + dev_id, Json{{"role", "god"}}, admin_), 400,
               "role", "bad role");
  (void)admin_id;
  EXPECT_EQ(state(), before);
}

TEST_F(BadInput, OversizedBodiesAre413) {
  const std::string before = state();
  const std::string twenty_mib(20 * 1024 * 1024, 'x');
  expect_error(api_->raw("POST", "/api/v1/projects", twenty_mib, dev_,
                         {{"Content-Type", "application/json"}}),
               413, "exceeds", "20 MiB JSON body");
  expect_error(api_->raw("PUT", "/api/v1/projects/mallory/target/files/big.bin",
                         std::string(2 * 1024 * 1024 + 1, 'x'), dev_),
               413, "exceeds", "file over 2 MiB");
  EXPECT_EQ(api_->call("GET", "/healthz").status, 200);
  EXPECT_EQ(state(), before);
}

// `curl --data-binary @model.py` without a model.py sends an empty body; the
// server must not turn that accident into an empty model.
TEST_F(BadInput, AnEmptyFileBodyNeedsAllowEmpty) {
  const std::string before = state();
  const std::string model = "/api/v1/projects/mallory/target/files/model.py";
  expect_error(api_->raw("PUT", model, "", dev_), 400, "allow_empty=1", "empty body");
  EXPECT_EQ(state(), before);
  auto empty = api_->raw(
      "PUT", "/api/v1/projects/mallory/target/files/pkg/__init__.py?allow_empty=1", "", dev_);
  EXPECT_EQ(empty.status, 200) << empty.body;
  auto read = api_->raw("GET", "/api/v1/projects/mallory/target/files/pkg/__init__.py", "", dev_);
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, "");
}

TEST_F(BadInput, UnsafePathsAndNamesAreRefused) {
  const std::string before = state();
  const std::string files = "/api/v1/projects/mallory/target/files/";
  // Encoded so that neither client nor server normalises them away.
  for (const char* path : {"a%2F..%2Fb", "..%2Fescape", ".git%2Fconfig", "sub%2F.git%2FHEAD",
                           "a%00b", "%2Fetc%2Fpasswd"}) {
    auto res = api_->raw("PUT", files + path, "x", dev_);
    EXPECT_EQ(res.status, 400) << path << ": " << res.body;
    EXPECT_FALSE(res.error_message().empty()) << path;
  }
  const std::string long_name(300, 'a');
  expect_error(api_->raw("PUT", files + long_name, "x", dev_), 400, "255", "path over 255 bytes");
  expect_error(
      api_->call("POST", "/api/v1/projects/mallory/target/commits",
                 Json{{"changes", Json::array({Json{{"path", "../x"}, {"content", "x"}}})}}, dev_),
      400, "..", "traversal in a commit");
  for (const char* name : {"Bad_Name", "-lead", "UPPER", "dot.ted", "", "a/b"}) {
    auto res = api_->call("POST", "/api/v1/projects", Json{{"name", name}}, dev_);
    EXPECT_EQ(res.status, 400) << name << ": " << res.body;
  }
  auto user = api_->call(
      "POST", "/api/v1/auth/register",
      Json{{"username", "Not_A_Slug"}, {"email", "n@example.org"}, {"password", "password-1234"}});
  expect_error(user, 400, "username", "bad username");
  // Archives with symlinks or traversal are refused whole.
  for (const auto& archive : {make_tar_gz({{"model.py", "x"}, {"link", "symlink:/etc/passwd"}}),
                              make_tar_gz({{"../evil.py", "x"}}), std::string("not a tarball")}) {
    auto res = api_->raw("POST", "/api/v1/projects/mallory/target/archive", archive, dev_);
    EXPECT_EQ(res.status, 400) << res.body;
  }
  EXPECT_EQ(state(), before);
}

TEST_F(BadInput, UnknownIdsAre404) {
  expect_error(api_->call("DELETE", "/api/v1/tokens/tok_doesnotexist", std::nullopt, dev_), 404,
               "not found", "unknown token");
  expect_error(
      api_->call("PATCH", "/api/v1/users/usr_doesnotexist", Json{{"disabled", true}}, admin_), 404,
      "not found", "unknown user");
  expect_error(api_->call("GET", "/api/v1/projects/mallory/nothing", std::nullopt, dev_), 404,
               "not found", "unknown project");
  expect_error(
      api_->call("GET", "/api/v1/projects/mallory/target/files/nope.py", std::nullopt, dev_), 404,
      "not found", "unknown file");
  expect_error(
      api_->call("GET", "/api/v1/projects/mallory/target/files?ref=abcdef1234", std::nullopt, dev_),
      404, "not found", "unknown commit");
  expect_error(api_->call("GET", "/api/v1/no-such-route", std::nullopt, dev_), 404, "",
               "unknown route");
}

TEST_F(BadInput, ForgedRevokedAndExpiredCredentialsAre401) {
  const std::string before = state();
  // Change a signature character that carries only data bits (the last one
  // also carries padding bits that lenient decoders ignore).
  std::string forged = dev_;
  char& c = forged[forged.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  std::vector<std::string> bad_tokens = {forged, "orsa_" + std::string(43, 'A'), "garbage",
                                         "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."};
  const std::string secret =
      api_->call("POST", "/api/v1/tokens", Json{{"name", "short-lived"}}, dev_).json["secret"];
  const std::string id =
      api_->call("GET", "/api/v1/tokens", std::nullopt, dev_).json["tokens"][0]["id"];
  ASSERT_EQ(api_->call("DELETE", "/api/v1/tokens/" + id, std::nullopt, dev_).status, 204);
  bad_tokens.push_back(secret);
  for (const auto& token : bad_tokens) {
    auto res = api_->call("GET", "/api/v1/projects", std::nullopt, token);
    EXPECT_EQ(res.status, 401) << token;
    EXPECT_EQ(res.error_code(), "unauthenticated");
  }
  auto basic = api_->call("GET", "/api/v1/projects", std::nullopt, "",
                          {{"Authorization", "Basic YWRtaW46eA=="}});
  EXPECT_EQ(basic.status, 401);
  auto bad_cookie =
      api_->call("GET", "/api/v1/me", std::nullopt, "", {{"Cookie", "orsa_session=not.a.jwt"}});
  EXPECT_EQ(bad_cookie.status, 401);
  EXPECT_EQ(state(), before);
  EXPECT_EQ(api_->call("GET", "/healthz").status, 200);
}

TEST(ExpiredSession, SessionTokensStopWorkingAfterTheirLifetime) {
  auto deployer = DeployerProcess::start({.args = {"--session-ttl", "1s"}});
  ApiClient api(deployer->url());
  const std::string token = api.login("admin", DeployerProcess::kAdminPassword);
  int status = 200;
  EXPECT_TRUE(eventually(
      10s,
      [&] {
        status = api.call("GET", "/api/v1/me", std::nullopt, token).status;
        return status != 200;
      },
      "the session token to expire"));
  EXPECT_EQ(status, 401);
}

}  // namespace
}  // namespace orsa::testing
