#include "oci/fsck.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/temp_dir.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 2'000'000'000;
constexpr std::string_view kRepo = "alice/knapsack";

Json descriptor(std::string_view media_type, std::string_view bytes) {
  return {{"mediaType", media_type}, {"digest", Digest::of(bytes).str()}, {"size", bytes.size()}};
}

std::string image_manifest(std::string_view config, std::string_view layer) {
  return Json{{"schemaVersion", 2},
              {"mediaType", kOciManifest},
              {"config", descriptor(kOciConfig, config)},
              {"layers", Json::array({descriptor(kOciLayerGzip, layer)})}}
      .dump();
}

void set_mtime(const fs::path& path, std::int64_t unix_seconds) {
  const timespec times[2] = {{unix_seconds, 0}, {unix_seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

void overwrite(const fs::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class FsckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = BlobStore::open(dir_.path()).value();
    Registry registry(*store_);
    for (const auto* bytes : {kConfig, kLayer}) {
      ASSERT_TRUE(registry.put_blob(kRepo, Digest::of(bytes).str(), bytes));
    }
    manifest_ =
        registry.put_manifest(kRepo, "1", image_manifest(kConfig, kLayer), kOciManifest).value();
  }

  std::vector<StoreFinding> check(bool repair) {
    auto findings = check_store(*store_, {.repair = repair, .now_unix = kNow});
    EXPECT_TRUE(findings) << findings.error().message;
    return findings.value_or(std::vector<StoreFinding>{});
  }

  static std::vector<std::string> kinds(const std::vector<StoreFinding>& findings) {
    std::vector<std::string> out;
    for (const auto& f : findings) out.push_back(f.kind);
    return out;
  }

  static constexpr const char* kConfig = R"({"architecture":"amd64","os":"linux"})";
  static constexpr const char* kLayer = "layer bytes";
  TempDir dir_;
  std::unique_ptr<BlobStore> store_;
  Digest manifest_ = Digest::of("");
};

TEST_F(FsckTest, ACompletePushIsClean) {
  EXPECT_TRUE(check(false).empty());
}

TEST_F(FsckTest, ACorruptLayerIsDeletedAndItsManifestReportedAsBroken) {
  overwrite(store_->blob_path(Digest::of(kLayer)), "layer by");  // half-written
  auto findings = check(false);
  EXPECT_EQ(kinds(findings), (std::vector<std::string>{"corrupt_blob", "blob_missing"}));
  EXPECT_TRUE(store_->has_blob(Digest::of(kLayer))) << "a check without --repair changes nothing";

  findings = check(true);
  ASSERT_EQ(findings.size(), 2U);
  EXPECT_TRUE(findings[0].repaired);
  EXPECT_FALSE(findings[1].repairable) << "only a new push restores a lost layer";
  EXPECT_FALSE(store_->has_blob(Digest::of(kLayer)));
  EXPECT_EQ(kinds(check(false)), (std::vector<std::string>{"blob_missing"}));
}

TEST_F(FsckTest, AManifestWhoseBlobIsGoneIsUnlinkedWithItsTags) {
  ASSERT_TRUE(store_->delete_blob(manifest_));
  auto findings = check(false);
  ASSERT_EQ(kinds(findings), (std::vector<std::string>{"manifest_missing"}));
  EXPECT_EQ(findings[0].repository, kRepo);

  check(true);
  EXPECT_FALSE(store_->has_manifest(kRepo, manifest_));
  EXPECT_TRUE(store_->list_tags(kRepo).value().empty());
  EXPECT_TRUE(check(false).empty());
}

TEST_F(FsckTest, AMissingBlobLinkIsRestored) {
  ASSERT_TRUE(store_->unlink_blob(kRepo, Digest::of(kConfig)));
  EXPECT_EQ(kinds(check(false)), (std::vector<std::string>{"blob_link_missing"}));
  EXPECT_TRUE(check(true).at(0).repaired);
  EXPECT_TRUE(store_->has_blob_link(kRepo, Digest::of(kConfig)));
}

TEST_F(FsckTest, ADanglingTagIsRemoved) {
  ASSERT_TRUE(store_->set_tag(kRepo, "2", Digest::of("never pushed")));
  EXPECT_EQ(kinds(check(false)), (std::vector<std::string>{"tag_dangling"}));
  check(true);
  EXPECT_FALSE(store_->resolve_tag(kRepo, "2"));
  EXPECT_TRUE(store_->resolve_tag(kRepo, "1"));
}

TEST_F(FsckTest, StaleUploadsGoAndRecentOnesStay) {
  auto old_id = store_->start_upload({std::string(kRepo), "alice"}).value();
  auto new_id = store_->start_upload({std::string(kRepo), "alice"}).value();
  ASSERT_TRUE(store_->append_upload(old_id, "partial"));
  const fs::path uploads = dir_.path() / "uploads";
  set_mtime(uploads / old_id, kNow - 7200);
  set_mtime(uploads / new_id, kNow - 60);
  overwrite(uploads / "orphan-data", "no session record");
  overwrite(dir_.path() / "tmp" / "half-written", "x");

  auto findings = check(false);
  EXPECT_EQ(kinds(findings),
            (std::vector<std::string>{"stale_upload", "stale_upload", "temp_file"}));
  check(true);
  EXPECT_FALSE(fs::exists(uploads / old_id));
  EXPECT_FALSE(fs::exists(uploads / (old_id + ".session")));
  EXPECT_FALSE(fs::exists(uploads / "orphan-data"));
  EXPECT_TRUE(fs::exists(uploads / new_id)) << "a recent session is resumable";
  EXPECT_TRUE(check(false).empty());
}

TEST_F(FsckTest, InspectingChangesNothingOnDisk) {
  overwrite(dir_.path() / "tmp" / "in-flight", "a server is writing this");
  auto inspected = BlobStore::inspect(dir_.path());
  ASSERT_TRUE(inspected);
  EXPECT_TRUE(fs::exists(dir_.path() / "tmp" / "in-flight"));
  auto findings =
      check_store(**inspected, {.now_unix = kNow, .skip_work_in_progress = true}).value();
  EXPECT_TRUE(findings.empty());
  EXPECT_FALSE(BlobStore::inspect(dir_.path() / "absent"));
}

}  // namespace
}  // namespace orsa::oci
