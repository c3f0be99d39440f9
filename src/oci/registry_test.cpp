#include "oci/registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/json.hpp"
#include "core/random.hpp"
#include "core/temp_dir.hpp"
#include "oci/media_types.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRepo = "alice/app";

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = BlobStore::open(root_.path(), {.max_manifest_bytes = 64 * 1024}).value();
    registry_ = std::make_unique<Registry>(*store_);
  }

  Digest push_blob(std::string_view repo, std::string_view bytes) {
    auto d = registry_->put_blob(repo, Digest::of(bytes).str(), bytes);
    EXPECT_TRUE(d) << d.error().message;
    return Digest::of(bytes);
  }

  static Json descriptor(std::string_view media_type, std::string_view bytes) {
    return {{"mediaType", media_type}, {"digest", Digest::of(bytes).str()}, {"size", bytes.size()}};
  }

  static std::string manifest(std::string_view media_type = kOciManifest, bool with_type = true) {
    Json doc = {{"schemaVersion", 2},
                {"config", descriptor(kOciConfig, "config")},
                {"layers", Json::array({descriptor(kOciLayerGzip, "layer")})}};
    if (with_type) doc["mediaType"] = media_type;
    return doc.dump();
  }

  void push_image_blobs(std::string_view repo) {
    push_blob(repo, "config");
    push_blob(repo, "layer");
  }

  TempDir root_{"orsa-registry"};
  std::unique_ptr<BlobStore> store_;
  std::unique_ptr<Registry> registry_;
};

void expect_detail(const Error& e, std::string_view detail) {
  EXPECT_EQ(e.registry_code, detail) << e.message;
}

TEST(RangeHeader, ParsesTheForms) {
  auto r = parse_range_header("bytes=2-5", 10).value();
  EXPECT_EQ(r.first, 2);
  EXPECT_EQ(r.last, 5);
  EXPECT_EQ(r.length(), 4);
  r = parse_range_header("bytes=7-", 10).value();
  EXPECT_EQ(r.first, 7);
  EXPECT_EQ(r.last, 9);
  r = parse_range_header("bytes=-3", 10).value();
  EXPECT_EQ(r.first, 7);
  r = parse_range_header("bytes=5-100", 10).value();  // clamped to the end
  EXPECT_EQ(r.last, 9);
  for (std::string_view bad : {"bytes=10-12", "bytes=5-2", "bytes=a-b", "bytes=1-2,4-5",
                               "items=0-1", "bytes=", "bytes=-0", "bytes=--1", "bytes=1-x"}) {
    auto e = parse_range_header(bad, 10);
    ASSERT_FALSE(e) << bad;
    expect_detail(e.error(), "RANGE_INVALID");
  }
  EXPECT_FALSE(parse_range_header("bytes=0-0", 0));
}

TEST(ContentRange, ParsesAChunksInclusiveRange) {
  EXPECT_EQ(parse_content_range("0-99").value().first, 0);
  EXPECT_EQ(parse_content_range("0-99").value().length(), 100);
  EXPECT_EQ(parse_content_range("100-199").value().first, 100);
  EXPECT_EQ(parse_content_range("bytes 100-199").value().last, 199);
  EXPECT_EQ(parse_content_range("7-7").value().length(), 1);
  for (std::string_view bad : {"", "100", "5-1", "a-b", "-1-2"}) {
    auto e = parse_content_range(bad);
    ASSERT_FALSE(e) << bad;
    expect_detail(e.error(), "BLOB_UPLOAD_INVALID");
  }
}

TEST_F(RegistryTest, BlobsAreVisibleOnlyWhereTheyWereUploaded) {
  const Digest d = push_blob(kRepo, "layer");
  EXPECT_EQ(registry_->blob_size(kRepo, d.str()).value(), 5);
  EXPECT_EQ(registry_->read_blob(kRepo, d.str(), {1, 3}).value(), "aye");
  expect_detail(registry_->blob_size("bob/app", d.str()).error(), "BLOB_UNKNOWN");
  expect_detail(registry_->blob_size(kRepo, "sha256:nothex").error(), "DIGEST_INVALID");
  expect_detail(registry_->put_blob(kRepo, Digest::of("x").str(), "y").error(), "DIGEST_INVALID");
}

