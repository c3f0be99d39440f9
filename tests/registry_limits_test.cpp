// Request bodies and registry tenancy limits through a real orsa-deployer:
// a caller who may not write is refused from the request head before any
// body is read, large bodies go to disk rather than memory, upload sessions
// survive a restart, are limited per user and reaped when idle, and each
// owner namespace has a storage quota.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "core/json.hpp"
#include "http/raw_conn_testing.hpp"
#include "oci/digest.hpp"
#include "support/api_client.hpp"
#include "support/deployer_process.hpp"
#include "testing/eventually.hpp"

namespace orsa::testing {
namespace {

using http::test_support::RawConn;
using namespace std::chrono_literals;

constexpr const char* kPassword = "password-1234";
constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::size_t kGiB = 1024 * kMiB;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

HeaderList basic(const std::string& user) {
  return {{"Authorization", "Basic " + base64(user + ":" + kPassword)}};
}

std::string basic_header(const std::string& user) {
  return "Authorization: Basic " + base64(user + ":" + kPassword) + "\r\n";
}

HeaderList with_range(HeaderList headers, const std::string& range) {
  headers.emplace_back("Content-Range", range);
  return headers;
}

std::string spec_code(const ApiResponse& res) {
  if (!res.json.is_object() || !res.json.contains("errors")) return "<no errors: " + res.body + ">";
  return res.json["errors"][0]["code"];
}

std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

/// Resident memory of a process in KiB, from /proc/<pid>/status.
long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

class RegistryLimits : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    deployer_ = DeployerProcess::start({.args = std::move(args)});
    api_ = std::make_unique<ApiClient>(deployer_->url());
    alice_session_ = api_->register_user("alice", kPassword);
    bob_session_ = api_->register_user("bob", kPassword);
    for (const auto& session : {alice_session_, bob_session_}) {
      ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "app"}}, session).status, 201);
    }
  }

  ApiResponse req(const std::string& method, const std::string& path, const HeaderList& headers,
                  const std::string& body = "") const {
    return api_->raw(method, path, body, "", headers);
  }

  /// Opens an upload session; returns its Location ("" on failure).
  std::string open_upload(const std::string& repo, const HeaderList& auth,
                          int expected_status = 202) const {
    auto res = req("POST", "/v2/" + repo + "/blobs/uploads/", auth);
    EXPECT_EQ(res.status, expected_status) << res.body;
    return res.status == 202 ? res.headers["Location"] : std::string();
  }

  /// Sends a request head announcing a huge body plus `sent` bytes of it,
  /// then waits for the answer without sending more.
  std::optional<RawConn::Reply> send_head_and_some(RawConn& conn, const std::string& head,
                                                   std::size_t sent) const {
    if (!conn.send(head) || !conn.send(std::string(sent, 'x'))) return std::nullopt;
    return conn.read_reply(false, 10s);
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string alice_session_, bob_session_;
  const HeaderList alice_ = basic("alice");
  const HeaderList bob_ = basic("bob");
};

// The original attack: an anonymous 1 GiB body was received whole before its
// 401 and the server's memory grew with it. Now the answer comes from the
// head alone, with only 64 KiB sent, and memory stays flat.
TEST_F(RegistryLimits, AnonymousHugeUploadIsRefusedBeforeItsBody) {
  start();
  const long rss_before = rss_kib(deployer_->pid());
  ASSERT_GT(rss_before, 0);
  for (const std::string method : {"POST", "PATCH", "PUT"}) {
    const std::string target =
        method == "POST"
            ? "/v2/alice/app/blobs/uploads/?digest=sha256:" + std::string(64, 'a')
            : "/v2/alice/app/blobs/uploads/some-id?digest=sha256:" + std::string(64, 'a');
    RawConn conn(port_of(deployer_->url()));
    ASSERT_TRUE(conn.connected());
    const std::string head = method + " " + target +
                             " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kGiB) +
                             "\r\n\r\n";
    auto reply = send_head_and_some(conn, head, 64 * 1024);
    ASSERT_TRUE(reply) << method << ": no answer while the body was still coming";
    EXPECT_EQ(reply->status, 401) << method;
    EXPECT_EQ(reply->header("Connection"), "close") << method;
    EXPECT_FALSE(reply->header("WWW-Authenticate").empty()) << method;
    EXPECT_TRUE(conn.closed_within(5s)) << method;
  }
  // Chunked: no length to judge by, refused all the same.
  {
    RawConn conn(port_of(deployer_->url()));
    const std::string head =
        "PATCH /v2/alice/app/blobs/uploads/some-id HTTP/1.1\r\nHost: x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    std::string chunk = "10000\r\n" + std::string(0x10000, 'y') + "\r\n";
    ASSERT_TRUE(conn.send(head));
    ASSERT_TRUE(conn.send(chunk));
    auto reply = conn.read_reply(false, 10s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 401);
    EXPECT_EQ(reply->header("Connection"), "close");
  }
  // Many senders pushing several MiB each: the server reads none of it into memory.
  for (int i = 0; i < 8; ++i) {
    RawConn conn(port_of(deployer_->url()));
    const std::string head =
        "PATCH /v2/alice/app/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: " +
        std::to_string(kGiB) + "\r\n\r\n";
    ASSERT_TRUE(conn.send(head));
    const std::string mib(kMiB, 'z');
    for (int m = 0; m < 4 && conn.send(mib); ++m) {
    }
    conn.read_reply(false, 5s);
  }
  const long rss_after = rss_kib(deployer_->pid());
  EXPECT_LT(rss_after - rss_before, 16 * 1024)
      << "RSS grew from " << rss_before << " KiB to " << rss_after << " KiB";
}

