// The embedded OCI registry at /v2/ through a real orsa-deployer:
// distribution-spec routes, error codes and headers, and tenant isolation.

#include <gtest/gtest.h>

#include <chrono>

#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "oci/digest.hpp"
#include "support/api_client.hpp"
#include "support/deployer_process.hpp"

namespace orsa::testing {
namespace {

constexpr const char* kPassword = "password-1234";

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

HeaderList basic(const std::string& user, const std::string& password) {
  return {{"Authorization", "Basic " + base64(user + ":" + password)}};
}

HeaderList bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

HeaderList with(HeaderList headers, const std::string& name, const std::string& value) {
  headers.emplace_back(name, value);
  return headers;
}

std::string spec_code(const ApiResponse& res) {
  if (!res.json.is_object() || !res.json.contains("errors")) return "<no errors: " + res.body + ">";
  return res.json["errors"][0]["code"];
}

std::string digest_of(std::string_view bytes) {
  return oci::Digest::of(bytes).str();
}

class Registry : public ::testing::Test {
 protected:
  void SetUp() override {
    deployer_ = DeployerProcess::start();
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
    alice_session_ = api_->register_user("alice", kPassword);
    bob_session_ = api_->register_user("bob", kPassword);
    vera_session_ = api_->register_user("vera", kPassword);
    for (const auto& [session, name] :
         {std::pair{alice_session_, "app"}, {bob_session_, "app"}, {vera_session_, "vapp"}}) {
      ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", name}}, session).status, 201);
    }
    alice_id_ = api_->call("GET", "/api/v1/me", std::nullopt, alice_session_).json["id"];
    const std::string vera_id =
        api_->call("GET", "/api/v1/me", std::nullopt, vera_session_).json["id"];
    ASSERT_EQ(
        api_->call("PATCH", "/api/v1/users/" + vera_id, Json{{"role", "viewer"}}, admin_).status,
        200);
  }

  ApiResponse req(const std::string& method, const std::string& path, const HeaderList& headers,
                  const std::string& body = "") const {
    return api_->raw(method, path, body, "", headers);
  }