TEST_F(RegistryTest, UploadsAreBoundToTheirRepository) {
  const std::string id = registry_->start_upload(kRepo).value();
  expect_detail(registry_->append_upload("bob/app", id, "x", std::nullopt).error(),
                "BLOB_UPLOAD_UNKNOWN");
  expect_detail(registry_->upload_size("bob/app", id).error(), "BLOB_UPLOAD_UNKNOWN");
  expect_detail(registry_->cancel_upload("bob/app", id).error(), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(registry_->append_upload(kRepo, id, "lay", 0).value(), 3);
  expect_detail(registry_->append_upload(kRepo, id, "er", 1).error(), "BLOB_UPLOAD_INVALID");
  expect_detail(registry_->finish_upload(kRepo, id, "bogus", "er").error(), "DIGEST_INVALID");
  auto done = registry_->finish_upload(kRepo, id, Digest::of("layer").str(), "er");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(registry_->blob_size(kRepo, done->str()).value(), 5);
  expect_detail(registry_->upload_size(kRepo, id).error(), "BLOB_UPLOAD_UNKNOWN");
}

TEST_F(RegistryTest, MountLinksOnlyFromReadableRepositoriesHoldingTheBlob) {
  const Digest d = push_blob("orsa/base", "base layer");
  auto denied = registry_->mount_blob(kRepo, d.str(), "orsa/base", false).value();
  EXPECT_FALSE(denied.mounted);
  EXPECT_FALSE(denied.upload_id.empty());
  EXPECT_FALSE(registry_->blob_size(kRepo, d.str()));
  auto absent = registry_->mount_blob(kRepo, Digest::of("nope").str(), "orsa/base", true).value();
  EXPECT_FALSE(absent.mounted);
  auto mounted = registry_->mount_blob(kRepo, d.str(), "orsa/base", true).value();
  EXPECT_TRUE(mounted.mounted);
  EXPECT_EQ(registry_->blob_size(kRepo, d.str()).value(), 10);
}

TEST_F(RegistryTest, ManifestPutStoresBytesExactlyAndTags) {
  push_image_blobs(kRepo);
  const std::string doc = manifest();
  auto digest = registry_->put_manifest(kRepo, "v1", doc, "application/json");
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(*digest, Digest::of(doc));
  for (const std::string& ref : {std::string("v1"), digest->str()}) {
    auto got = registry_->get_manifest(kRepo, ref);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->bytes, doc);
    EXPECT_EQ(got->digest, *digest);
    EXPECT_EQ(got->media_type, kOciManifest);
  }
  expect_detail(registry_->get_manifest("bob/app", "v1").error(), "MANIFEST_UNKNOWN");
  expect_detail(registry_->get_manifest(kRepo, "v2").error(), "MANIFEST_UNKNOWN");
  expect_detail(registry_->get_manifest(kRepo, "sha256:zz").error(), "DIGEST_INVALID");
}

TEST_F(RegistryTest, ManifestWithoutMediaTypeKeepsItsContentType) {
  push_image_blobs(kRepo);
  const std::string doc = manifest(kDockerManifest, false);
  ASSERT_TRUE(registry_->put_manifest(kRepo, "v1", doc, std::string(kDockerManifest) + "; x=y"));
  EXPECT_EQ(registry_->get_manifest(kRepo, "v1")->media_type, kDockerManifest);
  const std::string docker = manifest(kDockerManifest);
  ASSERT_TRUE(registry_->put_manifest(kRepo, "v2", docker, ""));
  EXPECT_EQ(registry_->get_manifest(kRepo, "v2")->media_type, kDockerManifest);
}

