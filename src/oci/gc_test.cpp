#include "oci/gc.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/temp_dir.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

// Fixture files get explicit times, so cutoffs are exact and no test depends
// on the wall clock.
constexpr std::int64_t kOld = 1'000'000'000;
constexpr std::int64_t kCutoff = kOld + 100;

void set_mtime(const fs::path& path, std::int64_t unix_seconds) {
  const timespec times[2] = {{unix_seconds, 0}, {unix_seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

Json descriptor(std::string_view media_type, std::string_view bytes) {
  return {{"mediaType", media_type}, {"digest", Digest::of(bytes).str()}, {"size", bytes.size()}};
}

std::string image_manifest(std::string_view config, const std::vector<std::string>& layers) {
  Json list = Json::array();
  for (const auto& layer : layers) list.push_back(descriptor(kOciLayerGzip, layer));
  return Json{{"schemaVersion", 2},
              {"mediaType", kOciManifest},
              {"config", descriptor(kOciConfig, config)},
              {"layers", list}}
      .dump();
}

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = BlobStore::open(dir_.path()).value();
    registry_ = std::make_unique<Registry>(*store_);
  }

  Digest push_blob(std::string_view repo, std::string_view bytes) {
    auto d = registry_->put_blob(repo, Digest::of(bytes).str(), bytes);
    EXPECT_TRUE(d) << d.error().message;
    return Digest::of(bytes);
  }

  // Pushes config and layers, then the manifest under `tag`; its digest.
  Digest push_image(std::string_view repo, std::string_view tag, std::string_view config,
                    const std::vector<std::string>& layers) {
    push_blob(repo, config);
    for (const auto& layer : layers) push_blob(repo, layer);
    auto d = registry_->put_manifest(repo, tag, image_manifest(config, layers), kOciManifest);
    EXPECT_TRUE(d) << d.error().message;
    return d.value_or(Digest::of(""));
  }

  // Makes every blob and link in the store older than kCutoff.
  void age_everything() {
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) set_mtime(entry.path(), kOld);
    }
  }

  SweepReport sweep(bool dry_run = false,
                    std::vector<std::pair<std::string, std::string>> tags = {}) {
    auto report = sweep_blobs(*store_, {.cutoff_unix = kCutoff,
                                        .dry_run = dry_run,
                                        .assume_deleted_tags = std::move(tags),
                                        .after_mark = after_mark_});
    EXPECT_TRUE(report) << report.error().message;
    return report.value_or(SweepReport{});
  }

  std::size_t links_of(std::string_view repo) const {
    return store_->list_blob_links(repo).value().size();
  }

  TempDir dir_;
  std::unique_ptr<BlobStore> store_;
  std::unique_ptr<Registry> registry_;
  std::function<void()> after_mark_;
};

TEST_F(SweepTest, KeepsWhatManifestsReferenceAndSweepsOrphans) {
  const Digest manifest = push_image("alice/app", "1", "config-a", {"layer-1", "layer-2"});
  const Digest orphan = push_blob("alice/app", "orphan");
  age_everything();

  const auto report = sweep();
  EXPECT_EQ(report.blobs, std::vector<Digest>{orphan});
  EXPECT_EQ(report.bytes, 6);
  EXPECT_EQ(report.links, 1);
  EXPECT_FALSE(store_->has_blob(orphan));
  EXPECT_EQ(links_of("alice/app"), 4u);  // manifest, config, two layers
  for (const char* kept : {"config-a", "layer-1", "layer-2"}) {
    EXPECT_TRUE(store_->has_blob(Digest::of(kept))) << kept;
  }
  auto pulled = registry_->get_manifest("alice/app", "1");
  ASSERT_TRUE(pulled) << pulled.error().message;
  EXPECT_EQ(pulled->digest, manifest);
  EXPECT_EQ(sweep().blobs.size(), 0u);  // nothing left to do
}