  /// Pushes a blob monolithically; returns its digest.
  std::string push_blob(const std::string& repo, const std::string& bytes,
                        const HeaderList& auth) const {
    const std::string d = digest_of(bytes);
    auto res = req("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + d, auth, bytes);
    EXPECT_EQ(res.status, 201) << res.body;
    return d;
  }

  static std::string manifest_json() {
    return Json{
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", digest_of("{}")},
          {"size", 2}}},
        {"layers", Json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                 {"digest", digest_of("layer-bytes")},
                                 {"size", 11}}})}}
        .dump();
  }

  /// Pushes config, layer and manifest as `tag`; returns the manifest digest.
  std::string push_image(const std::string& repo, const std::string& tag,
                         const HeaderList& auth) const {
    push_blob(repo, "{}", auth);
    push_blob(repo, "layer-bytes", auth);
    auto res = req("PUT", "/v2/" + repo + "/manifests/" + tag,
                   with(auth, "Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                   manifest_json());
    EXPECT_EQ(res.status, 201) << res.body;
    return res.headers["Docker-Content-Digest"];
  }

  std::string pull_token(const std::string& user_id, const std::string& repo) const {
    auto key = auth::SessionSigner::load_or_create_key(deployer_->data_dir() / "secret.key");
    EXPECT_TRUE(key);
    SystemClock clock;
    return auth::PushTokenSigner(auth::derive_token_key(*key, "registry"), clock)
        .issue_pull(user_id, repo);
  }

  std::string push_token(const std::string& user_id, const std::string& repo,
                         std::int64_t issued_at) const {
    auto key = auth::SessionSigner::load_or_create_key(deployer_->data_dir() / "secret.key");
    EXPECT_TRUE(key);
    ManualClock clock(issued_at);
    return auth::PushTokenSigner(auth::derive_token_key(*key, "registry"), clock)
        .issue(user_id, repo);
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_, alice_session_, bob_session_, vera_session_, alice_id_;
  const HeaderList alice_ = basic("alice", kPassword);
  const HeaderList bob_ = basic("bob", kPassword);
  const HeaderList vera_ = basic("vera", kPassword);
  const HeaderList admin_basic_ = basic("admin", DeployerProcess::kAdminPassword);
};

TEST_F(Registry, BaseEndpointChallengesAndAcceptsEveryCredentialKind) {
  for (const std::string& path : std::vector<std::string>{"/v2/", "/v2"}) {
    auto anon = req("GET", path, {});
    EXPECT_EQ(anon.status, 401);
    EXPECT_EQ(anon.headers["WWW-Authenticate"], "Basic realm=\"orsa\"");
    EXPECT_EQ(anon.headers["Docker-Distribution-API-Version"], "registry/2.0");
    EXPECT_EQ(spec_code(anon), "UNAUTHORIZED");
  }
  auto ok = req("GET", "/v2/", alice_);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{}");
  EXPECT_EQ(ok.headers["Docker-Distribution-API-Version"], "registry/2.0");
  EXPECT_EQ(req("GET", "/v2/", basic("alice@example.org", kPassword)).status, 200);
  EXPECT_EQ(req("GET", "/v2/", bearer(alice_session_)).status, 200);
  const std::string token =
      api_->call("POST", "/api/v1/tokens", Json{{"name", "ci"}}, alice_session_).json["secret"];
  EXPECT_EQ(req("GET", "/v2/", basic("alice", token)).status, 200);
  EXPECT_EQ(req("GET", "/v2/", bearer(token)).status, 200);
  // A token under someone else's name, wrong passwords, garbage: 401.
  EXPECT_EQ(req("GET", "/v2/", basic("bob", token)).status, 401);
  EXPECT_EQ(req("GET", "/v2/", basic("alice", "wrong-password")).status, 401);
  EXPECT_EQ(req("GET", "/v2/", {{"Authorization", "Basic !!!"}}).status, 401);
  EXPECT_EQ(req("GET", "/v2/", {{"Authorization", "Digest x"}}).status, 401);
  // Cookies do not authenticate /v2 (no cross-site registry writes).
  EXPECT_EQ(req("GET", "/v2/", {{"Cookie", "orsa_session=" + alice_session_}}).status, 401);
}

TEST_F(Registry, DisabledUserIsRefusedAtOnceDespiteTheLoginCache) {
  ASSERT_EQ(req("GET", "/v2/", alice_).status, 200);  // now cached
  ASSERT_EQ(
      api_->call("PATCH", "/api/v1/users/" + alice_id_, Json{{"disabled", true}}, admin_).status,
      200);
  EXPECT_EQ(req("GET", "/v2/", alice_).status, 401);
}

TEST_F(Registry, MonolithicAndChunkedBlobUploads) {
  const std::string repo = "/v2/alice/app";
  const std::string d = push_blob("alice/app", "hello world", alice_);
  auto head = req("HEAD", repo + "/blobs/" + d, alice_);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["Content-Length"], "11");
  EXPECT_EQ(head.headers["Docker-Content-Digest"], d);
  auto get = req("GET", repo + "/blobs/" + d, alice_);
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "hello world");

  auto start = req("POST", repo + "/blobs/uploads/", alice_);
  ASSERT_EQ(start.status, 202) << start.body;
  const std::string location = start.headers["Location"];
  const std::string id = start.headers["Docker-Upload-UUID"];
  EXPECT_EQ(location, "/v2/alice/app/blobs/uploads/" + id);
  EXPECT_EQ(start.headers["Range"], "0-0");
  auto p1 = req("PATCH", location, with(alice_, "Content-Range", "0-4"), "chunk");
  ASSERT_EQ(p1.status, 202) << p1.body;
  EXPECT_EQ(p1.headers["Range"], "0-4");
  auto p2 = req("PATCH", location, alice_, "ed-");
  ASSERT_EQ(p2.status, 202) << p2.body;
  EXPECT_EQ(p2.headers["Range"], "0-7");
  auto out_of_order = req("PATCH", location, with(alice_, "Content-Range", "3-5"), "xyz");
  EXPECT_EQ(out_of_order.status, 416);
  EXPECT_EQ(out_of_order.headers["Range"], "0-7");
  auto status = req("GET", location, alice_);
  EXPECT_EQ(status.status, 204);
  EXPECT_EQ(status.headers["Range"], "0-7");
  auto wrong = req("PUT", location + "?digest=" + digest_of("nope"), alice_, "upload");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(spec_code(wrong), "DIGEST_INVALID");
  EXPECT_EQ(req("GET", location, alice_).status, 404);  // the failed PUT ended the session

  auto again = req("POST", repo + "/blobs/uploads", alice_);  // no trailing slash works too
  ASSERT_EQ(again.status, 202);
  const std::string loc2 = again.headers["Location"];
  ASSERT_EQ(req("PATCH", loc2, alice_, "chunked-").status, 202);
  const std::string full = digest_of("chunked-upload");
  auto done = req("PUT", loc2 + "?digest=" + full, alice_, "upload");
  ASSERT_EQ(done.status, 201) << done.body;
  EXPECT_EQ(done.headers["Location"], "/v2/alice/app/blobs/" + full);
  EXPECT_EQ(done.headers["Docker-Content-Digest"], full);
  EXPECT_EQ(req("GET", repo + "/blobs/" + full, alice_).body, "chunked-upload");

  auto cancel = req("POST", repo + "/blobs/uploads/", alice_);
  const std::string loc3 = cancel.headers["Location"];
  EXPECT_EQ(req("DELETE", loc3, alice_).status, 204);
  auto gone = req("PATCH", loc3, alice_, "x");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(spec_code(gone), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(spec_code(req("PUT", repo + "/blobs/uploads/nope?digest=" + full, alice_)),
            "BLOB_UPLOAD_UNKNOWN");
  auto no_digest = req("PUT", loc2, alice_);
  EXPECT_EQ(no_digest.status, 400);
  EXPECT_EQ(spec_code(no_digest), "DIGEST_INVALID");

  auto bad_mono = req("POST", repo + "/blobs/uploads/?digest=" + digest_of("a"), alice_, "b");
  EXPECT_EQ(bad_mono.status, 400);
  EXPECT_EQ(spec_code(bad_mono), "DIGEST_INVALID");
  auto unknown = req("GET", repo + "/blobs/" + digest_of("never"), alice_);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(spec_code(unknown), "BLOB_UNKNOWN");
  EXPECT_EQ(spec_code(req("GET", repo + "/blobs/sha256:xyz", alice_)), "DIGEST_INVALID");
  // No manifest needs the blob: the repository may delete it (spec end-10).
  EXPECT_EQ(req("DELETE", repo + "/blobs/" + d, alice_).status, 202);
  EXPECT_EQ(spec_code(req("GET", repo + "/blobs/" + d, alice_)), "BLOB_UNKNOWN");
}

TEST_F(Registry, BlobRanges) {
  const std::string d = push_blob("alice/app", "0123456789", alice_);
  const std::string path = "/v2/alice/app/blobs/" + d;
  auto part = req("GET", path, with(alice_, "Range", "bytes=2-5"));
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "2345");
  EXPECT_EQ(part.headers["Content-Range"], "bytes 2-5/10");
  EXPECT_EQ(req("GET", path, with(alice_, "Range", "bytes=7-")).body, "789");
  auto bad = req("GET", path, with(alice_, "Range", "bytes=20-30"));
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.headers["Content-Range"], "bytes */10");
  EXPECT_EQ(req("GET", path, with(alice_, "Range", "lines=1-2")).status, 416);
}