TEST_F(RegistryTest, ManifestRejections) {
  push_blob(kRepo, "config");
  // The layer is missing.
  expect_detail(registry_->put_manifest(kRepo, "v1", manifest(), "").error(),
                "MANIFEST_BLOB_UNKNOWN");
  // Present in another repository is not enough.
  push_blob("bob/app", "layer");
  expect_detail(registry_->put_manifest(kRepo, "v1", manifest(), "").error(),
                "MANIFEST_BLOB_UNKNOWN");
  push_blob(kRepo, "layer");
  expect_detail(registry_->put_manifest(kRepo, Digest::of("other").str(), manifest(), "").error(),
                "DIGEST_INVALID");
  expect_detail(registry_->put_manifest(kRepo, "bad/tag", manifest(), "").error(), "TAG_INVALID");
  for (std::string_view bad :
       {"not json", "[]", R"({"schemaVersion":1})",
        R"({"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"})"}) {
    expect_detail(registry_->put_manifest(kRepo, "v1", bad, "").error(), "MANIFEST_INVALID");
  }
  const std::string huge = R"({"schemaVersion":2,"x":")" + std::string(70 * 1024, 'a') + "\"}";
  auto too_big = registry_->put_manifest(kRepo, "v1", huge, "");
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(registry_->list_tags(kRepo, std::nullopt, "")->entries.empty());
  EXPECT_TRUE(registry_->put_manifest(kRepo, Digest::of(manifest()).str(), manifest(), ""));
}

TEST_F(RegistryTest, IndexRequiresItsManifestsInTheRepository) {
  push_image_blobs(kRepo);
  const std::string child = manifest();
  const Json index = {{"schemaVersion", 2},
                      {"mediaType", kOciIndex},
                      {"manifests", Json::array({descriptor(kOciManifest, child)})}};
  expect_detail(registry_->put_manifest(kRepo, "multi", index.dump(), "").error(),
                "MANIFEST_BLOB_UNKNOWN");
  ASSERT_TRUE(registry_->put_manifest(kRepo, Digest::of(child).str(), child, ""));
  auto d = registry_->put_manifest(kRepo, "multi", index.dump(), "");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(registry_->get_manifest(kRepo, "multi")->media_type, kOciIndex);
}

TEST_F(RegistryTest, DeleteByTagKeepsTheManifestDeleteByDigestRemovesAll) {
  push_image_blobs(kRepo);
  const Digest d = registry_->put_manifest(kRepo, "v1", manifest(), "").value();
  ASSERT_TRUE(registry_->put_manifest(kRepo, "v2", manifest(), ""));
  ASSERT_TRUE(registry_->delete_manifest(kRepo, "v1"));
  expect_detail(registry_->get_manifest(kRepo, "v1").error(), "MANIFEST_UNKNOWN");
  EXPECT_TRUE(registry_->get_manifest(kRepo, d.str()));
  ASSERT_TRUE(registry_->delete_manifest(kRepo, d.str()));
  expect_detail(registry_->get_manifest(kRepo, d.str()).error(), "MANIFEST_UNKNOWN");
  expect_detail(registry_->get_manifest(kRepo, "v2").error(), "MANIFEST_UNKNOWN");
  expect_detail(registry_->delete_manifest(kRepo, d.str()).error(), "MANIFEST_UNKNOWN");
}

