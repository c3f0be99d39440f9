// oci::RegistryClient against real registries on loopback: the CNCF
// distribution registry (docker-registry), with and without htpasswd Basic
// auth, and a token service for the Bearer flow. An integration test: it
// fails (never skips) when docker-registry or python3 is missing
// (scripts/install-deps.sh installs them).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/files.hpp"
#include "core/random.hpp"
#include "oci/media_types.hpp"
#include "oci/registry_client.hpp"
#include "testing/child_process.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
constexpr auto kStartBudget = std::chrono::seconds(30);

constexpr const char* kRegistryBin = "/usr/bin/docker-registry";
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kUser = "builder";
constexpr const char* kPassword = "s3cret-pass";
// bcrypt (cost 4, fast to verify) of kPassword, made once with Python's crypt.
constexpr const char* kHtpasswd =
    "builder:$2b$04$4uLQb8raewp7xCKNYLimNePAD8MdeBDgrHx4knqF7lE7UNpnSnbba\n";

// ---- a real CNCF distribution registry on loopback

std::string slurp(const fs::path& path) {
  auto text = read_file(path);
  return text ? *text : std::string();
}

// `docker-registry serve` with filesystem storage in a temp dir, optionally
// behind htpasswd Basic auth. Throws when it does not come up.
class CncfRegistry {
 public:
  explicit CncfRegistry(bool with_auth) {
    const auto port = testing::free_loopback_port();
    url_ = "http://127.0.0.1:" + std::to_string(port);
    std::ostringstream config;
    config << "version: 0.1\n"
           << "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
           << "storage:\n  filesystem:\n    rootdirectory: " << storage().string() << "\n"
           << "  delete:\n    enabled: true\n"
           << "http:\n  addr: 127.0.0.1:" << port << "\n  secret: test-secret\n";
    if (with_auth) {
      std::ofstream(dir_.path() / "htpasswd") << kHtpasswd;
      config << "auth:\n  htpasswd:\n    realm: orsa-test\n    path: "
             << (dir_.path() / "htpasswd").string() << "\n";
    }
    std::ofstream(dir_.path() / "config.yml") << config.str();
    process_ = std::make_unique<testing::ChildProcess>(testing::ChildOptions{
        .argv = {kRegistryBin, "serve", (dir_.path() / "config.yml").string()},
        .merge_output = true});
    wait_ready();
  }

  const std::string& url() const { return url_; }
  fs::path storage() const { return dir_.path() / "storage"; }
  fs::path blob_data(const Digest& d) const {
    return storage() / "docker/registry/v2/blobs/sha256" / std::string(d.hex().substr(0, 2)) /
           std::string(d.hex()) / "data";
  }

 private:
  void wait_ready() {
    auto probe = RegistryClient::create({.base_url = url_});
    bool serving = false;
    // Any HTTP answer (even 401) means it serves; an exit ends the wait early.
    const auto up = testing::eventually(kStartBudget, [&] {
      auto r = probe->ping();
      serving = r || r.error().code != ErrorCode::kUnavailable;
      return serving || !process_->running();
    });
    if (!up || !serving) {
      throw std::runtime_error("docker-registry did not start:\n" + process_->out());
    }
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<testing::ChildProcess> process_;
};

std::string random_blob(std::size_t n) {
  return random_bytes(n);
}

// A minimal but valid OCI image: config + one layer + manifest.
struct TestImage {
  std::string config;
  std::string layer;
  std::string manifest;
  std::string media_type{kOciManifest};
};

TestImage make_image(std::size_t layer_size, std::string_view media_type = kOciManifest) {
  TestImage image;
  image.media_type = std::string(media_type);
  image.layer = random_blob(layer_size);
  const bool docker = media_type == kDockerManifest;
  image.config =
      nlohmann::json{
          {"architecture", "amd64"},
          {"os", "linux"},
          {"config", nlohmann::json::object()},
          {"rootfs", {{"type", "layers"}, {"diff_ids", {Digest::of(image.layer).str()}}}}}
          .dump();
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", image.media_type},
                             {"config",
                              {{"mediaType", docker ? kDockerConfig : kOciConfig},
                               {"digest", Digest::of(image.config).str()},
                               {"size", image.config.size()}}},
                             {"layers",
                              {{{"mediaType", docker ? kDockerLayerGzip : kOciLayerGzip},
                                {"digest", Digest::of(image.layer).str()},
                                {"size", image.layer.size()}}}}};
  image.manifest = manifest.dump();
  return image;
}

class CncfRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::tool_available(kRegistryBin));
    registry_ = std::make_unique<CncfRegistry>(false);
  }

  RegistryClient client(RegistryClientOptions options = {}) {
    options.base_url = registry_->url();
    auto c = RegistryClient::create(std::move(options));
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
  }

  std::unique_ptr<CncfRegistry> registry_;
};

TEST_F(CncfRegistryTest, MonolithicPushThenHeadSkipsTheSecondUpload) {
  auto c = client();
  const std::string blob = random_blob(100'000);
  const Digest digest = Digest::of(blob);
  EXPECT_FALSE(c.blob_exists("alice/app", digest).value());

  auto first = c.push_blob("alice/app", digest, std::string_view(blob));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->outcome, BlobPushOutcome::kUploaded);
  EXPECT_EQ(first->bytes_uploaded, 100'000);
  EXPECT_TRUE(c.blob_exists("alice/app", digest).value());

  const auto before = c.stats();
  auto second = c.push_blob("alice/app", digest, std::string_view(blob));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->outcome, BlobPushOutcome::kSkipped);
  EXPECT_EQ(second->bytes_uploaded, 0);
  EXPECT_EQ(c.stats().bytes_uploaded, before.bytes_uploaded);
  EXPECT_EQ(c.stats().requests, before.requests + 1);  // one HEAD

  EXPECT_EQ(c.get_blob_bytes("alice/app", digest).value(), blob);
  EXPECT_EQ(c.stats().connections_opened, 1);  // one kept-alive connection throughout
}