TEST_F(Registry, LargeBlobsAreStreamedIntact) {
  std::string big(9 * 1024 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) % 251);
  const std::string d = push_blob("alice/app", big, alice_);
  auto whole = req("GET", "/v2/alice/app/blobs/" + d, alice_);
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body.size(), big.size());
  EXPECT_EQ(digest_of(whole.body), d);
  auto tail = req("GET", "/v2/alice/app/blobs/" + d, with(alice_, "Range", "bytes=1000-"));
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, big.substr(1000));
}

TEST_F(Registry, ManifestsByTagAndDigest) {
  const std::string repo = "/v2/alice/app";
  // Blobs first, else MANIFEST_BLOB_UNKNOWN.
  auto early = req("PUT", repo + "/manifests/v1",
                   with(alice_, "Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                   manifest_json());
  EXPECT_EQ(early.status, 400);
  EXPECT_EQ(spec_code(early), "MANIFEST_BLOB_UNKNOWN");
  const std::string d = push_image("alice/app", "v1", alice_);
  EXPECT_EQ(d, digest_of(manifest_json()));
  for (const std::string& ref : std::vector<std::string>{"v1", d}) {
    auto get = req("GET", repo + "/manifests/" + ref,
                   with(alice_, "Accept", "application/vnd.oci.image.manifest.v1+json"));
    ASSERT_EQ(get.status, 200) << get.body;
    EXPECT_EQ(get.body, manifest_json());
    EXPECT_EQ(get.headers["Content-Type"], "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(get.headers["Docker-Content-Digest"], d);
    auto head = req("HEAD", repo + "/manifests/" + ref, alice_);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["Content-Length"], std::to_string(manifest_json().size()));
    EXPECT_EQ(head.headers["Docker-Content-Digest"], d);
  }
  auto put_by_digest = req("PUT", repo + "/manifests/" + d, alice_, manifest_json());
  EXPECT_EQ(put_by_digest.status, 201);
  auto mismatch = req("PUT", repo + "/manifests/" + digest_of("x"), alice_, manifest_json());
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(spec_code(mismatch), "DIGEST_INVALID");
  auto invalid = req("PUT", repo + "/manifests/v2", alice_, "{not json");
  EXPECT_EQ(spec_code(invalid), "MANIFEST_INVALID");
  EXPECT_EQ(spec_code(req("PUT", repo + "/manifests/-bad", alice_, manifest_json())),
            "TAG_INVALID");
  auto missing = req("GET", repo + "/manifests/nope", alice_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(spec_code(missing), "MANIFEST_UNKNOWN");

  // DELETE by tag removes the tag only; by digest the manifest and its tags.
  ASSERT_EQ(req("PUT", repo + "/manifests/v2", alice_, manifest_json()).status, 201);
  EXPECT_EQ(req("DELETE", repo + "/manifests/v2", alice_).status, 202);
  EXPECT_EQ(req("GET", repo + "/manifests/v2", alice_).status, 404);
  EXPECT_EQ(req("GET", repo + "/manifests/v1", alice_).status, 200);
  EXPECT_EQ(req("DELETE", repo + "/manifests/" + d, alice_).status, 202);
  EXPECT_EQ(req("GET", repo + "/manifests/v1", alice_).status, 404);
  EXPECT_EQ(spec_code(req("DELETE", repo + "/manifests/" + d, alice_)), "MANIFEST_UNKNOWN");
}

// The referrers API (distribution spec v1.1): a signature pushed with a
// `subject` is listed under its image, filtered by artifactType, gone when
// deleted, and invisible to other tenants.
TEST_F(Registry, ReferrersAreListedFilteredAndScopedToTheRepository) {
  const std::string repo = "/v2/alice/app";
  const std::string subject = push_image("alice/app", "v1", alice_);
  const std::string artifact = Json{{"schemaVersion", 2},
                                    {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                    {"artifactType", "application/vnd.example.signature"},
                                    {"config",
                                     {{"mediaType", "application/vnd.oci.empty.v1+json"},
                                      {"digest", digest_of("{}")},
                                      {"size", 2}}},
                                    {"layers", Json::array()},
                                    {"subject",
                                     {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                      {"digest", subject},
                                      {"size", manifest_json().size()}}},
                                    {"annotations", {{"org.example.note", "signed"}}}}
                                   .dump();
  const std::string artifact_digest = digest_of(artifact);
  auto pushed =
      req("PUT", repo + "/manifests/" + artifact_digest,
          with(alice_, "Content-Type", "application/vnd.oci.image.manifest.v1+json"), artifact);
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  EXPECT_EQ(pushed.headers["OCI-Subject"], subject);

  auto listed = req("GET", repo + "/referrers/" + subject, alice_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.headers["Content-Type"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(listed.json["manifests"].size(), 1U) << listed.body;
  EXPECT_EQ(listed.json["manifests"][0]["digest"], artifact_digest);
  EXPECT_EQ(listed.json["manifests"][0]["artifactType"], "application/vnd.example.signature");
  EXPECT_EQ(listed.json["manifests"][0]["annotations"]["org.example.note"], "signed");

  auto filtered = req(
      "GET", repo + "/referrers/" + subject + "?artifactType=application/vnd.example.sbom", alice_);
  EXPECT_EQ(filtered.status, 200);
  EXPECT_EQ(filtered.headers["OCI-Filters-Applied"], "artifactType");
  EXPECT_TRUE(filtered.json["manifests"].empty()) << filtered.body;

  // Another tenant learns nothing, not even that the repository exists.
  auto bobs = req("GET", repo + "/referrers/" + subject, bob_);
  EXPECT_EQ(bobs.status, 404);
  EXPECT_EQ(spec_code(bobs), "NAME_UNKNOWN");
  EXPECT_EQ(req("GET", repo + "/referrers/" + subject, {}).status, 401);
  EXPECT_EQ(spec_code(req("GET", repo + "/referrers/sha256:xyz", alice_)), "DIGEST_INVALID");

  ASSERT_EQ(req("DELETE", repo + "/manifests/" + artifact_digest, alice_).status, 202);
  auto after = req("GET", repo + "/referrers/" + subject, alice_);
  EXPECT_EQ(after.status, 200);
  EXPECT_TRUE(after.json["manifests"].empty()) << after.body;
}

TEST_F(Registry, MalformedTagReadsAreUnknownManifestsAndUnknownPathsSpeakRegistry) {
  push_image("alice/app", "v1", alice_);
  for (const std::string method : {"GET", "HEAD"}) {
    for (const std::string& tag : {std::string("-bad"), std::string(".hidden"),
                                   std::string(200, 'a'), std::string("a%20b")}) {
      auto res = req(method, "/v2/alice/app/manifests/" + tag, alice_);
      EXPECT_EQ(res.status, 404) << method << " " << tag;
      if (method == "GET") {
        EXPECT_EQ(spec_code(res), "MANIFEST_UNKNOWN") << tag;
      }
    }
  }
  // Writes still name the problem.
  EXPECT_EQ(spec_code(req("PUT", "/v2/alice/app/manifests/-bad", alice_, manifest_json())),
            "TAG_INVALID");
  // An unknown /v2 path: the challenge first, then the registry's error format.
  for (const std::string path : {"/v2/alice/app/nothing/here", "/v2/x", "/v2/alice/app/blobs"}) {
    auto anonymous = req("GET", path, {});
    EXPECT_EQ(anonymous.status, 401) << path;
    EXPECT_EQ(anonymous.headers["WWW-Authenticate"], R"(Basic realm="orsa")") << path;
    EXPECT_EQ(spec_code(anonymous), "UNAUTHORIZED") << path;
    auto known = req("GET", path, alice_);
    EXPECT_EQ(known.status, 404) << path;
    EXPECT_EQ(spec_code(known), "NAME_UNKNOWN") << path;
    EXPECT_EQ(known.headers["Docker-Distribution-API-Version"], "registry/2.0") << path;
  }
  EXPECT_EQ(req("DELETE", "/v2/alice/app/unknown", {}).status, 401);
}

TEST_F(Registry, TagsListAndCatalogPage) {
  for (const char* tag : {"b", "a", "c"}) push_image("alice/app", tag, alice_);
  auto all = req("GET", "/v2/alice/app/tags/list", alice_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json["name"], "alice/app");
  EXPECT_EQ(all.json["tags"], Json::array({"a", "b", "c"}));
  EXPECT_FALSE(all.headers.contains("Link"));
  auto first = req("GET", "/v2/alice/app/tags/list?n=2", alice_);
  EXPECT_EQ(first.json["tags"], Json::array({"a", "b"}));
  EXPECT_EQ(first.headers["Link"], "</v2/alice/app/tags/list?n=2&last=b>; rel=\"next\"");
  auto rest = req("GET", "/v2/alice/app/tags/list?n=2&last=b", alice_);
  EXPECT_EQ(rest.json["tags"], Json::array({"c"}));
  EXPECT_FALSE(rest.headers.contains("Link"));
  EXPECT_EQ(req("GET", "/v2/alice/app/tags/list?n=x", alice_).status, 400);

  push_image("bob/app", "v1", bob_);
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "web"}}, alice_session_).status,
            201);
  push_image("alice/web", "v1", alice_);
  EXPECT_EQ(req("GET", "/v2/_catalog", alice_).json["repositories"],
            Json::array({"alice/app", "alice/web"}));
  EXPECT_EQ(req("GET", "/v2/_catalog", bob_).json["repositories"], Json::array({"bob/app"}));
  EXPECT_EQ(req("GET", "/v2/_catalog", vera_).json["repositories"], Json::array());
  EXPECT_EQ(req("GET", "/v2/_catalog", admin_basic_).json["repositories"],
            Json::array({"alice/app", "alice/web", "bob/app"}));
  auto page = req("GET", "/v2/_catalog?n=1", alice_);
  EXPECT_EQ(page.json["repositories"], Json::array({"alice/app"}));
  EXPECT_EQ(page.headers["Link"], "</v2/_catalog?n=1&last=alice/app>; rel=\"next\"");
  EXPECT_EQ(req("GET", "/v2/_catalog?n=1&last=alice/app", alice_).json["repositories"],
            Json::array({"alice/web"}));
  EXPECT_EQ(req("GET", "/v2/_catalog", {}).status, 401);
}

TEST_F(Registry, TenantIsolation) {
  const std::string d = push_image("alice/app", "v1", alice_);
  const std::string layer = digest_of("layer-bytes");
  // Bob: alice's repository does not exist for him, whatever he tries.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v2/alice/app/manifests/v1"},
           {"HEAD", "/v2/alice/app/manifests/" + d},
           {"GET", "/v2/alice/app/blobs/" + layer},
           {"GET", "/v2/alice/app/tags/list"},
           {"POST", "/v2/alice/app/blobs/uploads/"},
           {"PUT", "/v2/alice/app/manifests/v2"},
           {"DELETE", "/v2/alice/app/manifests/" + d},
           {"GET", "/v2/alice/ghost/tags/list"},
       }) {
    SCOPED_TRACE(method + " " + path);
    auto res = req(method, path, bob_, method == "PUT" ? manifest_json() : "");
    EXPECT_EQ(res.status, 404);
    if (method != "HEAD") {
      EXPECT_EQ(spec_code(res), "NAME_UNKNOWN");
    }
    auto anon = req(method, path, {});
    EXPECT_EQ(anon.status, 401);
    EXPECT_EQ(anon.headers["WWW-Authenticate"], "Basic realm=\"orsa\"");
  }
  // Knowing a digest does not help: bob's own repository has no such blob.
  EXPECT_EQ(spec_code(req("GET", "/v2/bob/app/blobs/" + layer, bob_)), "BLOB_UNKNOWN");
  // Mounting from alice falls back to a plain upload.
  auto mount = req("POST", "/v2/bob/app/blobs/uploads/?mount=" + layer + "&from=alice/app", bob_);
  EXPECT_EQ(mount.status, 202);
  EXPECT_EQ(req("HEAD", "/v2/bob/app/blobs/" + layer, bob_).status, 404);
  // While alice may mount between her own repositories.
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "web"}}, alice_session_).status,
            201);
  auto own_mount =
      req("POST", "/v2/alice/web/blobs/uploads/?mount=" + layer + "&from=alice/app", alice_);
  EXPECT_EQ(own_mount.status, 201);
  EXPECT_EQ(own_mount.headers["Docker-Content-Digest"], layer);
  EXPECT_EQ(req("HEAD", "/v2/alice/web/blobs/" + layer, alice_).status, 200);
  // A repository needs a project, even for its namesake owner.
  EXPECT_EQ(spec_code(req("POST", "/v2/alice/ghost/blobs/uploads/", alice_)), "NAME_UNKNOWN");
  EXPECT_EQ(spec_code(req("GET", "/v2/Alice/app/tags/list", alice_)), "NAME_INVALID");
  // Admins see everything.
  EXPECT_EQ(req("GET", "/v2/alice/app/manifests/v1", admin_basic_).status, 200);
}