TEST_F(RegistryTest, TagsPageWithNAndLast) {
  push_image_blobs(kRepo);
  for (const char* tag : {"c", "a", "d", "b"}) {
    ASSERT_TRUE(registry_->put_manifest(kRepo, tag, manifest(), ""));
  }
  auto all = registry_->list_tags(kRepo, std::nullopt, "").value();
  EXPECT_EQ(all.entries, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_FALSE(all.next_last);
  auto first = registry_->list_tags(kRepo, 2, "").value();
  EXPECT_EQ(first.entries, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(first.next_last, "b");
  auto second = registry_->list_tags(kRepo, 2, "b").value();
  EXPECT_EQ(second.entries, (std::vector<std::string>{"c", "d"}));
  EXPECT_FALSE(second.next_last);
  EXPECT_TRUE(registry_->list_tags(kRepo, 0, "").value().entries.empty());
  EXPECT_EQ(registry_->list_tags(kRepo, 10, "bb").value().entries,
            (std::vector<std::string>{"c", "d"}));
}

TEST_F(RegistryTest, CatalogShowsOnlyVisibleRepositoriesPaged) {
  for (const char* repo : {"alice/app", "alice/web", "bob/app", "carol/x"}) {
    push_image_blobs(repo);
    ASSERT_TRUE(registry_->put_manifest(repo, "v1", manifest(), ""));
  }
  const auto not_bob = [](std::string_view r) { return !r.starts_with("bob/"); };
  auto all = registry_->catalog(not_bob, std::nullopt, "");
  EXPECT_EQ(all.entries, (std::vector<std::string>{"alice/app", "alice/web", "carol/x"}));
  auto first = registry_->catalog(not_bob, 2, "");
  EXPECT_EQ(first.entries, (std::vector<std::string>{"alice/app", "alice/web"}));
  EXPECT_EQ(first.next_last, "alice/web");
  auto rest = registry_->catalog(not_bob, 2, "alice/web");
  EXPECT_EQ(rest.entries, std::vector<std::string>{"carol/x"});
  EXPECT_FALSE(rest.next_last);
}

TEST_F(RegistryTest, QuotaRefusesWhatWouldCrossItAndChangesNothing) {
  registry_ = std::make_unique<Registry>(*store_,
                                         [](std::string_view owner) -> std::optional<std::int64_t> {
                                           if (owner == "orsa") return std::nullopt;
                                           return 10;
                                         });
  push_blob(kRepo, "123456");
  auto over = registry_->put_blob(kRepo, Digest::of("abcdef").str(), "abcdef");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kPermissionDenied);
  expect_detail(over.error(), "DENIED");
  EXPECT_NE(over.error().message.find("quota of 10 bytes"), std::string::npos)
      << over.error().message;
  EXPECT_FALSE(store_->has_blob(Digest::of("abcdef")));

  const std::string id = registry_->start_upload(kRepo, "alice").value();
  EXPECT_EQ(registry_->append_upload(kRepo, id, "abc", std::nullopt).value(), 3);
  expect_detail(registry_->append_upload(kRepo, id, "defg", std::nullopt).error(), "DENIED");
  EXPECT_EQ(registry_->upload_size(kRepo, id).value(), 3);
  expect_detail(registry_->finish_upload(kRepo, id, Digest::of("abcdefg").str(), "defg").error(),
                "DENIED");
  // Mounting a blob this namespace does not hold yet counts too.
  ASSERT_TRUE(store_->put_blob("big blob of bob"));
  ASSERT_TRUE(store_->link_blob("bob/app", Digest::of("big blob of bob")));
  expect_detail(
      registry_->mount_blob(kRepo, Digest::of("big blob of bob").str(), "bob/app", true).error(),
      "DENIED");
  EXPECT_FALSE(store_->has_blob_link(kRepo, Digest::of("big blob of bob")));
  // The unlimited namespace is not checked.
  EXPECT_TRUE(registry_->put_blob("orsa/base", Digest::of("anything long").str(), "anything long"));
}

TEST_F(RegistryTest, SessionsAreBoundToTheirRepositoryAcrossReopening) {
  const std::string id = registry_->start_upload(kRepo, "alice").value();
  registry_.reset();
  store_ = BlobStore::open(root_.path()).value();
  registry_ = std::make_unique<Registry>(*store_);
  EXPECT_EQ(registry_->upload_size(kRepo, id).value(), 0);
  expect_detail(registry_->upload_size("bob/app", id).error(), "BLOB_UPLOAD_UNKNOWN");
}

}  // namespace
}  // namespace orsa::oci
