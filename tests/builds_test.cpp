// The build queue against a real orsa-deployer with a FAKE builder: a shell
// script that reads its mode from the project's `fake_mode` file, prints
// progress and the result line like orsa-builder does. The real builder,
// registry and podman end to end are tested elsewhere.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Modes: ok (succeed), fail (builder error), gate (wait for the file
// <gates>/<project>-<tag>, then succeed), hang (until killed).
constexpr const char* kFakeBuilder = R"(#!/bin/bash
job="$3"
dir=$(dirname "$job")
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$job"; }
mode=$(tar -xzOf "$dir/source.tar.gz" fake_mode 2>/dev/null || echo ok)
repo=$(field target_repository)
tag=$(field target_tag)
project=$(field project)
echo "step extract"
echo "warning on stderr" >&2
[ -n "$ORSA_PUSH_TOKEN" ] && echo "token present"
[ -n "$ORSA_ADMIN_PASSWORD" ] && echo "LEAKED deployer environment"
case "$mode" in
  fail)
    echo '{"status":"failed","error":"orsa.toml: unknown key x"}'
    exit 1 ;;
  hang)
    echo "hanging"
    while :; do sleep 0.05; done ;;
  gate)
    echo "waiting for gate"
    while [ ! -e "GATES/$project-$tag" ]; do sleep 0.05; done
    echo "through the gate" ;;
esac
echo "step push"
echo "{\"status\":\"succeeded\",\"digest\":\"sha256:$(printf 'a%.0s' {1..64})\",\"size\":4242,\"repository\":\"$repo\",\"tag\":\"$tag\",\"steps_ms\":{}}"
)";

class Builds : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_.path();
    std::filesystem::create_directories(dir_ / "gates");
    std::string script = kFakeBuilder;
    script.replace(script.find("GATES"), 5, (dir_ / "gates").string());
    builder_ = dir_ / "fake-builder";
    std::ofstream(builder_) << script;
    std::filesystem::permissions(builder_, std::filesystem::perms::owner_all);
  }

  void TearDown() override {
    open_all_gates();
    deployer_.reset();
  }

  void start(std::vector<std::string> args = {}, DeployerOptions options = {}) {
    options.args = {"--builder-bin", builder_.string()};
    options.args.insert(options.args.end(), args.begin(), args.end());
    deployer_ = DeployerProcess::start(options);
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
  }

  /// Registers `user` with a project whose fake_mode is `mode`.
  std::string project(const std::string& user, const std::string& name, const std::string& mode) {
    const std::string token = users_.contains(user) ? users_[user] : api_->register_user(user);
    users_[user] = token;
    EXPECT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", name}}, token).status, 201);
    set_mode(token, user + "/" + name, mode);
    return token;
  }

  void set_mode(const std::string& token, const std::string& project, const std::string& mode) {
    auto put = api_->raw("PUT", "/api/v1/projects/" + project + "/files/fake_mode", mode, token);
    EXPECT_EQ(put.status, 200) << put.body;
  }

  Json queue(const std::string& token, const std::string& project) {
    auto res = api_->call("POST", "/api/v1/projects/" + project + "/builds", Json::object(), token);
    EXPECT_EQ(res.status, 202) << res.body;
    return res.json;
  }

  Json build(const std::string& token, const std::string& id) {
    return api_->call("GET", "/api/v1/builds/" + id, std::nullopt, token).json;
  }

  /// Polls until the build has `status`; returns the last view.
  Json wait_for(const std::string& token, const std::string& id, const std::string& status,
                std::chrono::seconds timeout = 20s) {
    Json view;
    EXPECT_TRUE(eventually(
        timeout,
        [&] {
          view = build(token, id);
          return view["status"] == status;
        },
        "build " + id + " to be " + status, [&] { return view.dump(); }));
    EXPECT_EQ(view["status"], status) << view.dump();
    return view;
  }

  void open_gate(const std::string& project, int tag) {
    std::ofstream(dir_ / "gates" / (project + "-" + std::to_string(tag))) << "go";
  }
  void open_all_gates() {
    for (const char* p : {"gated", "a", "b", "c", "knap"})
      for (int t = 1; t <= 5; ++t) open_gate(p, t);
  }

  TempDir scratch_{"orsa-builds-test"};
  std::filesystem::path dir_, builder_;
  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_;
  std::map<std::string, std::string> users_;
};