// Authenticated is not enough: a caller without write access, or a session
// that does not exist, is refused from the head too.
TEST_F(RegistryLimits, ForeignRepositoryAndUnknownSessionAreRefusedBeforeTheBody) {
  start();
  const std::string alice_upload = open_upload("alice/app", alice_);
  ASSERT_FALSE(alice_upload.empty());
  const std::string huge = "Content-Length: " + std::to_string(kGiB) + "\r\n\r\n";
  {
    RawConn conn(port_of(deployer_->url()));
    auto reply = send_head_and_some(
        conn, "PATCH " + alice_upload + " HTTP/1.1\r\nHost: x\r\n" + basic_header("bob") + huge,
        64 * 1024);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 404);  // another tenant's repository does not exist for bob
    EXPECT_NE(reply->body.find("NAME_UNKNOWN"), std::string::npos) << reply->body;
  }
  {
    RawConn conn(port_of(deployer_->url()));
    auto reply = send_head_and_some(conn,
                                    "PATCH /v2/alice/app/blobs/uploads/0123abcd HTTP/1.1\r\n"
                                    "Host: x\r\n" +
                                        basic_header("alice") + huge,
                                    64 * 1024);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 404);
    EXPECT_NE(reply->body.find("BLOB_UPLOAD_UNKNOWN"), std::string::npos) << reply->body;
  }
  // The REST API's writes too: an anonymous archive upload.
  {
    RawConn conn(port_of(deployer_->url()));
    auto reply = send_head_and_some(
        conn, "POST /api/v1/projects/alice/app/archive HTTP/1.1\r\nHost: x\r\n" + huge, 64 * 1024);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 413);  // beyond the route's limit: refused by the length alone
  }
  {
    RawConn conn(port_of(deployer_->url()));
    auto reply =
        send_head_and_some(conn,
                           "POST /api/v1/projects/alice/app/archive HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 40000000\r\n\r\n",
                           64 * 1024);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 401);
    EXPECT_EQ(reply->header("Connection"), "close");
  }
}

// A large authenticated chunk goes to disk as it arrives, not into memory.
TEST_F(RegistryLimits, LargeChunksAreSpooledToDisk) {
  start();
  const std::string location = open_upload("alice/app", alice_);
  ASSERT_FALSE(location.empty());
  const long rss_before = rss_kib(deployer_->pid());
  std::string blob;
  oci::Sha256 hasher;
  for (int part = 0; part < 2; ++part) {
    // 48 MiB per chunk, sent chunked so no length is known up front.
    const std::string piece(48 * kMiB, static_cast<char>('a' + part));
    RawConn conn(port_of(deployer_->url()));
    ASSERT_TRUE(conn.send("PATCH " + location + " HTTP/1.1\r\nHost: x\r\n" + basic_header("alice") +
                          "Transfer-Encoding: chunked\r\n\r\n"));
    for (std::size_t at = 0; at < piece.size(); at += kMiB) {
      ASSERT_TRUE(conn.send("100000\r\n" + piece.substr(at, kMiB) + "\r\n"));
    }
    ASSERT_TRUE(conn.send("0\r\n\r\n"));
    auto reply = conn.read_reply(false, 60s);
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->status, 202) << reply->body;
    hasher.update(piece);
  }
  const long rss_after = rss_kib(deployer_->pid());
  EXPECT_LT(rss_after - rss_before, 32 * 1024)
      << "RSS grew from " << rss_before << " KiB to " << rss_after << " KiB for a 96 MiB upload";
  const std::string digest = hasher.finish().str();
  auto done = req("PUT", location + "?digest=" + digest, alice_);
  ASSERT_EQ(done.status, 201) << done.body;
  auto head = req("HEAD", "/v2/alice/app/blobs/" + digest, alice_);
  EXPECT_EQ(head.headers["Content-Length"], std::to_string(96 * kMiB));
}

