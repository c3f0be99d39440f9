// What /v2 stores and serves: chunked and monolithic blob uploads, manifest
// push and pull, tags, referrers with artifactType filtering and the limits
// on upload sessions.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry_routes.hpp"
#include "registry_test_fixture.hpp"

namespace orsa::registry::testing {
namespace {

using Content = RegistryApiTest;

constexpr std::string_view kRepo = "alice/app";

std::string upload_path(const http::Response& started) {
  return std::string(started.header("Location").value_or(""));
}

TEST_F(Content, AChunkedUploadIsStoredAndServed) {
  const std::string blob = "first chunk|second chunk|last";
  const std::string digest = oci::Digest::of(blob).str();
  auto started = call("POST", "/v2/alice/app/blobs/uploads/", alice());
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string location = upload_path(started);
  ASSERT_TRUE(location.starts_with("/v2/alice/app/blobs/uploads/")) << location;
  EXPECT_EQ(started.header("Range").value_or(""), "0-0");
  EXPECT_EQ(location.substr(location.rfind('/') + 1),
            started.header("Docker-Upload-UUID").value_or(""));

  auto first = call("PATCH", location, alice(), blob.substr(0, 12), {{"Content-Range", "0-11"}});
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(first.header("Range").value_or(""), "0-11");
  // A chunk that does not continue the upload is the spec's 416, with the progress.
  auto gap = call("PATCH", location, alice(), "x", {{"Content-Range", "20-20"}});
  EXPECT_EQ(gap.status, 416) << gap.body;
  EXPECT_EQ(gap.header("Range").value_or(""), "0-11");
  auto second = call("PATCH", location, alice(), blob.substr(12, 13));
  ASSERT_EQ(second.status, 202) << second.body;
  EXPECT_EQ(second.header("Range").value_or(""), "0-24");
  auto status = call("GET", location, alice());
  EXPECT_EQ(status.status, 204);
  EXPECT_EQ(status.header("Range").value_or(""), "0-24");

  auto no_digest = call("PUT", location, alice(), blob.substr(25));
  EXPECT_EQ(no_digest.status, 400) << no_digest.body;
  EXPECT_EQ(error_code(no_digest), "DIGEST_INVALID");
  auto done = call("PUT", location + "?digest=" + digest, alice(), blob.substr(25));
  ASSERT_EQ(done.status, 201) << done.body;
  EXPECT_EQ(done.header("Docker-Content-Digest").value_or(""), digest);
  EXPECT_EQ(done.header("Location").value_or(""), "/v2/alice/app/blobs/" + digest);
  EXPECT_EQ(upload_sessions(), 0u);
  EXPECT_EQ(call("GET", location, alice()).status, 404);  // the session is gone

  auto head = call("HEAD", "/v2/alice/app/blobs/" + digest, alice());
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length").value_or(""), std::to_string(blob.size()));
  EXPECT_TRUE(head.body.empty());
  auto get = call("GET", "/v2/alice/app/blobs/" + digest, alice());
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, blob);
  EXPECT_EQ(get.header("Docker-Content-Digest").value_or(""), digest);
  auto part = call("GET", "/v2/alice/app/blobs/" + digest, alice(), {}, {{"Range", "bytes=6-10"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "chunk");
  EXPECT_EQ(part.header("Content-Range").value_or(""), "bytes 6-10/" + std::to_string(blob.size()));
  auto beyond = call("GET", "/v2/alice/app/blobs/" + digest, alice(), {}, {{"Range", "bytes=99-"}});
  EXPECT_EQ(beyond.status, 416) << beyond.body;
}

// The distribution spec: the Range answered for a chunk ends where its
// Content-Range did, so a range that does not span the chunk's bytes is
// refused (416 with the upload's progress) and changes nothing; so is a
// closing PUT's final chunk that does not start where the upload ends.
TEST_F(Content, AChunkWhoseContentRangeDoesNotSpanItsBytesIs416) {
  auto started = call("POST", "/v2/alice/app/blobs/uploads/", alice());
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string location = upload_path(started);
  ASSERT_EQ(call("PATCH", location, alice(), "abcd", {{"Content-Range", "0-3"}}).status, 202);

  auto longer = call("PATCH", location, alice(), "ef", {{"Content-Range", "4-9"}});
  EXPECT_EQ(longer.status, 416) << longer.body;
  EXPECT_EQ(error_code(longer), "BLOB_UPLOAD_INVALID");
  EXPECT_EQ(longer.header("Range").value_or(""), "0-3");
  EXPECT_EQ(longer.header("Location").value_or(""), location);
  auto shorter = call("PATCH", location, alice(), "efgh", {{"Content-Range", "4-5"}});
  EXPECT_EQ(shorter.status, 416) << shorter.body;
  EXPECT_EQ(call("GET", location, alice()).header("Range").value_or(""), "0-3");

  const std::string digest = oci::Digest::of("abcdef").str();
  auto gap = call("PUT", location + "?digest=" + digest, alice(), "ef", {{"Content-Range", "5-6"}});
  EXPECT_EQ(gap.status, 416) << gap.body;
  EXPECT_EQ(gap.header("Range").value_or(""), "0-3");
  auto closed =
      call("PUT", location + "?digest=" + digest, alice(), "ef", {{"Content-Range", "4-5"}});
  ASSERT_EQ(closed.status, 201) << closed.body;
  EXPECT_EQ(call("GET", "/v2/alice/app/blobs/" + digest, alice()).body, "abcdef");
}

TEST_F(Content, AWrongDigestStoresNothing) {
  const std::string claimed = oci::Digest::of("something else").str();
  auto res = call("POST", "/v2/alice/app/blobs/uploads/?digest=" + claimed, alice(), "bytes");
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(error_code(res), "DIGEST_INVALID");
  EXPECT_EQ(call("HEAD", "/v2/alice/app/blobs/" + claimed, alice()).status, 404);
  const std::string real = oci::Digest::of("bytes").str();
  auto unknown = call("GET", "/v2/alice/app/blobs/" + real, alice());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(unknown), "BLOB_UNKNOWN");
  auto del = call("DELETE", "/v2/alice/app/blobs/" + real, alice());
  EXPECT_EQ(del.status, 404) << del.body;
  EXPECT_EQ(error_code(del), "BLOB_UNKNOWN");
}

// Distribution spec end-10: DELETE of a blob is 202, then 404. A blob a
// manifest of the repository still needs (or a manifest) is refused with the
// spec's 405 for disabled deletion, so a client never breaks an image.
TEST_F(Content, ABlobNoManifestNeedsIsDeletedAndANeededOneIsRefused) {
  const std::string loose = push_blob(kRepo, "loose bytes");
  EXPECT_EQ(call("DELETE", "/v2/alice/app/blobs/" + loose, alice()).status, 202);
  EXPECT_EQ(call("HEAD", "/v2/alice/app/blobs/" + loose, alice()).status, 404);
  auto again = call("DELETE", "/v2/alice/app/blobs/" + loose, alice());
  EXPECT_EQ(again.status, 404) << again.body;
  EXPECT_EQ(error_code(again), "BLOB_UNKNOWN");

  const std::string manifest = image_manifest(kRepo, "needed layer");
  const std::string digest = oci::Digest::of(manifest).str();
  ASSERT_EQ(push_manifest(kRepo, "v1", manifest).status, 201);
  const std::string layer = oci::Digest::of("needed layer").str();
  for (const std::string& needed : {layer, digest}) {
    auto refused = call("DELETE", "/v2/alice/app/blobs/" + needed, alice());
    EXPECT_EQ(refused.status, 405) << refused.body;
    EXPECT_EQ(error_code(refused), "UNSUPPORTED");
    EXPECT_EQ(call("HEAD", "/v2/alice/app/blobs/" + needed, alice()).status, 200);
  }
  // Without the manifest, the layer is the repository's to delete.
  ASSERT_EQ(call("DELETE", "/v2/alice/app/manifests/" + digest, alice()).status, 202);
  EXPECT_EQ(call("DELETE", "/v2/alice/app/blobs/" + layer, alice()).status, 202);
  EXPECT_EQ(call("GET", "/v2/alice/app/blobs/" + layer, alice()).status, 404);
  // Another tenant cannot delete it.
  EXPECT_EQ(call("DELETE", "/v2/alice/app/blobs/" + loose, bob()).status, 404);
}

TEST_F(Content, AManifestIsPushedAndPulledByTagAndDigest) {
  const std::string manifest = image_manifest(kRepo);
  const std::string digest = oci::Digest::of(manifest).str();
  auto pushed = push_manifest(kRepo, "v1", manifest);
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  EXPECT_EQ(pushed.header("Docker-Content-Digest").value_or(""), digest);
  EXPECT_EQ(pushed.header("Location").value_or(""), "/v2/alice/app/manifests/" + digest);
  EXPECT_FALSE(pushed.header("OCI-Subject"));  // it refers to nothing

  for (const std::string& reference : std::vector<std::string>{"v1", digest}) {
    auto pulled = call("GET", "/v2/alice/app/manifests/" + reference, alice());
    ASSERT_EQ(pulled.status, 200) << reference << ": " << pulled.body;
    EXPECT_EQ(pulled.body, manifest);
    EXPECT_EQ(pulled.header("Content-Type").value_or(""),
              "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(pulled.header("Docker-Content-Digest").value_or(""), digest);
  }
  auto head = call("HEAD", "/v2/alice/app/manifests/v1", alice());
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length").value_or(""), std::to_string(manifest.size()));

  auto tags = call("GET", "/v2/alice/app/tags/list", alice());
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_EQ(Json::parse(tags.body), (Json{{"name", "alice/app"}, {"tags", {"v1"}}}));
  EXPECT_EQ(Json::parse(call("GET", "/v2/_catalog", alice()).body)["repositories"],
            Json::array({"alice/app"}));

  EXPECT_EQ(call("DELETE", "/v2/alice/app/manifests/" + digest, alice()).status, 202);
  auto gone = call("GET", "/v2/alice/app/manifests/v1", alice());
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(error_code(gone), "MANIFEST_UNKNOWN");
}

// The server refuses a manifest over the route's limit from its
// Content-Length, before any handler runs; the answer still has the spec's
// error form (distribution spec: 413 for a manifest over the size limit).
TEST(RegistryOptions, TheServersOwnRefusalsUseTheSpecsErrorFormat) {
  const http::RouteOptions options = registry_options(kManifestBodyLimit);
  ASSERT_TRUE(options.error_body);
  const http::Response res =
      options.error_body(Error::too_large("request body exceeds 4194304 bytes"));
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.header("Docker-Distribution-API-Version").value_or(""), "registry/2.0");
  const Json body = Json::parse(res.body);
  ASSERT_EQ(body["errors"].size(), 1u) << res.body;
  EXPECT_EQ(body["errors"][0]["code"], "SIZE_INVALID");
  EXPECT_EQ(body["errors"][0]["message"], "request body exceeds 4194304 bytes");
}

TEST_F(Content, AManifestNamingAMissingBlobIsRefused) {
  const Json doc = {{"schemaVersion", 2},
                    {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                    {"config",
                     {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                      {"digest", oci::Digest::of("never pushed").str()},
                      {"size", 12}}},
                    {"layers", Json::array()}};
  auto res = push_manifest(kRepo, "v1", doc.dump());
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(error_code(res), "MANIFEST_BLOB_UNKNOWN");
  EXPECT_EQ(call("GET", "/v2/alice/app/manifests/v1", alice()).status, 404);
}

TEST_F(Content, AMalformedTagIsUnknownOnReadsAndInvalidOnWrites) {
  ASSERT_EQ(push_manifest(kRepo, "v1", image_manifest(kRepo)).status, 201);
  for (const std::string& tag :
       std::vector<std::string>{"-starts-with-dash", ".hidden", std::string(129, 'a')}) {
    auto read = call("GET", "/v2/alice/app/manifests/" + tag, alice());
    EXPECT_EQ(read.status, 404) << tag << ": " << read.body;
    EXPECT_EQ(error_code(read), "MANIFEST_UNKNOWN") << tag;
    EXPECT_EQ(call("HEAD", "/v2/alice/app/manifests/" + tag, alice()).status, 404) << tag;
    auto write = push_manifest(kRepo, tag, image_manifest(kRepo));
    EXPECT_EQ(write.status, 400) << tag << ": " << write.body;
    EXPECT_EQ(error_code(write), "TAG_INVALID") << tag;
  }
  EXPECT_EQ(Json::parse(call("GET", "/v2/alice/app/tags/list", alice()).body)["tags"],
            Json::array({"v1"}));
}

TEST_F(Content, TagListsArePagedWithALinkToTheNextPage) {
  const std::string manifest = image_manifest(kRepo);
  for (const char* tag : {"a", "b", "c"})
    ASSERT_EQ(push_manifest(kRepo, tag, manifest).status, 201);
  auto first = call("GET", "/v2/alice/app/tags/list?n=2", alice());
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json::parse(first.body)["tags"], Json::array({"a", "b"}));
  EXPECT_EQ(first.header("Link").value_or(""),
            R"(</v2/alice/app/tags/list?n=2&last=b>; rel="next")");
  auto rest = call("GET", "/v2/alice/app/tags/list?n=2&last=b", alice());
  EXPECT_EQ(Json::parse(rest.body)["tags"], Json::array({"c"}));
  EXPECT_FALSE(rest.header("Link"));
  auto bad = call("GET", "/v2/alice/app/tags/list?n=two", alice());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(error_code(bad), "PAGINATION_NUMBER_INVALID");
}

class Referrers : public RegistryApiTest {
 protected:
  void SetUp() override {
    RegistryApiTest::SetUp();
    subject_manifest_ = image_manifest(kRepo);
    subject_ = oci::Digest::of(subject_manifest_).str();
    ASSERT_EQ(push_manifest(kRepo, "v1", subject_manifest_).status, 201);
    empty_ = push_blob(kRepo, "{}");
  }