TEST_F(CncfRegistryTest, ChunkedPushStreamsAFile) {
  auto c = client({.chunk_size = 64 * 1024});
  TempDir dir;
  const std::string blob = random_blob(200'001);  // 4 chunks, the last one short
  const fs::path file = dir.path() / "layer.tar.gz";
  ASSERT_TRUE(write_file_atomic(file, blob));
  const Digest digest = Digest::of(blob);

  const auto before = c.stats();
  auto pushed = c.push_blob("alice/big", digest, file);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->outcome, BlobPushOutcome::kUploaded);
  EXPECT_EQ(pushed->bytes_uploaded, 200'001);
  EXPECT_EQ(pushed->size, 200'001);
  // HEAD, POST, 4 × PATCH, PUT.
  EXPECT_EQ(c.stats().requests - before.requests, 7);

  std::string pulled;
  auto got = c.get_blob("alice/big", digest, [&](std::string_view chunk) -> Result<void> {
    pulled.append(chunk);
    return {};
  });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, 200'001);
  EXPECT_EQ(pulled, blob);
}

TEST_F(CncfRegistryTest, CrossRepositoryMountUploadsNothing) {
  auto c = client();
  const std::string blob = random_blob(50'000);
  const Digest digest = Digest::of(blob);
  ASSERT_TRUE(c.push_blob("orsa/base", digest, std::string_view(blob)));

  const auto before = c.stats().bytes_uploaded;
  auto mounted = c.push_blob("alice/app", digest, std::string_view(blob), "orsa/base");
  ASSERT_TRUE(mounted) << mounted.error().message;
  EXPECT_EQ(mounted->outcome, BlobPushOutcome::kMounted);
  EXPECT_EQ(c.stats().bytes_uploaded, before);
  EXPECT_TRUE(c.blob_exists("alice/app", digest).value());

  // The source lacks this blob: the registry starts an upload instead (202).
  const std::string other = random_blob(1000);
  auto fallback = c.push_blob("alice/app", Digest::of(other), std::string_view(other), "bob/none");
  ASSERT_TRUE(fallback) << fallback.error().message;
  EXPECT_EQ(fallback->outcome, BlobPushOutcome::kUploaded);
  EXPECT_EQ(c.get_blob_bytes("alice/app", Digest::of(other)).value(), other);
}

TEST_F(CncfRegistryTest, ManifestsByTagAndDigestWithNegotiation) {
  auto c = client();
  for (const auto media_type : {kOciManifest, kDockerManifest}) {
    SCOPED_TRACE(media_type);
    const TestImage image = make_image(3000, media_type);
    ASSERT_TRUE(c.push_blob("alice/app", Digest::of(image.config), std::string_view(image.config)));
    ASSERT_TRUE(c.push_blob("alice/app", Digest::of(image.layer), std::string_view(image.layer)));
    const std::string tag = media_type == kOciManifest ? "oci" : "docker";
    auto digest = c.push_manifest("alice/app", tag, image.manifest, media_type);
    ASSERT_TRUE(digest) << digest.error().message;
    EXPECT_EQ(*digest, Digest::of(image.manifest));

    auto by_tag = c.get_manifest("alice/app", tag);
    ASSERT_TRUE(by_tag) << by_tag.error().message;
    EXPECT_EQ(by_tag->bytes, image.manifest);
    EXPECT_EQ(by_tag->media_type, media_type);
    EXPECT_EQ(by_tag->digest, *digest);

    auto by_digest = c.get_manifest("alice/app", digest->str());
    ASSERT_TRUE(by_digest) << by_digest.error().message;
    EXPECT_EQ(by_digest->bytes, image.manifest);
  }
  // Pushing by digest reference (untagged) works, and a mismatch is refused locally.
  const TestImage image = make_image(10);
  ASSERT_TRUE(c.push_blob("alice/app", Digest::of(image.config), std::string_view(image.config)));
  ASSERT_TRUE(c.push_blob("alice/app", Digest::of(image.layer), std::string_view(image.layer)));
  const Digest d = Digest::of(image.manifest);
  auto by_digest = c.push_manifest("alice/app", d.str(), image.manifest, kOciManifest);
  ASSERT_TRUE(by_digest) << by_digest.error().message;
  EXPECT_FALSE(c.push_manifest("alice/app", Digest::of("x").str(), image.manifest, kOciManifest));

  auto tags = c.list_tags("alice/app");
  ASSERT_TRUE(tags) << tags.error().message;
  std::ranges::sort(*tags);
  EXPECT_EQ(*tags, (std::vector<std::string>{"docker", "oci"}));
}

TEST_F(CncfRegistryTest, PushImageSkipsAndMountsOnRepeat) {
  auto c = client({.chunk_size = 32 * 1024});
  const TestImage image = make_image(100'000);
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "layer", image.layer));

  auto first =
      c.push_image("orsa/base-tiny", "1", image.manifest, image.config, {dir.path() / "layer"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->blobs_uploaded, 2);
  EXPECT_EQ(first->bytes_uploaded,
            static_cast<std::int64_t>(image.config.size() + image.layer.size()));
  EXPECT_EQ(first->manifest_digest, Digest::of(image.manifest));

  auto again = c.push_image("orsa/base-tiny", "2", image.manifest, image.config,
                            {std::string_view(image.layer)});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->blobs_skipped, 2);
  EXPECT_EQ(again->bytes_uploaded, 0);

  auto mounted = c.push_image("alice/app", "1", image.manifest, image.config,
                              {std::string_view(image.layer)}, "orsa/base-tiny");
  ASSERT_TRUE(mounted) << mounted.error().message;
  EXPECT_EQ(mounted->blobs_mounted, 2);
  EXPECT_EQ(mounted->bytes_uploaded, 0);
  EXPECT_EQ(c.get_manifest("alice/app", "1").value().digest, Digest::of(image.manifest));

  auto wrong_count = c.push_image("alice/app", "x", image.manifest, image.config, {});
  ASSERT_FALSE(wrong_count);
  EXPECT_EQ(wrong_count.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CncfRegistryTest, WrongDigestSurfacesDigestInvalid) {
  auto c = client({.chunk_size = 1024});
  const std::string blob = random_blob(5000);
  const Digest claimed = Digest::of("something else");
  for (const std::int64_t chunk : {1024, 1 << 20}) {  // chunked, then monolithic
    auto cc = client({.chunk_size = chunk});
    auto pushed = cc.push_blob("alice/app", claimed, std::string_view(blob));
    ASSERT_FALSE(pushed);
    EXPECT_EQ(pushed.error().registry_code, "DIGEST_INVALID");
    EXPECT_NE(pushed.error().message.find("DIGEST_INVALID"), std::string::npos)
        << pushed.error().message;
    EXPECT_NE(pushed.error().message.find(claimed.str()), std::string::npos);
  }
  EXPECT_FALSE(c.blob_exists("alice/app", claimed).value());
}

TEST_F(CncfRegistryTest, MissingContentIsNotFound) {
  auto c = client();
  const Digest missing = Digest::of("never pushed");
  auto blob = c.get_blob_bytes("alice/app", missing);
  ASSERT_FALSE(blob);
  EXPECT_EQ(blob.error().code, ErrorCode::kNotFound);
  EXPECT_NE(blob.error().message.find(missing.str()), std::string::npos);

  auto manifest = c.get_manifest("alice/app", "latest");
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().code, ErrorCode::kNotFound);
  EXPECT_NE(manifest.error().message.find("alice/app:latest"), std::string::npos);

  // A manifest whose blobs were never pushed.
  const TestImage image = make_image(10);
  auto pushed = c.push_manifest("alice/app", "v1", image.manifest, kOciManifest);
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().registry_code, "MANIFEST_BLOB_UNKNOWN") << pushed.error().message;
}

TEST_F(CncfRegistryTest, CorruptedBlobFailsVerificationOnPull) {
  auto c = client();
  const std::string blob = random_blob(4096);
  const Digest digest = Digest::of(blob);
  ASSERT_TRUE(c.push_blob("alice/app", digest, std::string_view(blob)));
  // Flip the stored bytes (same length) behind the registry's back.
  const fs::path data = registry_->blob_data(digest);
  ASSERT_TRUE(fs::exists(data)) << data;
  std::string corrupt = blob;
  corrupt[100] = static_cast<char>(corrupt[100] ^ 0xFF);
  std::ofstream(data, std::ios::binary | std::ios::trunc) << corrupt;

  auto pulled = c.get_blob_bytes("alice/app", digest);
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().registry_code, "DIGEST_INVALID");
  EXPECT_NE(pulled.error().message.find(digest.str()), std::string::npos);
}