/// A raw HTTP/1.1 GET kept open, read incrementally (for SSE).
class StreamReader {
 public:
  StreamReader(const std::string& base_url, const std::string& path, const std::string& token)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const auto port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    const std::string request = "GET " + path +
                                " HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream" +
                                "\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
  }
  ~StreamReader() { ::close(fd_); }

  /// Reads until `needle` arrived; false at EOF or the deadline.
  bool read_until(std::string_view needle, std::chrono::seconds timeout = 20s) {
    const auto deadline = SteadyClock::now() + timeout;
    while (received_.find(needle) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  const std::string& received() const { return received_; }

 private:
  int fd_;
  std::string received_;
};

TEST_F(Builds, SucceededBuildRecordsItsImageAndLog) {
  start();
  const auto alice = project("alice", "knap", "ok");
  const Json queued = queue(alice, "alice/knap");
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_EQ(queued["number"], 1);
  EXPECT_EQ(queued["commit"].get<std::string>().size(), 40u);
  const std::string id = queued["id"];
  const Json done = wait_for(alice, id, "succeeded");
  EXPECT_TRUE(done["started_at"].is_string());
  EXPECT_TRUE(done["finished_at"].is_string());
  EXPECT_TRUE(done["duration_s"].is_number());
  EXPECT_TRUE(done["error"].is_null());
  ASSERT_TRUE(done["image_id"].is_string()) << done.dump();

  auto log = api_->call("GET", "/api/v1/builds/" + id + "/logs", std::nullopt, alice);
  ASSERT_EQ(log.status, 200);
  EXPECT_NE(log.headers["content-type"].find("text/plain"), std::string::npos);
  for (const char* line : {"step extract", "warning on stderr", "token present", "step push"}) {
    EXPECT_NE(log.body.find(line), std::string::npos) << line << " in " << log.body;
  }
  EXPECT_EQ(log.body.find("LEAKED"), std::string::npos) << log.body;
  EXPECT_TRUE(std::filesystem::exists(deployer_->data_dir() / "builds" / (id + ".log")));

  auto images = api_->call("GET", "/api/v1/projects/alice/knap/images", std::nullopt, alice);
  ASSERT_EQ(images.status, 200);
  ASSERT_EQ(images.json["images"].size(), 1u);
  const Json image = images.json["images"][0];
  EXPECT_EQ(image["id"], done["image_id"]);
  EXPECT_EQ(image["repository"], "alice/knap");
  EXPECT_EQ(image["tag"], "1");
  EXPECT_EQ(image["size"], 4242);
  EXPECT_EQ(image["build_id"], id);
  EXPECT_EQ(image["commit"], queued["commit"]);
  EXPECT_EQ(api_->call("GET", "/api/v1/images", std::nullopt, alice).json["images"].size(), 1u);
  EXPECT_EQ(api_->call("GET", "/api/v1/images", std::nullopt, admin_).json["images"].size(), 1u);

  // A second build is number 2; listing is newest first.
  const std::string second = queue(alice, "alice/knap")["id"];
  wait_for(alice, second, "succeeded");
  auto list = api_->call("GET", "/api/v1/projects/alice/knap/builds", std::nullopt, alice);
  ASSERT_EQ(list.json["builds"].size(), 2u);
  EXPECT_EQ(list.json["builds"][0]["number"], 2);

  const std::string image_path = "/api/v1/images/" + image["id"].get<std::string>();
  EXPECT_EQ(api_->call("GET", image_path, std::nullopt, alice).status, 200);
  EXPECT_EQ(api_->call("DELETE", image_path, std::nullopt, alice).status, 204);
  EXPECT_EQ(api_->call("GET", image_path, std::nullopt, alice).status, 404);
}

TEST_F(Builds, CommitsAndBuildsAppearInTheAuditWithTheUsername) {
  start();
  const auto alice = project("alice", "knap", "ok");  // the fake_mode file is a commit
  const std::string id = queue(alice, "alice/knap")["id"];
  wait_for(alice, id, "succeeded");

  auto audit = api_->call("GET", "/api/v1/admin/audit", std::nullopt, admin_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto find = [&](const std::string& action, const std::string& target) {
    for (const auto& e : audit.json["events"])
      if (e["action"] == action && e["target"] == target) return e;
    return Json();
  };
  const Json commit = find("project_commit", "project:alice/knap");
  ASSERT_TRUE(commit.is_object()) << audit.body;
  EXPECT_EQ(commit["actor"], "alice");
  EXPECT_TRUE(commit["actor_id"].get<std::string>().starts_with("usr_"));
  EXPECT_TRUE(commit["detail"].get<std::string>().starts_with("commit ")) << commit.dump();
  const Json build = find("build_create", "build:" + id);
  ASSERT_TRUE(build.is_object()) << audit.body;
  EXPECT_EQ(build["actor"], "alice");
  EXPECT_EQ(build["detail"].get<std::string>().find("project alice/knap #1"), 0u) << build.dump();
  // A failed login as nobody has no actor, and says so.
  EXPECT_EQ(api_->call("POST", "/api/v1/auth/login",
                       Json{{"username", "nobody"}, {"password", "wrong-password-1"}})
                .status,
            401);
  audit = api_->call("GET", "/api/v1/admin/audit", std::nullopt, admin_);
  const Json failed = find("login_failed", "login:nobody");
  ASSERT_TRUE(failed.is_object()) << audit.body;
  EXPECT_TRUE(failed["actor"].is_null());
}

TEST_F(Builds, FailedBuildCarriesTheBuilderMessageAndNoImage) {
  start();
  const auto alice = project("alice", "knap", "fail");
  const Json failed = wait_for(alice, queue(alice, "alice/knap")["id"], "failed");
  EXPECT_EQ(failed["error"], "orsa.toml: unknown key x");
  EXPECT_TRUE(failed["image_id"].is_null());
  EXPECT_TRUE(api_->call("GET", "/api/v1/images", std::nullopt, alice).json["images"].empty());
}

TEST_F(Builds, LogStreamSendsHistoryThenLiveLinesThenTheEnd) {
  start();
  const auto alice = project("alice", "gated", "gate");
  const std::string id = queue(alice, "alice/gated")["id"];
  wait_for(alice, id, "running");
  StreamReader sse(deployer_->url(), "/api/v1/builds/" + id + "/logs", alice);
  ASSERT_TRUE(sse.read_until("data: waiting for gate\n\n")) << sse.received();
  EXPECT_NE(sse.received().find("text/event-stream"), std::string::npos);
  EXPECT_LT(sse.received().find("data: step extract"), sse.received().find("data: waiting"));
  // Live: this line does not exist until the gate opens.
  EXPECT_EQ(sse.received().find("through the gate"), std::string::npos);
  open_gate("gated", 1);
  ASSERT_TRUE(sse.read_until("data: through the gate\n\n")) << sse.received();
  ASSERT_TRUE(sse.read_until("event: end\ndata: {")) << sse.received();
  ASSERT_TRUE(sse.read_until("}\n\n")) << sse.received();
  EXPECT_NE(sse.received().find("\"status\":\"succeeded\""), std::string::npos) << sse.received();

  // A finished build's stream is its whole history and the end event.
  StreamReader after(deployer_->url(), "/api/v1/builds/" + id + "/logs", alice);
  ASSERT_TRUE(after.read_until("event: end")) << after.received();
  EXPECT_NE(after.received().find("data: through the gate"), std::string::npos);
}

TEST_F(Builds, CancelStopsARunningBuild) {
  start();
  const auto alice = project("alice", "knap", "hang");
  const std::string id = queue(alice, "alice/knap")["id"];
  wait_for(alice, id, "running");
  auto cancel = api_->call("POST", "/api/v1/builds/" + id + "/cancel", std::nullopt, alice);
  EXPECT_EQ(cancel.status, 202) << cancel.body;
  const Json canceled = wait_for(alice, id, "canceled");
  EXPECT_EQ(canceled["error"], "canceled");
  EXPECT_TRUE(canceled["finished_at"].is_string());
  EXPECT_EQ(api_->call("POST", "/api/v1/builds/" + id + "/cancel", std::nullopt, alice).status,
            409);
}

TEST_F(Builds, TimeoutKillsTheBuilder) {
  start({"--build-timeout", "2s"});
  const auto alice = project("alice", "knap", "hang");
  const Json failed = wait_for(alice, queue(alice, "alice/knap")["id"], "failed");
  EXPECT_EQ(failed["error"], "timed out after 2s");
}

TEST_F(Builds, PoolRunsAtMostMaxBuildsAtOnce) {
  start({"--max-builds", "2"});
  const auto alice = project("alice", "gated", "gate");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(queue(alice, "alice/gated")["id"]);
  wait_for(alice, ids[0], "running");
  wait_for(alice, ids[1], "running");
  EXPECT_EQ(build(alice, ids[2])["status"], "queued");
  // A queued build can be canceled before it ever runs...
  open_gate("gated", 1);
  wait_for(alice, ids[0], "succeeded");
  // ...and the freed slot goes to the third.
  wait_for(alice, ids[2], "running");
  open_gate("gated", 2);
  open_gate("gated", 3);
  wait_for(alice, ids[2], "succeeded");
}

TEST_F(Builds, QueuedBuildCanBeCanceledBeforeItRuns) {
  start({"--max-builds", "1"});
  const auto alice = project("alice", "gated", "gate");
  const std::string first = queue(alice, "alice/gated")["id"];
  const std::string second = queue(alice, "alice/gated")["id"];
  wait_for(alice, first, "running");
  auto cancel = api_->call("POST", "/api/v1/builds/" + second + "/cancel", std::nullopt, alice);
  ASSERT_EQ(cancel.status, 202) << cancel.body;
  EXPECT_EQ(cancel.json["status"], "canceled");
  open_gate("gated", 1);
  wait_for(alice, first, "succeeded");
  EXPECT_EQ(build(alice, second)["status"], "canceled");
  EXPECT_TRUE(build(alice, second)["started_at"].is_null());
}

// A build that a killed process left running is run again once (ADR 0019:
// with several instances, whichever takes it over), then the queued ones.
TEST_F(Builds, RestartRunsAnInterruptedBuildAgainThenTheQueuedOnes) {
  start({"--max-builds", "1"});
  const auto alice = project("alice", "gated", "gate");
  const std::string running = queue(alice, "alice/gated")["id"];
  const std::string queued = queue(alice, "alice/gated")["id"];
  wait_for(alice, running, "running");
  deployer_->kill();
  open_gate("gated", 1);  // lets the orphaned fake builder exit, and the re-run through

  DeployerOptions again;
  again.data_dir = deployer_->data_dir();
  again.database_url = deployer_->database_url();
  auto first = std::move(deployer_);
  start({"--max-builds", "1"}, again);
  const std::string token = api_->login("alice", "password-1234");
  const Json rerun = wait_for(token, running, "succeeded");
  EXPECT_TRUE(rerun["image_id"].is_string()) << rerun.dump();
  const auto log = api_->call("GET", "/api/v1/builds/" + running + "/logs", std::nullopt, token);
  EXPECT_NE(
      log.body.find("queued again: this instance's previous process stopped while building it"),
      std::string::npos)
      << log.body;
  wait_for(token, queued, "running");
  open_gate("gated", 2);
  wait_for(token, queued, "succeeded");
  deployer_.reset();  // before `first` removes the shared data directory
}

// A build that dies with its process every time does not go round forever:
// the second interrupted start fails it "interrupted".
TEST_F(Builds, ABuildInterruptedTwiceFails) {
  start();
  // A gate never opened while the test runs (TearDown opens it, so the
  // builders the killed processes left exit).
  const auto alice = project("alice", "gated", "gate");
  const std::string id = queue(alice, "alice/gated")["id"];
  wait_for(alice, id, "running");
  DeployerOptions again;
  again.data_dir = deployer_->data_dir();
  again.database_url = deployer_->database_url();
  std::vector<std::unique_ptr<DeployerProcess>> killed;
  for (int restart = 1; restart <= 2; ++restart) {
    deployer_->kill();
    killed.push_back(std::move(deployer_));
    start({}, again);
    const std::string token = api_->login("alice", "password-1234");
    if (restart == 1) {
      wait_for(token, id, "running");  // started again: attempt 2
    } else {
      const Json failed = wait_for(token, id, "failed");
      EXPECT_EQ(failed["error"], "interrupted");
    }
  }
  deployer_.reset();  // before the killed ones remove the shared data directory
  killed.clear();
}

TEST_F(Builds, OtherTenantsSeeNothingAndViewersCannotBuild) {
  start();
  const auto alice = project("alice", "knap", "ok");
  const std::string id = queue(alice, "alice/knap")["id"];
  const std::string image_id = wait_for(alice, id, "succeeded")["image_id"];
  const auto bob = api_->register_user("bob");
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/builds/" + id},
           {"GET", "/api/v1/builds/" + id + "/logs"},
           {"POST", "/api/v1/builds/" + id + "/cancel"},
           {"GET", "/api/v1/projects/alice/knap/builds"},
           {"POST", "/api/v1/projects/alice/knap/builds"},
           {"GET", "/api/v1/projects/alice/knap/images"},
           {"GET", "/api/v1/images/" + image_id},
           {"DELETE", "/api/v1/images/" + image_id},
       }) {
    auto res = api_->call(method, path, std::nullopt, bob);
    EXPECT_EQ(res.status, 404) << method << " " << path << ": " << res.body;
    EXPECT_EQ(api_->call(method, path).status, 401) << method << " " << path;
  }
  StreamReader sse(deployer_->url(), "/api/v1/builds/" + id + "/logs", bob);
  ASSERT_TRUE(sse.read_until("\r\n\r\n"));
  EXPECT_TRUE(sse.received().starts_with("HTTP/1.1 404")) << sse.received();
  EXPECT_TRUE(api_->call("GET", "/api/v1/images", std::nullopt, bob).json["images"].empty());

  const std::string alice_id = api_->call("GET", "/api/v1/me", std::nullopt, alice).json["id"];
  ASSERT_EQ(
      api_->call("PATCH", "/api/v1/users/" + alice_id, Json{{"role", "viewer"}}, admin_).status,
      200);
  EXPECT_EQ(api_->call("POST", "/api/v1/projects/alice/knap/builds", Json::object(), alice).status,
            403);
  EXPECT_EQ(api_->call("POST", "/api/v1/builds/" + id + "/cancel", std::nullopt, alice).status,
            403);
  EXPECT_EQ(api_->call("DELETE", "/api/v1/images/" + image_id, std::nullopt, alice).status, 403);
  EXPECT_EQ(api_->call("GET", "/api/v1/builds/" + id, std::nullopt, alice).status, 200);
  // Admins see everyone's.
  EXPECT_EQ(api_->call("GET", "/api/v1/builds/" + id, std::nullopt, admin_).status, 200);
}

