// RunData on a real directory: content addressing, atomic writes, limits,
// reference-counted release.

#include "runs/run_data.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/files.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::runs {
namespace {

namespace fs = std::filesystem;

class RunDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = RunData::open(dir_.path() / "runs");
    ASSERT_TRUE(opened) << opened.error().message;
    data_ = std::move(*opened);
  }

  std::size_t files_under(const std::string& sub) {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir_.path() / "runs" / sub)) {
      static_cast<void>(entry);
      ++n;
    }
    return n;
  }

  // What the runs table would answer.
  ReferenceCheck referenced_by(const std::set<std::string>& live) {
    return [live](std::string_view digest) -> Result<bool> {
      return live.contains(std::string(digest));
    };
  }

  testing::TempDir dir_{"orsa-run-data"};
  std::unique_ptr<RunData> data_;
};

TEST_F(RunDataTest, TheSameBytesAreStoredOnceUnderTheirDigest) {
  auto first = data_->put(R"({"w":[1,2]})", 1000, "input");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->digest(), oci::Digest::of(R"({"w":[1,2]})").str());
  EXPECT_EQ(first->size(), 11);
  auto second = data_->put(R"({"w":[1,2]})", 1000, "input");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->digest(), first->digest());
  EXPECT_EQ(files_under("sha256"), 1u);
  EXPECT_EQ(files_under("tmp"), 0u);

  auto path = data_->path_of(first->digest());
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(read_file(*path).value(), R"({"w":[1,2]})");
  EXPECT_EQ(data_->open_blob(first->digest())->bytes(), R"({"w":[1,2]})");
  EXPECT_TRUE(data_->put("", 10, "input"));  // an empty body is content too
}

TEST_F(RunDataTest, UnknownAndMalformedDigestsAreRefused) {
  EXPECT_EQ(data_->path_of("sha256:" + std::string(64, 'a')).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(data_->path_of("sha256:../../etc/passwd").error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(data_->open_blob("nonsense"));
}

TEST_F(RunDataTest, LimitsAreEnforcedWhileWritingAndLeaveNothing) {
  auto big = data_->put(std::string(101, 'x'), 100, "the input");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(big.error().message.find("the input exceeds the limit of 100 bytes"), std::string::npos)
      << big.error().message;
  EXPECT_TRUE(data_->put(std::string(100, 'x'), 100, "the input"));

  auto w = data_->writer(10, "the result");
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->append("12345"));
  EXPECT_EQ(files_under("tmp"), 1u);
  auto over = w->append("678901");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(files_under("tmp"), 0u);  // discarded at once
  EXPECT_FALSE(w->commit());
  EXPECT_EQ(files_under("sha256"), 1u);
}

TEST_F(RunDataTest, FilesAreCopiedWithTheLimitAndAbandonedWritesVanish) {
  const fs::path result = dir_.path() / "result.json";
  std::ofstream(result) << R"({"objective":15})";
  auto stored = data_->put_file(result, 1000, "the result");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->digest(), oci::Digest::of(R"({"objective":15})").str());
  EXPECT_TRUE(fs::exists(result));  // a copy: the run's directory is cleaned by its owner
  auto too_big = data_->put_file(result, 5, "the result");
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::kTooLarge);
  EXPECT_FALSE(data_->put_file(dir_.path() / "missing", 5, "the result"));
  {
    auto w = data_->writer(100, "input");
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->append("half"));
  }
  EXPECT_EQ(files_under("tmp"), 0u);
  EXPECT_EQ(files_under("sha256"), 1u);
}

TEST_F(RunDataTest, ReleaseDeletesOnlyWhatNoRunReferencesNorAWritePins) {
  std::string a, b, c;
  {
    auto pa = data_->put("a", 10, "input");
    auto pb = data_->put("b", 10, "input");
    a = pa->digest();
    b = pb->digest();
  }
  auto pinned = data_->put("c", 10, "input");
  ASSERT_TRUE(pinned);
  c = pinned->digest();

  // 'b' is still referenced by a run; 'c' is being submitted (no row yet).
  auto released = data_->release({a, b, c, "garbage"}, referenced_by({b}));
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(*released, 1u);
  EXPECT_FALSE(data_->path_of(a));
  EXPECT_TRUE(data_->path_of(b));
  EXPECT_TRUE(data_->path_of(c));

  // A second pin of the same bytes keeps them while the first goes away.
  auto again = data_->put("c", 10, "input");
  ASSERT_TRUE(again);
  { auto drop = std::move(*pinned); }
  EXPECT_EQ(data_->release({c}, referenced_by({})).value(), 0u);
  { auto drop = std::move(*again); }

  // What a failed submission left behind goes with the next sweep.
  auto swept = data_->sweep(referenced_by({b}));
  ASSERT_TRUE(swept) << swept.error().message;
  EXPECT_EQ(*swept, 1u);
  EXPECT_FALSE(data_->path_of(c));
  EXPECT_TRUE(data_->path_of(b));

  // A failing reference check deletes nothing and says so.
  auto broken = data_->release({b}, [](std::string_view) -> Result<bool> {
    return fail(Error::unavailable("database down"));
  });
  ASSERT_FALSE(broken);
  EXPECT_TRUE(data_->path_of(b));
}

TEST_F(RunDataTest, OpeningAgainClearsInterruptedWrites) {
  std::ofstream(dir_.path() / "runs" / "tmp" / "leftover") << "partial";
  auto stored = data_->put("kept", 10, "input");
  ASSERT_TRUE(stored);
  auto reopened = RunData::open(dir_.path() / "runs");
  ASSERT_TRUE(reopened);
  EXPECT_EQ(files_under("tmp"), 0u);
  EXPECT_TRUE((*reopened)->path_of(stored->digest()));
}

}  // namespace
}  // namespace orsa::runs
