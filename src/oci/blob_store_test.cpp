#include "oci/blob_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/temp_dir.hpp"
#include "testing/eventually.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open(BlobStoreLimits limits = {}) {
    store_.reset();
    auto store = BlobStore::open(dir_.path(), limits);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  std::size_t files_under(const std::string& sub) const {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path() / sub)) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  TempDir dir_;
  std::unique_ptr<BlobStore> store_;
};

void expect_detail(const Error& e, std::string_view detail) {
  EXPECT_EQ(e.registry_code, detail) << e.message;
}

TEST_F(BlobStoreTest, LaysOutAnOciImageLayout) {
  EXPECT_TRUE(fs::exists(dir_.path() / "oci-layout"));
  EXPECT_TRUE(fs::exists(dir_.path() / "index.json"));
  EXPECT_TRUE(fs::is_directory(dir_.path() / "blobs" / "sha256"));
}

TEST_F(BlobStoreTest, PutThenReadVerifiesAndDeduplicates) {
  const Digest d = Digest::of("hello");
  auto put = store_->put_blob("hello", d);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(*put, d);
  EXPECT_TRUE(store_->has_blob(d));
  EXPECT_EQ(store_->blob_size(d).value(), 5);
  EXPECT_EQ(store_->read_blob(d).value(), "hello");
  EXPECT_EQ(store_->read_blob_range(d, 1, 3).value(), "ell");
  EXPECT_EQ(store_->blob_path(d), dir_.path() / "blobs" / "sha256" / std::string(d.hex()));
  EXPECT_TRUE(store_->put_blob("hello"));  // again: same digest, no error
  EXPECT_EQ(store_->list_blobs().size(), 1u);
  EXPECT_EQ(files_under("tmp"), 0u);
}

TEST_F(BlobStoreTest, DigestMismatchLeavesNothingVisible) {
  const Digest wrong = Digest::of("other");
  auto put = store_->put_blob("hello", wrong);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kInvalidArgument);
  expect_detail(put.error(), "DIGEST_INVALID");
  EXPECT_FALSE(store_->has_blob(Digest::of("hello")));
  EXPECT_FALSE(store_->has_blob(wrong));
  EXPECT_TRUE(store_->list_blobs().empty());
  EXPECT_EQ(files_under("tmp"), 0u);
}

TEST_F(BlobStoreTest, UnknownBlobAndBadRanges) {
  const Digest d = Digest::of("x");
  EXPECT_FALSE(store_->has_blob(d));
  expect_detail(store_->blob_size(d).error(), "BLOB_UNKNOWN");
  expect_detail(store_->read_blob(d).error(), "BLOB_UNKNOWN");
  expect_detail(store_->delete_blob(d).error(), "BLOB_UNKNOWN");
  ASSERT_TRUE(store_->put_blob("abc"));
  const Digest abc = Digest::of("abc");
  EXPECT_FALSE(store_->read_blob_range(abc, 2, 2));
  EXPECT_FALSE(store_->read_blob_range(abc, -1, 1));
  EXPECT_FALSE(store_->read_blob_range(abc, 4, 0));
  EXPECT_EQ(store_->read_blob_range(abc, 3, 0).value(), "");
  ASSERT_TRUE(store_->delete_blob(abc));
  EXPECT_FALSE(store_->has_blob(abc));
}

TEST_F(BlobStoreTest, BlobLimit) {
  open({.max_blob_bytes = 4});
  auto put = store_->put_blob("12345");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(store_->put_blob("1234"));
}