TEST_F(Registry, ViewersPullOwnButCannotPush) {
  push_image("vera/vapp", "v1", admin_basic_);
  EXPECT_EQ(req("GET", "/v2/vera/vapp/manifests/v1", vera_).status, 200);
  auto push = req("POST", "/v2/vera/vapp/blobs/uploads/", vera_);
  EXPECT_EQ(push.status, 403);
  EXPECT_EQ(spec_code(push), "DENIED");
  EXPECT_EQ(req("DELETE", "/v2/vera/vapp/manifests/v1", vera_).status, 403);
  EXPECT_EQ(req("GET", "/v2/alice/app/tags/list", vera_).status, 404);
}

TEST_F(Registry, ReservedNamespaceIsPullableByAllPushableByAdmins) {
  auto dev_push = req("POST", "/v2/orsa/base/blobs/uploads/", alice_);
  EXPECT_EQ(dev_push.status, 403);
  EXPECT_EQ(spec_code(dev_push), "DENIED");
  push_image("orsa/base", "v1", admin_basic_);
  EXPECT_EQ(req("GET", "/v2/orsa/base/manifests/v1", alice_).status, 200);
  EXPECT_EQ(req("GET", "/v2/orsa/base/manifests/v1", vera_).status, 200);
  EXPECT_EQ(req("GET", "/v2/orsa/base/manifests/v1", {}).status, 401);
  // Base layers mount into a user's repository.
  auto mount = req(
      "POST", "/v2/alice/app/blobs/uploads/?mount=" + digest_of("layer-bytes") + "&from=orsa/base",
      alice_);
  EXPECT_EQ(mount.status, 201);
  // The name is reserved for users too.
  auto reg =
      api_->call("POST", "/api/v1/auth/register",
                 Json{{"username", "orsa"}, {"email", "o@example.org"}, {"password", kPassword}});
  EXPECT_EQ(reg.status, 400);
  auto created = api_->call("POST", "/api/v1/users",
                            Json{{"username", "orsa"},
                                 {"email", "o@example.org"},
                                 {"password", kPassword},
                                 {"role", "developer"}},
                            admin_);
  EXPECT_EQ(created.status, 400);
}