  // An artifact (image-spec v1.1) of `type` about the subject.
  std::string artifact(std::string_view type, std::string_view note) const {
    const Json empty = {
        {"mediaType", "application/vnd.oci.empty.v1+json"}, {"digest", empty_}, {"size", 2}};
    return Json{{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"artifactType", type},
                {"config", empty},
                {"layers", Json::array({empty})},
                {"subject",
                 {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                  {"digest", subject_},
                  {"size", subject_manifest_.size()}}},
                {"annotations", {{"note", note}}}}
        .dump();
  }

  std::string subject_manifest_;
  std::string subject_;
  std::string empty_;
};

TEST_F(Referrers, PushingAReferrerAnswersOCISubjectAndTheIndexListsIt) {
  const std::string signature = artifact("application/vnd.example.signature", "sig");
  const std::string sbom = artifact("application/vnd.example.sbom", "sbom");
  for (const auto& doc : {signature, sbom}) {
    auto pushed = push_manifest(kRepo, oci::Digest::of(doc).str(), doc);
    ASSERT_EQ(pushed.status, 201) << pushed.body;
    EXPECT_EQ(pushed.header("OCI-Subject").value_or(""), subject_);
  }

  auto all = call("GET", "/v2/alice/app/referrers/" + subject_, alice());
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.header("Content-Type").value_or(""), "application/vnd.oci.image.index.v1+json");
  EXPECT_FALSE(all.header("OCI-Filters-Applied"));
  const Json index = Json::parse(all.body);
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(index["manifests"].size(), 2u) << all.body;

