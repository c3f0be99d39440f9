#include "job_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"
#include "core/temp_dir.hpp"

namespace orsa::runtime::detail {
namespace {

namespace fs = std::filesystem;

class CopyOutputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(out_);
    fs::create_directories(dest_dir_);
  }
  TempDir dir_{"orsa-jobfiles"};
  fs::path out_ = dir_.path() / "out";
  fs::path dest_dir_ = dir_.path() / "store";
  fs::path dest_ = dest_dir_ / "result";
};

TEST_F(CopyOutputFile, CopiesARegularFileAtomically) {
  ASSERT_TRUE(write_file_atomic(out_ / "result.json", R"({"objective": 15})"));
  auto size = copy_output_file(out_, "result.json", dest_, 1024);
  ASSERT_TRUE(size.has_value()) << size.error().message;
  EXPECT_EQ(*size, 17u);
  EXPECT_EQ(read_file(dest_).value_or(""), R"({"objective": 15})");
  // Only the destination: no temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dest_dir_), fs::directory_iterator()), 1);
}

TEST_F(CopyOutputFile, AFileOverTheCapIsTooLargeAndNothingIsWritten) {
  ASSERT_TRUE(write_file_atomic(out_ / "result.json", std::string(2000, 'x')));
  auto size = copy_output_file(out_, "result.json", dest_, 1999);
  ASSERT_FALSE(size.has_value());
  EXPECT_EQ(size.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(size.error().message.find("1999"), std::string::npos) << size.error().message;
  EXPECT_TRUE(fs::is_empty(dest_dir_));
  EXPECT_TRUE(copy_output_file(out_, "result.json", dest_, 2000).has_value());
}

TEST_F(CopyOutputFile, AMissingFileIsNotFound) {
  auto size = copy_output_file(out_, "result.json", dest_, 1024);
  ASSERT_FALSE(size.has_value());
  EXPECT_EQ(size.error().code, ErrorCode::kNotFound);
}

TEST_F(CopyOutputFile, LinksAndFifosAreNeverFollowedOrRead) {
  const fs::path secret = dir_.path() / "secret";
  ASSERT_TRUE(write_file_atomic(secret, "host secret"));
  fs::create_symlink(secret, out_ / "result.json");
  auto linked = copy_output_file(out_, "result.json", dest_, 1024);
  ASSERT_FALSE(linked.has_value());
  EXPECT_EQ(linked.error().code, ErrorCode::kUnprocessable);
  ASSERT_EQ(::mkfifo((out_ / "error.json").c_str(), 0666), 0);
  auto fifo = copy_output_file(out_, "error.json", dest_, 1024);  // returns, never blocks
  ASSERT_FALSE(fifo.has_value());
  EXPECT_EQ(fifo.error().code, ErrorCode::kUnprocessable);
  EXPECT_TRUE(fs::is_empty(dest_dir_));
}

TEST(JobOutputNames, AreTheRunnersFiles) {
  EXPECT_EQ(output_file_name(JobOutput::kResult), "result.json");
  EXPECT_EQ(output_file_name(JobOutput::kError), "error.json");
}

}  // namespace
}  // namespace orsa::runtime::detail