TEST_F(SweepTest, AnImagesBlobsGoWithItsManifest) {
  const Digest manifest = push_image("alice/app", "1", "config-a", {"layer-1", "layer-2"});
  age_everything();
  ASSERT_TRUE(store_->unlink_manifest("alice/app", manifest));

  const auto report = sweep();
  std::vector<Digest> expected = {manifest, Digest::of("config-a"), Digest::of("layer-1"),
                                  Digest::of("layer-2")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(report.blobs, expected);
  const auto manifest_size = image_manifest("config-a", {"layer-1", "layer-2"}).size();
  EXPECT_EQ(report.bytes, static_cast<std::int64_t>(8 + 7 + 7 + manifest_size));
  EXPECT_EQ(report.links, 4);
  EXPECT_EQ(links_of("alice/app"), 0u);
  EXPECT_TRUE(store_->list_blobs().empty());
}

TEST_F(SweepTest, BlobsYoungerThanTheCutoffAreKept) {
  const Digest young = push_blob("alice/app", "uploaded-for-a-push-in-progress");
  const Digest old = push_blob("alice/app", "abandoned");
  age_everything();
  set_mtime(store_->blob_path(young), kCutoff);  // as old as the sweep's start: kept
  set_mtime(dir_.path() / "repositories/alice/app/blobs" / std::string(young.hex()), kCutoff);

  const auto report = sweep();
  EXPECT_EQ(report.blobs, std::vector<Digest>{old});
  EXPECT_EQ(report.links, 1);
  EXPECT_TRUE(store_->has_blob_link("alice/app", young));
}

TEST_F(SweepTest, LinkingABlobMakesItYoung) {
  const Digest blob = push_blob("alice/app", "mounted-later");
  age_everything();
  // A mount during the sweep: the blob (and bob's link) are now newer than
  // the sweep's start, so both stay; alice's old, unused link goes.
  ASSERT_TRUE(registry_->mount_blob("bob/app", blob.str(), "alice/app", true)->mounted);
  const auto report = sweep();
  EXPECT_TRUE(report.blobs.empty());
  EXPECT_EQ(report.links, 1);
  EXPECT_TRUE(store_->has_blob_link("bob/app", blob));
  EXPECT_FALSE(store_->has_blob_link("alice/app", blob));
}

TEST_F(SweepTest, DryRunDeletesNothingAndPredictsTheRun) {
  const Digest manifest = push_image("alice/app", "1", "config-a", {"layer-1"});
  push_blob("alice/app", "orphan");
  age_everything();
  ASSERT_TRUE(store_->unlink_manifest("alice/app", manifest));

  const auto dry = sweep(true);
  EXPECT_EQ(dry.blobs.size(), 4u);
  EXPECT_EQ(store_->list_blobs().size(), 4u);
  EXPECT_EQ(links_of("alice/app"), 4u);
  const auto run = sweep();
  EXPECT_EQ(run.blobs, dry.blobs);
  EXPECT_EQ(run.bytes, dry.bytes);
  EXPECT_EQ(run.links, dry.links);
  EXPECT_TRUE(store_->list_blobs().empty());
}

TEST_F(SweepTest, DryRunCanAssumeTagsDeleted) {
  const Digest manifest = push_image("alice/app", "1", "config-a", {"layer-1"});
  ASSERT_TRUE(store_->set_tag("alice/app", "latest", manifest));
  push_image("alice/app", "2", "config-b", {"layer-1"});  // shares layer-1
  age_everything();

  // "latest" still names the manifest: nothing would go.
  EXPECT_TRUE(sweep(true, {{"alice/app", "1"}}).blobs.empty());
  const auto both = sweep(true, {{"alice/app", "1"}, {"alice/app", "latest"}});
  std::vector<Digest> expected = {manifest, Digest::of("config-a")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(both.blobs, expected);
  EXPECT_EQ(both.links, 2);
  EXPECT_EQ(store_->list_blobs().size(), 5u);  // a dry run
}

TEST_F(SweepTest, ASharedLayerStaysWhileAnotherRepositoryUsesIt) {
  const Digest alice = push_image("alice/app", "1", "config-a", {"shared"});
  push_image("bob/app", "1", "config-b", {"shared"});
  age_everything();
  ASSERT_TRUE(store_->unlink_manifest("alice/app", alice));

  const auto report = sweep();
  std::vector<Digest> expected = {alice, Digest::of("config-a")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(report.blobs, expected);
  EXPECT_EQ(report.links, 3);  // alice's manifest, config and shared layer
  EXPECT_TRUE(store_->has_blob(Digest::of("shared")));
  EXPECT_FALSE(store_->has_blob_link("alice/app", Digest::of("shared")));
  EXPECT_TRUE(store_->has_blob_link("bob/app", Digest::of("shared")));
}

TEST_F(SweepTest, AnIndexKeepsItsChildren) {
  push_blob("alice/app", "config-a");
  push_blob("alice/app", "layer-1");
  const std::string child = image_manifest("config-a", {"layer-1"});
  const Digest child_digest =
      registry_->put_manifest("alice/app", Digest::of(child).str(), child, kOciManifest).value();
  const std::string index = Json{{"schemaVersion", 2},
                                 {"mediaType", kOciIndex},
                                 {"manifests", Json::array({descriptor(kOciManifest, child)})}}
                                .dump();
  const Digest index_digest =
      registry_->put_manifest("alice/app", "multi", index, kOciIndex).value();
  age_everything();
  // Only the index names the child now.
  ASSERT_TRUE(store_->unlink_manifest("alice/app", child_digest));

  EXPECT_TRUE(sweep().blobs.empty());
  ASSERT_TRUE(store_->unlink_manifest("alice/app", index_digest));
  EXPECT_EQ(sweep().blobs.size(), 4u);
}

TEST_F(SweepTest, AManifestLinkedDuringTheSweepKeepsItsBlobs) {
  const Digest config = push_blob("alice/app", "config-late");
  const Digest layer = push_blob("alice/app", "layer-late");
  const Digest orphan = push_blob("alice/app", "orphan");
  age_everything();
  // A push completes between the mark and the delete phase; its blobs are
  // old (uploaded long ago), so only the second mark saves them.
  after_mark_ = [&] {
    auto pushed = registry_->put_manifest(
        "alice/app", "late", image_manifest("config-late", {"layer-late"}), kOciManifest);
    ASSERT_TRUE(pushed) << pushed.error().message;
    age_everything();
  };
  const auto report = sweep();
  EXPECT_EQ(report.blobs, std::vector<Digest>{orphan});
  EXPECT_TRUE(store_->has_blob(config));
  EXPECT_TRUE(store_->has_blob(layer));
  EXPECT_TRUE(registry_->get_manifest("alice/app", "late"));
}

TEST_F(SweepTest, AnUnreadableManifestStopsTheSweep) {
  const Digest orphan = push_blob("alice/app", "orphan");
  const Digest junk = store_->put_blob("not a manifest").value();
  ASSERT_TRUE(store_->link_manifest("alice/app", junk, kOciManifest));
  age_everything();
  auto report = sweep_blobs(*store_, {.cutoff_unix = kCutoff});
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find(junk.str()), std::string::npos);
  EXPECT_TRUE(store_->has_blob(orphan));
}

TEST_F(SweepTest, DanglingLinksAreRemoved) {
  const Digest blob = push_blob("alice/app", "vanished");
  ASSERT_TRUE(store_->delete_blob(blob));
  // Young, but pointing at nothing.
  const auto report = sweep();
  EXPECT_TRUE(report.blobs.empty());
  EXPECT_EQ(report.links, 1);
  EXPECT_EQ(links_of("alice/app"), 0u);
}

TEST_F(SweepTest, ReferencedInListsWhatARepositorysManifestsNeed) {
  const Digest image = push_image("alice/app", "v1", "config", {"layer-a", "layer-b"});
  const Digest loose = push_blob("alice/app", "loose");
  push_image("alice/other", "v1", "other-config", {"other-layer"});
  auto referenced = referenced_in(*store_, "alice/app");
  ASSERT_TRUE(referenced) << referenced.error().message;
  EXPECT_EQ(*referenced, (std::set<Digest>{image, Digest::of("config"), Digest::of("layer-a"),
                                           Digest::of("layer-b")}));
  EXPECT_FALSE(referenced->contains(loose));
  EXPECT_TRUE(referenced_in(*store_, "alice/empty").value().empty());
}

}  // namespace
}  // namespace orsa::oci