TEST_F(Registry, PushTokensAreScopedToOneRepositoryAndExpire) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const HeaderList token = bearer(push_token(alice_id_, "alice/app", now));
  push_image("alice/app", "v1", token);
  EXPECT_EQ(req("GET", "/v2/alice/app/manifests/v1", token).status, 200);
  // Another of alice's repositories, or anyone else's: not there.
  ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "web"}}, alice_session_).status,
            201);
  EXPECT_EQ(spec_code(req("POST", "/v2/alice/web/blobs/uploads/", token)), "NAME_UNKNOWN");
  EXPECT_EQ(spec_code(req("GET", "/v2/bob/app/tags/list", token)), "NAME_UNKNOWN");
  EXPECT_EQ(req("GET", "/v2/_catalog", token).json["repositories"], Json::array({"alice/app"}));
  // Base images: pull yes, push no.
  EXPECT_EQ(spec_code(req("POST", "/v2/orsa/base/blobs/uploads/", token)), "NAME_UNKNOWN");
  // Never a session on the REST API.
  EXPECT_EQ(api_->call("GET", "/api/v1/me", std::nullopt, token[0].second.substr(7)).status, 401);
  // Expired: issued 16 minutes ago.
  const HeaderList expired = bearer(push_token(alice_id_, "alice/app", now - 16 * 60));
  auto res = req("GET", "/v2/alice/app/manifests/v1", expired);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.headers["WWW-Authenticate"], "Basic realm=\"orsa\"");
  // A token for a repository its user may not push to grants nothing.
  const HeaderList bobs = bearer(push_token(alice_id_, "bob/app", now));
  EXPECT_EQ(spec_code(req("GET", "/v2/bob/app/tags/list", bobs)), "NAME_UNKNOWN");
}