TEST_F(RegistryLimits, AnUploadSurvivesARestart) {
  start();
  const std::string location = open_upload("alice/app", alice_);
  ASSERT_FALSE(location.empty());
  ASSERT_EQ(req("PATCH", location, alice_, "before-restart|").status, 202);
  ASSERT_EQ(deployer_->stop(), 0);

  auto second = DeployerProcess::start(
      {.data_dir = deployer_->data_dir(), .database_url = deployer_->database_url()});
  api_ = std::make_unique<ApiClient>(second->url());
  auto status = req("GET", location, alice_);
  ASSERT_EQ(status.status, 204) << status.body;
  EXPECT_EQ(status.headers["Range"], "0-14");
  // Bob still cannot see it.
  EXPECT_EQ(req("GET", location, bob_).status, 404);
  ASSERT_EQ(req("PATCH", location, with_range(alice_, "15-27"), "after-restart").status, 202);
  const std::string digest = oci::Digest::of("before-restart|after-restart").str();
  auto done = req("PUT", location + "?digest=" + digest, alice_);
  ASSERT_EQ(done.status, 201) << done.body;
  EXPECT_EQ(req("GET", "/v2/alice/app/blobs/" + digest, alice_).body,
            "before-restart|after-restart");
  second->stop();
}

TEST_F(RegistryLimits, OneUserAtTheSessionLimitDoesNotBlockAnother) {
  start({"--max-uploads-per-user", "3"});
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(open_upload("bob/app", bob_).empty());
  auto refused = req("POST", "/v2/bob/app/blobs/uploads/", bob_);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(spec_code(refused), "TOOMANYREQUESTS");
  EXPECT_FALSE(refused.headers["Retry-After"].empty());
  // Alice is not affected by bob's sessions.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(open_upload("alice/app", alice_).empty());
  auto me = api_->call("GET", "/api/v1/me", std::nullopt, bob_session_);
  EXPECT_EQ(me.json["usage"]["open_uploads"], 3);
  EXPECT_EQ(me.json["usage"]["max_open_uploads"], 3);
}