TEST_F(CncfRegistryTest, LimitsApply) {
  auto c = client({.max_manifest_bytes = 100, .max_blob_bytes = 1000});
  const std::string big = random_blob(1001);
  auto blob = c.push_blob("alice/app", Digest::of(big), std::string_view(big));
  ASSERT_FALSE(blob);
  EXPECT_EQ(blob.error().code, ErrorCode::kTooLarge);

  auto unlimited = client();
  const TestImage image = make_image(10);
  ASSERT_TRUE(unlimited.push_image("alice/app", "v1", image.manifest, image.config,
                                   {std::string_view(image.layer)}));
  auto manifest = c.get_manifest("alice/app", "v1");  // > 100 bytes
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().code, ErrorCode::kTooLarge);
}

// ---- Basic auth (htpasswd), as CNCF distribution and ECR use it

class CncfRegistryAuthTest : public CncfRegistryTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::tool_available(kRegistryBin));
    registry_ = std::make_unique<CncfRegistry>(true);
  }
};

TEST_F(CncfRegistryAuthTest, BasicChallengeIsAnsweredOnce) {
  auto c = client({.credentials = RegistryCredentials::basic(kUser, kPassword)});
  ASSERT_TRUE(c.ping());
  EXPECT_EQ(c.stats().requests, 2);  // 401 challenge, then Basic
  const TestImage image = make_image(2000);
  auto report =
      c.push_image("alice/app", "1", image.manifest, image.config, {std::string_view(image.layer)});
  ASSERT_TRUE(report) << report.error().message;
  // No more challenges: HEAD, POST, PUT per blob, then the manifest PUT.
  EXPECT_EQ(c.stats().requests, 2 + 3 * 2 + 1);
  EXPECT_EQ(c.get_manifest("alice/app", "1").value().digest, report->manifest_digest);
}