// The README's `skopeo --creds ada:$TOKEN` with the token from /auth/login:
// a session JWT is a registry password of its own user, and only while the
// session lives.
TEST_F(Registry, SessionTokensWorkAsRegistryPasswords) {
  EXPECT_EQ(req("GET", "/v2/", basic("alice", alice_session_)).status, 200);
  EXPECT_EQ(req("GET", "/v2/", basic("ALICE", alice_session_)).status, 200);
  // Under another name it is nobody's password.
  EXPECT_EQ(req("GET", "/v2/", basic("bob", alice_session_)).status, 401);
  push_image("alice/app", "v1", basic("alice", alice_session_));
  EXPECT_EQ(req("GET", "/v2/alice/app/manifests/v1", basic("alice", alice_session_)).status, 200);
  // Logged out: the copy in the registry client dies with the session.
  const std::string session = api_->login("alice", kPassword);
  EXPECT_EQ(req("GET", "/v2/", basic("alice", session)).status, 200);
  EXPECT_EQ(api_->call("POST", "/api/v1/auth/logout", std::nullopt, session).status, 204);
  EXPECT_EQ(req("GET", "/v2/", basic("alice", session)).status, 401);
  // A password that merely looks like a JWT is still tried as a password.
  EXPECT_EQ(req("GET", "/v2/", basic("alice", "eyJ-not-a-token")).status, 401);
}