TEST_F(Builds, BadInputIsRejected) {
  start();
  const auto alice = project("alice", "knap", "ok");
  const std::string path = "/api/v1/projects/alice/knap/builds";
  auto unknown_ref = api_->call("POST", path, Json{{"ref", "0123456789abcdef"}}, alice);
  EXPECT_TRUE(unknown_ref.status == 404 || unknown_ref.status == 400) << unknown_ref.body;
  EXPECT_EQ(api_->call("POST", path, Json{{"ref", 7}}, alice).status, 400);
  EXPECT_EQ(api_->call("POST", path, Json{{"branch", "main"}}, alice).status, 400);
  EXPECT_EQ(
      api_->raw("POST", path, "{not json", alice, {{"Content-Type", "application/json"}}).status,
      400);
  EXPECT_EQ(api_->raw("POST", path, "{\"ref\":\"main\"}", alice).status, 415);
  EXPECT_EQ(api_->call("POST", path, Json{{"ref", std::string(300, 'a')}}, alice).status, 400);
  EXPECT_EQ(api_->raw("POST", path, std::string(8 * 1024, ' '), alice).status, 413);
  EXPECT_EQ(api_->call("GET", "/api/v1/builds/bld_nope", std::nullopt, alice).status, 404);
  EXPECT_EQ(api_->call("GET", "/api/v1/projects/alice/nope/builds", std::nullopt, alice).status,
            404);
  EXPECT_EQ(api_->call("GET", path + "?limit=0", std::nullopt, alice).status, 400);
  EXPECT_TRUE(api_->call("GET", path, std::nullopt, alice).json["builds"].empty());
}

}  // namespace
}  // namespace orsa::testing