TEST_F(CncfRegistryAuthTest, BadOrMissingCredentialsAreClearErrors) {
  auto wrong = client({.credentials = RegistryCredentials::basic(kUser, "wrong-password")});
  auto denied = wrong.list_tags("alice/app");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(denied.error().message.find("401"), std::string::npos) << denied.error().message;
  EXPECT_NE(denied.error().message.find("UNAUTHORIZED"), std::string::npos);
  EXPECT_EQ(denied.error().message.find("wrong-password"), std::string::npos);

  auto anonymous = client();
  auto none = anonymous.blob_exists("alice/app", Digest::of("x"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUnauthenticated);
}

// ---- the Bearer token flow (GHCR, Docker Hub, distribution with token auth)

// A fake registry + token service: /token hands out tokens for Basic
// credentials and counts them; /v2/ routes demand the current token.
constexpr const char* kTokenServer = R"PY(
import base64, http.server, json, sys, urllib.parse
issued = []
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, status, body, headers={}):
        data = json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers.items(): self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/token":
            good = "Basic " + base64.b64encode(b"builder:s3cret-pass").decode()
            if self.headers.get("Authorization") != good:
                return self.reply(401, {"errors": [{"code": "DENIED", "message": "bad login"}]})
            q = urllib.parse.parse_qs(url.query)
            token = "tok%d" % len(issued)
            issued.append((q.get("service"), q.get("scope")))
            return self.reply(200, {"access_token": token, "scopes": q.get("scope")})
        auth = self.headers.get("Authorization", "")
        if not issued or auth != "Bearer tok%d" % (len(issued) - 1):
            port = self.server.server_address[1]
            challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="repository:alice/app:pull"' % port
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "token"}]},
                              {"WWW-Authenticate": challenge})
        self.reply(200, {"name": "alice/app", "tags": ["t%d" % len(issued)]})
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
)PY";

TEST(RegistryClientBearer, FetchesATokenOnceAndCachesItPerScope) {
  ASSERT_TRUE(testing::tool_available(kPython));
  TempDir dir;
  std::ofstream(dir.path() / "server.py") << kTokenServer;
  const fs::path port_file = dir.path() / "port";
  testing::ChildProcess server(
      {.argv = {kPython, (dir.path() / "server.py").string(), port_file.string()},
       .merge_output = true});
  // The server writes its port once it listens; an exit ends the wait early.
  ASSERT_TRUE(testing::eventually(
      kStartBudget, [&] { return fs::exists(port_file) || !server.running(); },
      "the token server's port file"));
  ASSERT_TRUE(fs::exists(port_file)) << server.out();
  const std::string url = "http://127.0.0.1:" + slurp(port_file);

  auto c = RegistryClient::create(
      {.base_url = url, .credentials = RegistryCredentials::basic(kUser, kPassword)});
  ASSERT_TRUE(c);
  auto tags = c->list_tags("alice/app");
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"t1"});
  EXPECT_EQ(c->stats().token_requests, 1);
  ASSERT_TRUE(c->list_tags("alice/app"));  // cached token, no new challenge
  EXPECT_EQ(c->stats().token_requests, 1);
  EXPECT_EQ(c->stats().requests, 4);  // 401, token, 200, 200

  auto wrong = RegistryClient::create(
      {.base_url = url, .credentials = RegistryCredentials::basic(kUser, "nope-nope")});
  auto denied = wrong->list_tags("alice/app");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(denied.error().message.find("DENIED"), std::string::npos) << denied.error().message;
  EXPECT_EQ(denied.error().message.find("nope-nope"), std::string::npos);
}

}  // namespace
}  // namespace orsa::oci