TEST_F(RegistryLimits, AnIdleSessionIsReaped) {
  start({"--max-uploads-per-user", "1", "--upload-idle-timeout", "2s"});
  const std::string location = open_upload("bob/app", bob_);
  ASSERT_FALSE(location.empty());
  ASSERT_EQ(req("PATCH", location, bob_, "partial").status, 202);
  open_upload("bob/app", bob_, 429);  // his one slot is taken
  // Reaping happens on the next lookup once the session is 2 s idle; a status
  // request does not touch the session, so polling it waits on the reap.
  ApiResponse gone;
  ASSERT_TRUE(eventually(
      10s,
      [&] {
        gone = req("GET", location, bob_);
        return gone.status != 204;
      },
      "the idle upload session to be reaped", [&] { return gone.body; }));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(spec_code(gone), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_FALSE(open_upload("bob/app", bob_).empty());  // the slot is free again
  auto me = api_->call("GET", "/api/v1/me", std::nullopt, bob_session_);
  EXPECT_EQ(me.json["usage"]["upload_bytes"], 0);  // the reaped data is gone
}

TEST_F(RegistryLimits, QuotaExceededIsAClearErrorAndChangesNothing) {
  start({"--registry-quota-mb", "1"});
  const std::string first(600 * 1024, 'a');
  const std::string first_digest = oci::Digest::of(first).str();
  auto ok = req("POST", "/v2/alice/app/blobs/uploads/?digest=" + first_digest, alice_, first);
  ASSERT_EQ(ok.status, 201) << ok.body;

  const std::string second(600 * 1024, 'b');
  const std::string second_digest = oci::Digest::of(second).str();
  auto refused =
      req("POST", "/v2/alice/app/blobs/uploads/?digest=" + second_digest, alice_, second);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(spec_code(refused), "DENIED");
  const std::string message = refused.json["errors"][0]["message"];
  EXPECT_NE(message.find("quota"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(kMiB)), std::string::npos) << message;
  EXPECT_EQ(req("HEAD", "/v2/alice/app/blobs/" + second_digest, alice_).status, 404);

  // Chunked: the chunk that would cross the quota is refused, the session keeps what it had.
  const std::string location = open_upload("alice/app", alice_);
  ASSERT_EQ(req("PATCH", location, alice_, std::string(300 * 1024, 'c')).status, 202);
  auto crossing = req("PATCH", location, alice_, std::string(300 * 1024, 'd'));
  EXPECT_EQ(crossing.status, 403);
  EXPECT_EQ(spec_code(crossing), "DENIED");
  EXPECT_EQ(req("GET", location, alice_).headers["Range"], "0-" + std::to_string(300 * 1024 - 1));

  // Bob's namespace has its own quota.
  const std::string bobs(600 * 1024, 'e');
  EXPECT_EQ(
      req("POST", "/v2/bob/app/blobs/uploads/?digest=" + oci::Digest::of(bobs).str(), bob_, bobs)
          .status,
      201);

  auto me = api_->call("GET", "/api/v1/me", std::nullopt, alice_session_);
  EXPECT_EQ(me.json["usage"]["registry_bytes"], 900 * 1024);
  EXPECT_EQ(me.json["usage"]["registry_quota_bytes"], kMiB);
  const std::string admin = api_->login("admin", DeployerProcess::kAdminPassword);
  auto report = api_->call("GET", "/api/v1/admin/usage", std::nullopt, admin);
  ASSERT_EQ(report.status, 200) << report.body;
  bool saw_alice = false;
  for (const auto& entry : report.json["namespaces"]) {
    if (entry["owner"] == "alice") {
      saw_alice = true;
      EXPECT_EQ(entry["registry_bytes"], 900 * 1024);
    }
  }
  EXPECT_TRUE(saw_alice) << report.body;
  EXPECT_EQ(api_->call("GET", "/api/v1/admin/usage", std::nullopt, alice_session_).status, 403);
}

// The same kind of quota on the project repositories, history included:
// saving a file again and again cannot fill the control plane's disk.
TEST_F(RegistryLimits, RepositoryQuotaIsAClearErrorAndChangesNothing) {
  start({"--repository-quota-mb", "1"});
  const auto noise = [](std::uint32_t seed) {
    std::string out(600 * 1024, '\0');
    for (auto& c : out) c = static_cast<char>((seed = seed * 1103515245 + 12345) >> 24);
    return out;
  };
  const std::string file = "/api/v1/projects/alice/app/files/data.bin";
  auto saved = api_->raw("PUT", file, noise(1), alice_session_, {});
  ASSERT_EQ(saved.status, 200) << saved.body;
  const std::string head = saved.json["commit"]["sha"];
  auto refused = api_->raw("PUT", file, noise(2), alice_session_, {});
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("repository storage quota exceeded: 'alice' uses"), std::string::npos)
      << refused.body;
  EXPECT_NE(refused.body.find("of 1.0 MiB"), std::string::npos) << refused.body;
  auto project = api_->call("GET", "/api/v1/projects/alice/app", std::nullopt, alice_session_);
  EXPECT_EQ(project.json["head"]["sha"], head);  // nothing committed
  // Bob's repositories have their own quota.
  EXPECT_EQ(api_->raw("PUT", "/api/v1/projects/bob/app/files/data.bin", noise(3), bob_session_, {})
                .status,
            200);

  auto me = api_->call("GET", "/api/v1/me", std::nullopt, alice_session_);
  EXPECT_GT(me.json["usage"]["repository_bytes"].get<std::int64_t>(), 600 * 1024);
  EXPECT_EQ(me.json["usage"]["repository_quota_bytes"], kMiB);
  EXPECT_EQ(me.json["usage"]["run_data_bytes"], 0);                   // no runs yet
  EXPECT_EQ(me.json["usage"]["run_data_quota_bytes"], 10240 * kMiB);  // --runs-quota-mb default
}

}  // namespace
}  // namespace orsa::testing