  auto only = call(
      "GET",
      "/v2/alice/app/referrers/" + subject_ + "?artifactType=application/vnd.example.signature",
      alice());
  ASSERT_EQ(only.status, 200) << only.body;
  EXPECT_EQ(only.header("OCI-Filters-Applied").value_or(""), "artifactType");
  const Json filtered = Json::parse(only.body)["manifests"];
  ASSERT_EQ(filtered.size(), 1u) << only.body;
  EXPECT_EQ(filtered[0]["digest"], oci::Digest::of(signature).str());
  EXPECT_EQ(filtered[0]["artifactType"], "application/vnd.example.signature");

  auto none =
      call("GET", "/v2/alice/app/referrers/" + subject_ + "?artifactType=text/plain", alice());
  EXPECT_EQ(Json::parse(none.body)["manifests"], Json::array());
}

TEST_F(Referrers, AnUnknownSubjectHasAnEmptyIndexAndOthersSeeNothing) {
  const std::string doc = artifact("application/vnd.example.signature", "sig");
  ASSERT_EQ(push_manifest(kRepo, oci::Digest::of(doc).str(), doc).status, 201);
  auto unknown =
      call("GET", "/v2/alice/app/referrers/" + oci::Digest::of("no such subject").str(), alice());
  ASSERT_EQ(unknown.status, 200) << unknown.body;
  EXPECT_EQ(Json::parse(unknown.body)["manifests"], Json::array());
  auto bad = call("GET", "/v2/alice/app/referrers/sha256:nothex", alice());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(error_code(bad), "DIGEST_INVALID");
  auto other = call("GET", "/v2/alice/app/referrers/" + subject_, bob());
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_EQ(error_code(other), "NAME_UNKNOWN");
}

TEST_F(Content, UploadSessionsAreLimitedPerUserAndBoundToTheirRepository) {
  std::vector<std::string> sessions;
  for (std::size_t i = 0; i < kUploadsPerUser; ++i) {
    auto started = call("POST", "/v2/alice/app/blobs/uploads/", alice());
    ASSERT_EQ(started.status, 202) << started.body;
    sessions.push_back(upload_path(started));
  }
  auto over = call("POST", "/v2/alice/app/blobs/uploads/", alice());
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(error_code(over), "TOOMANYREQUESTS");
  EXPECT_EQ(over.header("Retry-After").value_or(""), "60");
  // Another user's budget is their own.
  EXPECT_EQ(call("POST", "/v2/bob/tool/blobs/uploads/", bob()).status, 202);

  // A session is reachable only through the repository that started it.
  ASSERT_TRUE(store_.projects().create({alice_id_, "other", "python-flask"}));
  const std::string id = sessions[0].substr(sessions[0].rfind('/') + 1);
  auto elsewhere = call("PATCH", "/v2/alice/other/blobs/uploads/" + id, alice(), "chunk");
  EXPECT_EQ(elsewhere.status, 404) << elsewhere.body;
  EXPECT_EQ(error_code(elsewhere), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(call("GET", sessions[0], alice()).header("Range").value_or(""), "0-0");
  auto unknown = call("PATCH", "/v2/alice/app/blobs/uploads/0123456789abcdef", alice(), "x");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(error_code(unknown), "BLOB_UPLOAD_UNKNOWN");

  // Cancelling one frees a place.
  EXPECT_EQ(call("DELETE", sessions[0], alice()).status, 204);
  EXPECT_EQ(call("DELETE", sessions[0], alice()).status, 404);
  EXPECT_EQ(call("POST", "/v2/alice/app/blobs/uploads/", alice()).status, 202);
}

TEST_F(Content, AMountFromAReadableRepositoryLinksTheBlobWithoutAnUpload) {
  ASSERT_TRUE(store_.projects().create({alice_id_, "other", "python-flask"}));
  const std::string digest = push_blob(kRepo, "shared layer");
  auto mounted =
      call("POST", "/v2/alice/other/blobs/uploads/?mount=" + digest + "&from=alice/app", alice());
  EXPECT_EQ(mounted.status, 201) << mounted.body;
  EXPECT_EQ(call("GET", "/v2/alice/other/blobs/" + digest, alice()).body, "shared layer");
  // From a repository the caller cannot read: an ordinary upload instead.
  auto refused =
      call("POST", "/v2/bob/tool/blobs/uploads/?mount=" + digest + "&from=alice/app", bob());
  EXPECT_EQ(refused.status, 202) << refused.body;
  EXPECT_EQ(call("HEAD", "/v2/bob/tool/blobs/" + digest, bob()).status, 404);
}

}  // namespace
}  // namespace orsa::registry::testing