TEST_F(BlobStoreTest, AdoptFileVerifiesItsDigest) {
  const fs::path file = dir_.path() / "tmp" / "staged";
  std::ofstream(file) << "layer bytes";
  auto bad = store_->adopt_file(file, Digest::of("nope"));
  ASSERT_FALSE(bad);
  expect_detail(bad.error(), "DIGEST_INVALID");
  EXPECT_TRUE(fs::exists(file));  // the caller's file is left alone on mismatch
  auto ok = store_->adopt_file(file, Digest::of("layer bytes"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(store_->read_blob(*ok).value(), "layer bytes");
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(store_->adopt_file(dir_.path() / "missing"));
}

TEST_F(BlobStoreTest, ChunkedUploadWithOffsets) {
  auto id = store_->start_upload();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(store_->upload_size(*id).value(), 0);
  EXPECT_EQ(store_->append_upload(*id, "hel", 0).value(), 3);
  EXPECT_EQ(store_->append_upload(*id, "lo ").value(), 6);
  auto out_of_order = store_->append_upload(*id, "xx", 2);
  ASSERT_FALSE(out_of_order);
  expect_detail(out_of_order.error(), "BLOB_UPLOAD_INVALID");
  EXPECT_EQ(store_->upload_size(*id).value(), 6);
  auto done = store_->finish_upload(*id, Digest::of("hello world"), "world");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(store_->read_blob(*done).value(), "hello world");
  // The session is over.
  expect_detail(store_->upload_size(*id).error(), "BLOB_UPLOAD_UNKNOWN");
  expect_detail(store_->append_upload(*id, "x").error(), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(files_under("uploads"), 0u);
}

TEST_F(BlobStoreTest, FinishWithWrongDigestEndsTheSessionAndStoresNothing) {
  auto id = store_->start_upload().value();
  ASSERT_TRUE(store_->append_upload(id, "data"));
  auto done = store_->finish_upload(id, Digest::of("other"));
  ASSERT_FALSE(done);
  expect_detail(done.error(), "DIGEST_INVALID");
  EXPECT_FALSE(store_->has_blob(Digest::of("data")));
  EXPECT_FALSE(store_->upload_size(id));
  EXPECT_EQ(files_under("uploads"), 0u);
}

TEST_F(BlobStoreTest, CancelAndUnknownSessions) {
  auto id = store_->start_upload().value();
  ASSERT_TRUE(store_->append_upload(id, "data"));
  ASSERT_TRUE(store_->cancel_upload(id));
  expect_detail(store_->cancel_upload(id).error(), "BLOB_UPLOAD_UNKNOWN");
  expect_detail(store_->upload_size("nope").error(), "BLOB_UPLOAD_UNKNOWN");
  expect_detail(store_->finish_upload("../../etc", Digest::of("")).error(), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(files_under("uploads"), 0u);
}

TEST_F(BlobStoreTest, UploadLimits) {
  open({.max_blob_bytes = 5, .max_open_uploads = 2});
  auto a = store_->start_upload().value();
  ASSERT_TRUE(store_->start_upload());
  auto third = store_->start_upload();
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kRateLimited);
  expect_detail(third.error(), "TOOMANYREQUESTS");
  ASSERT_TRUE(store_->append_upload(a, "1234"));
  auto big = store_->append_upload(a, "56");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(store_->upload_size(a).value(), 4);  // the refused chunk left no trace
  ASSERT_TRUE(store_->cancel_upload(a));
  EXPECT_TRUE(store_->start_upload());  // a slot freed up
}

TEST_F(BlobStoreTest, ReopeningDropsStaleUploads) {
  auto id = store_->start_upload().value();
  ASSERT_TRUE(store_->append_upload(id, "partial"));
  open();
  EXPECT_FALSE(store_->upload_size(id));
  EXPECT_EQ(files_under("uploads"), 0u);
}

TEST_F(BlobStoreTest, SessionsWithAnOwnerSurviveReopening) {
  auto id = store_->start_upload({"alice/app", "usr_alice"}).value();
  ASSERT_TRUE(store_->append_upload(id, "before "));
  open();
  EXPECT_EQ(store_->upload_size(id).value(), 7);
  EXPECT_EQ(store_->upload_owner(id).value().repo, "alice/app");
  EXPECT_EQ(store_->open_uploads("usr_alice"), 1u);
  // The running hash was lost with the process: the file is hashed at the end.
  auto done = store_->finish_upload(id, Digest::of("before after"), "after");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(store_->read_blob(*done).value(), "before after");
  EXPECT_EQ(files_under("uploads"), 0u);
}

TEST_F(BlobStoreTest, SessionLimitsArePerUser) {
  open({.max_open_uploads = 10, .max_open_uploads_per_user = 2});
  ASSERT_TRUE(store_->start_upload({"bob/app", "bob"}));
  ASSERT_TRUE(store_->start_upload({"bob/app", "bob"}));
  auto third = store_->start_upload({"bob/app", "bob"});
  ASSERT_FALSE(third);
  expect_detail(third.error(), "TOOMANYREQUESTS");
  EXPECT_NE(third.error().message.find("for this user"), std::string::npos);
  EXPECT_TRUE(store_->start_upload({"alice/app", "alice"}));
}

TEST_F(BlobStoreTest, IdleSessionsAreReaped) {
  open({.max_open_uploads_per_user = 1, .upload_idle_timeout = std::chrono::seconds(1)});
  auto id = store_->start_upload({"bob/app", "bob"}).value();
  ASSERT_TRUE(store_->append_upload(id, "abandoned"));
  EXPECT_FALSE(store_->start_upload({"bob/app", "bob"}));
  // Waits for the idle time to pass rather than sleeping a guessed while.
  std::size_t reaped = 0;
  ASSERT_TRUE(testing::eventually(
      std::chrono::seconds(10), [&] { return (reaped += store_->reap_idle_uploads()) > 0; },
      "the idle session reaped"));
  EXPECT_EQ(reaped, 1u);
  expect_detail(store_->upload_size(id).error(), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(files_under("uploads"), 0u);
  EXPECT_TRUE(store_->start_upload({"bob/app", "bob"}));
}

TEST_F(BlobStoreTest, ChunksFromFilesAndNamespaceUsage) {
  const fs::path chunk = dir_.path() / "chunk";
  std::ofstream(chunk) << "from a file";
  auto id = store_->start_upload({"alice/app", "alice"}).value();
  EXPECT_EQ(store_->append_upload_file(id, chunk, 0).value(), 11);
  expect_detail(store_->append_upload_file(id, chunk, 3).error(), "BLOB_UPLOAD_INVALID");
  EXPECT_EQ(store_->namespace_usage("alice").upload_bytes, 11);
  const Digest d = store_->finish_upload(id, Digest::of("from a file")).value();
  ASSERT_TRUE(store_->link_blob("alice/app", d));
  ASSERT_TRUE(store_->link_blob("alice/other", d));  // counted once
  const NamespaceUsage usage = store_->namespace_usage("alice");
  EXPECT_EQ(usage.stored_bytes, 11);
  EXPECT_EQ(usage.upload_bytes, 0);
  EXPECT_EQ(store_->namespace_usage("bob").total(), 0);
  EXPECT_EQ(store_->list_namespaces(), std::vector<std::string>{"alice"});
}

// POST then one PUT with the whole body: the spooled body is moved into the
// blobs, not copied; after PATCHes it is appended as any chunk.
TEST_F(BlobStoreTest, FinishingFromAFileMovesAWholeBlobAndAppendsAFinalChunk) {
  const fs::path body = dir_.path() / "body";
  std::ofstream(body) << "whole blob";
  auto id = store_->start_upload({"alice/app", "alice"}).value();
  auto wrong = store_->finish_upload_file(id, Digest::of("other"), body);
  ASSERT_FALSE(wrong);
  expect_detail(wrong.error(), "DIGEST_INVALID");
  EXPECT_TRUE(fs::exists(body));  // the caller's file is left alone on mismatch
  expect_detail(store_->upload_size(id).error(), "BLOB_UPLOAD_UNKNOWN");  // session over

  id = store_->start_upload({"alice/app", "alice"}).value();
  auto whole = store_->finish_upload_file(id, Digest::of("whole blob"), body);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(store_->read_blob(*whole).value(), "whole blob");
  EXPECT_FALSE(fs::exists(body));  // moved
  expect_detail(store_->upload_size(id).error(), "BLOB_UPLOAD_UNKNOWN");
  EXPECT_EQ(files_under("uploads"), 0u);

  std::ofstream(body) << " end";
  id = store_->start_upload({"alice/app", "alice"}).value();
  ASSERT_TRUE(store_->append_upload(id, "the"));
  auto chunked = store_->finish_upload_file(id, Digest::of("the end"), body);
  ASSERT_TRUE(chunked) << chunked.error().message;
  EXPECT_EQ(store_->read_blob(*chunked).value(), "the end");
  EXPECT_TRUE(fs::exists(body));  // copied from, as any chunk
  EXPECT_EQ(files_under("uploads"), 0u);

  open({.max_blob_bytes = 3});
  id = store_->start_upload({"alice/app", "alice"}).value();
  auto big = store_->finish_upload_file(id, Digest::of(" end"), body);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(fs::exists(body));
}

TEST_F(BlobStoreTest, ManifestsAndTagsArePerRepository) {
  const Digest m = store_->put_blob("{}").value();
  ASSERT_TRUE(store_->link_manifest("alice/app", m, "application/vnd.oci.image.manifest.v1+json"));
  EXPECT_TRUE(store_->has_manifest("alice/app", m));
  EXPECT_FALSE(store_->has_manifest("bob/app", m));
  EXPECT_EQ(store_->manifest_media_type("alice/app", m).value(),
            "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(store_->set_tag("alice/app", "v1", m));
  ASSERT_TRUE(store_->set_tag("alice/app", "latest", m));
  EXPECT_EQ(store_->resolve_tag("alice/app", "v1").value(), m);
  expect_detail(store_->resolve_tag("bob/app", "v1").error(), "MANIFEST_UNKNOWN");
  EXPECT_EQ(store_->list_tags("alice/app").value(), (std::vector<std::string>{"latest", "v1"}));
  EXPECT_TRUE(store_->list_tags("bob/app").value().empty());
  EXPECT_EQ(store_->list_manifests("alice/app").value(), std::vector<Digest>{m});
  EXPECT_EQ(store_->list_repositories(), std::vector<std::string>{"alice/app"});

  ASSERT_TRUE(store_->delete_tag("alice/app", "latest"));
  expect_detail(store_->delete_tag("alice/app", "latest").error(), "MANIFEST_UNKNOWN");
  ASSERT_TRUE(store_->unlink_manifest("alice/app", m));
  EXPECT_FALSE(store_->has_manifest("alice/app", m));
  EXPECT_TRUE(store_->list_tags("alice/app").value().empty());  // its tags went with it
  expect_detail(store_->unlink_manifest("alice/app", m).error(), "MANIFEST_UNKNOWN");
  EXPECT_TRUE(store_->list_repositories().empty());
  EXPECT_TRUE(store_->has_blob(m));  // blobs are shared; the collector reclaims them
}

TEST_F(BlobStoreTest, BlobLinksArePerRepository) {
  const Digest d = store_->put_blob("layer").value();
  EXPECT_FALSE(store_->has_blob_link("alice/app", d));
  ASSERT_TRUE(store_->link_blob("alice/app", d));
  EXPECT_TRUE(store_->has_blob_link("alice/app", d));
  EXPECT_FALSE(store_->has_blob_link("bob/app", d));
  expect_detail(store_->link_blob("alice/app", Digest::of("absent")).error(), "BLOB_UNKNOWN");
}

TEST_F(BlobStoreTest, RepositoryNamesMustBeTwoSlugs) {
  const Digest m = store_->put_blob("{}").value();
  for (const std::string& bad :
       std::vector<std::string>{"", "alice", "alice/", "/app", "alice/app/x", "../app", "alice/..",
                                "Alice/app", "alice/a_b", "alice/-app",
                                std::string("alice/a\0b", 9), "alice/" + std::string(64, 'a')}) {
    SCOPED_TRACE(bad);
    auto r = store_->link_manifest(bad, m);
    ASSERT_FALSE(r);
    expect_detail(r.error(), "NAME_INVALID");
    EXPECT_FALSE(store_->set_tag(bad, "v1", m));
    EXPECT_FALSE(store_->list_tags(bad));
    EXPECT_FALSE(store_->has_manifest(bad, m));
  }
  EXPECT_TRUE(validate_repo_name("a/b-2"));
  EXPECT_FALSE(fs::exists(dir_.path().parent_path() / "app"));
}

TEST_F(BlobStoreTest, TagsFollowTheSpecSyntax) {
  for (const std::string& good :
       std::vector<std::string>{"v1", "latest", "_x", "1.0.0-rc.1", std::string(128, 'a')}) {
    EXPECT_TRUE(validate_tag(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{"", ".hidden", "-x", "a/b", "..", "a:b",
                                                         "a b", std::string(129, 'a')}) {
    SCOPED_TRACE(bad);
    auto r = validate_tag(bad);
    ASSERT_FALSE(r);
    expect_detail(r.error(), "TAG_INVALID");
    EXPECT_FALSE(store_->set_tag("alice/app", bad, Digest::of("")));
  }
}

TEST_F(BlobStoreTest, ConcurrentUploadsAndPutsAreSafe) {
  constexpr int kThreads = 4;
  constexpr int kBlobsPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBlobsPerThread; ++i) {
        // Half the content is shared between threads, to race identical writes.
        const std::string content = "blob-" + std::to_string(i % 2 == 0 ? i : t * 100 + i);
        if (!store_->put_blob(content, Digest::of(content))) ++failures;
        auto id = store_->start_upload();
        if (!id) {
          ++failures;
          continue;
        }
        const bool ok = store_->append_upload(*id, content.substr(0, 3)) &&
                        store_->finish_upload(*id, Digest::of(content), content.substr(3)) &&
                        store_->set_tag("alice/app", "t" + std::to_string(t), Digest::of(content));
        if (!ok) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& [digest, mtime] : store_->list_blobs()) {
    EXPECT_EQ(Digest::of(store_->read_blob(digest).value()), digest);
    EXPECT_GT(mtime, 0);
  }
  EXPECT_EQ(store_->list_blobs().size(), 5u + kThreads * 5u);
  EXPECT_EQ(store_->list_tags("alice/app").value().size(), static_cast<std::size_t>(kThreads));
  EXPECT_EQ(files_under("uploads"), 0u);
  EXPECT_EQ(files_under("tmp"), 0u);
}

}  // namespace
}  // namespace orsa::oci
