// The referrers API over a real BlobStore in a temporary directory.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/json.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRepo = "alice/app";
constexpr std::string_view kEmptyConfig = "application/vnd.oci.empty.v1+json";
constexpr std::string_view kSignature = "application/vnd.example.signature";
constexpr std::string_view kSbom = "application/vnd.example.sbom";

Json descriptor(std::string_view media_type, std::string_view bytes) {
  return {{"mediaType", media_type}, {"digest", Digest::of(bytes).str()}, {"size", bytes.size()}};
}

class ReferrersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = BlobStore::open(root_.path(), {}).value();
    registry_ = std::make_unique<Registry>(*store_);
    for (std::string_view blob : {"config", "layer", "{}"}) {
      ASSERT_TRUE(registry_->put_blob(kRepo, Digest::of(blob).str(), blob));
    }
    subject_ = push(image_manifest().dump(), "v1");
  }

  static Json image_manifest() {
    return {{"schemaVersion", 2},
            {"mediaType", kOciManifest},
            {"config", descriptor(kOciConfig, "config")},
            {"layers", Json::array({descriptor(kOciLayerGzip, "layer")})}};
  }

  // An artifact manifest (image-spec v1.1) of `type` attached to `subject`.
  Json artifact(std::string_view type, std::string_view note) const {
    Json doc = {{"schemaVersion", 2},
                {"mediaType", kOciManifest},
                {"artifactType", type},
                {"config", descriptor(kEmptyConfig, "{}")},
                {"layers", Json::array({descriptor(kEmptyConfig, "{}")})},
                {"subject",
                 {{"mediaType", kOciManifest},
                  {"digest", subject_.str()},
                  {"size", image_manifest().dump().size()}}},
                {"annotations", {{"note", note}}}};
    return doc;
  }

  Digest push(const std::string& bytes, std::string_view reference = {}) {
    const std::string ref = reference.empty() ? Digest::of(bytes).str() : std::string(reference);
    auto pushed = registry_->put_manifest(kRepo, ref, bytes, kOciManifest);
    EXPECT_TRUE(pushed) << pushed.error().message;
    return Digest::of(bytes);
  }

  Json referrers(std::string_view artifact_type = {}) const {
    auto answer = registry_->referrers(kRepo, subject_.str(), artifact_type);
    EXPECT_TRUE(answer) << answer.error().message;
    Json index = Json::parse(answer.value_or("{}"));
    EXPECT_EQ(index.value("mediaType", ""), kOciIndex);
    EXPECT_EQ(index.value("schemaVersion", 0), 2);
    return index["manifests"];
  }

  testing::TempDir root_{"orsa-referrers"};
  std::unique_ptr<BlobStore> store_;
  std::unique_ptr<Registry> registry_;
  Digest subject_ = Digest::of("");
};

TEST_F(ReferrersTest, AnUnreferencedManifestHasAnEmptyList) {
  EXPECT_TRUE(referrers().empty());
}

TEST_F(ReferrersTest, ListsEachReferrerWithItsTypeSizeAndAnnotations) {
  const std::string signature = artifact(kSignature, "signed").dump();
  const Digest digest = push(signature);
  const Json list = referrers();
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0]["digest"], digest.str());
  EXPECT_EQ(list[0]["mediaType"], kOciManifest);
  EXPECT_EQ(list[0]["size"], signature.size());
  EXPECT_EQ(list[0]["artifactType"], kSignature);
  EXPECT_EQ(list[0]["annotations"]["note"], "signed");
}

TEST_F(ReferrersTest, FiltersByArtifactType) {
  push(artifact(kSignature, "a").dump());
  push(artifact(kSbom, "b").dump());
  EXPECT_EQ(referrers().size(), 2U);
  const Json sboms = referrers(kSbom);
  ASSERT_EQ(sboms.size(), 1U);
  EXPECT_EQ(sboms[0]["artifactType"], kSbom);
  EXPECT_TRUE(referrers("application/vnd.example.none").empty());
}

TEST_F(ReferrersTest, AnImageManifestWithoutArtifactTypeIsListedUnderItsConfigType) {
  Json doc = artifact(kSignature, "x");
  doc.erase("artifactType");
  push(doc.dump());
  const Json list = referrers();
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0]["artifactType"], kEmptyConfig);
}

TEST_F(ReferrersTest, AReferrerMayArriveBeforeItsSubject) {
  Json doc = artifact(kSignature, "early");
  const std::string absent = Digest::of("not pushed yet").str();
  doc["subject"]["digest"] = absent;
  push(doc.dump());
  auto answer = registry_->referrers(kRepo, absent);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(Json::parse(*answer)["manifests"].size(), 1U);
}

TEST_F(ReferrersTest, DeletingAReferrerRemovesItFromTheList) {
  const Digest digest = push(artifact(kSignature, "gone").dump());
  ASSERT_EQ(referrers().size(), 1U);
  ASSERT_TRUE(registry_->delete_manifest(kRepo, digest.str()));
  EXPECT_TRUE(referrers().empty());
}

TEST_F(ReferrersTest, OtherRepositoriesReferrersAreNotListed) {
  ASSERT_TRUE(registry_->put_blob("bob/app", Digest::of("{}").str(), "{}"));
  auto pushed =
      registry_->put_manifest("bob/app", "sig", artifact(kSignature, "bob").dump(), kOciManifest);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_TRUE(referrers().empty());
}

TEST_F(ReferrersTest, AMalformedDigestIsDigestInvalidAndAnUnknownRepoIsEmpty) {
  auto bad = registry_->referrers(kRepo, "sha256:nothex");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().registry_code, "DIGEST_INVALID");
  auto unknown = registry_->referrers("carol/none", subject_.str());
  ASSERT_TRUE(unknown) << unknown.error().message;
  EXPECT_TRUE(Json::parse(*unknown)["manifests"].empty());
}

TEST(SubjectOf, NamesTheSubjectOnlyWhenThereIsOne) {
  const Digest subject = Digest::of("s");
  Json doc = {{"schemaVersion", 2},
              {"mediaType", kOciManifest},
              {"config", descriptor(kEmptyConfig, "{}")},
              {"layers", Json::array()}};
  EXPECT_FALSE(subject_of(doc.dump()));
  doc["subject"] = {{"mediaType", kOciManifest}, {"digest", subject.str()}, {"size", 1}};
  EXPECT_EQ(subject_of(doc.dump()), subject);
  EXPECT_FALSE(subject_of("not json"));
}

}  // namespace
}  // namespace orsa::oci