// The runtime pulls with a pull-only token: it reads its repository and
// cannot write anything, even there.
TEST_F(Registry, PullTokensCannotPush) {
  push_image("alice/app", "v1", alice_);
  const std::string pull = pull_token(alice_id_, "alice/app");
  // As the runtime sends it: the token as the Basic password.
  EXPECT_EQ(req("GET", "/v2/alice/app/manifests/v1", basic("alice", pull)).status, 200);
  EXPECT_EQ(req("GET", "/v2/alice/app/manifests/v1", bearer(pull)).status, 200);
  auto push = req("POST", "/v2/alice/app/blobs/uploads/", basic("alice", pull));
  EXPECT_EQ(push.status, 403) << push.body;
  EXPECT_EQ(req("PUT", "/v2/alice/app/manifests/v2",
                with(bearer(pull), "Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                manifest_json())
                .status,
            403);
  EXPECT_EQ(req("DELETE", "/v2/alice/app/manifests/v1", bearer(pull)).status, 403);
  EXPECT_EQ(spec_code(req("GET", "/v2/bob/app/tags/list", bearer(pull))), "NAME_UNKNOWN");
}

// API token scopes hold on the registry too: a read token pulls, never pushes.
TEST_F(Registry, ReadScopedTokensOnlyPull) {
  push_image("alice/app", "v1", alice_);
  const std::string read_only =
      api_->call("POST", "/api/v1/tokens", Json{{"name", "ci-read"}, {"scopes", {"read"}}},
                 alice_session_)
          .json["secret"];
  EXPECT_EQ(req("GET", "/v2/alice/app/manifests/v1", basic("alice", read_only)).status, 200);
  EXPECT_EQ(req("POST", "/v2/alice/app/blobs/uploads/", basic("alice", read_only)).status, 403);
}

}  // namespace
}  // namespace orsa::testing
