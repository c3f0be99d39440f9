#include "run_log_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/temp_dir.hpp"

namespace orsa::workers {
namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RunLogFile, ShortLogIsWrittenAsPrintedAndReadableBeforeTheEnd) {
  testing::TempDir dir;
  auto log = RunLogFile::create(dir.path() / "run.log", 1024, 64);
  ASSERT_TRUE(log) << log.error().message;
  log->append_line("iteration 1");
  log->append_line("iteration 2");
  EXPECT_EQ(read(dir.path() / "run.log"), "iteration 1\niteration 2\n");  // live
  ASSERT_TRUE(log->finish());
  EXPECT_EQ(read(dir.path() / "run.log"), "iteration 1\niteration 2\n");
  EXPECT_EQ(log->dropped_bytes(), 0);
}

TEST(RunLogFile, LongLogKeepsItsHeadAndTailAndSaysWhatWasDropped) {
  testing::TempDir dir;
  auto log = RunLogFile::create(dir.path() / "run.log", 100, 30);
  ASSERT_TRUE(log);
  for (int i = 0; i < 1000; ++i) log->append_line("line " + std::to_string(i));
  const std::string live = read(dir.path() / "run.log");
  EXPECT_LE(live.size(), 100u);
  EXPECT_TRUE(live.starts_with("line 0\nline 1\n"));
  ASSERT_TRUE(log->finish());
  const std::string all = read(dir.path() / "run.log");
  EXPECT_TRUE(all.starts_with(live)) << "the file only grows: a follower's offset stays valid";
  EXPECT_TRUE(all.ends_with("line 998\nline 999\n"));
  EXPECT_NE(all.find("bytes of the log were dropped here"), std::string::npos);
  const auto marker_end = all.find(']', live.size()) + 2;
  EXPECT_LE(all.size() - marker_end, 30u);
  EXPECT_TRUE(all.substr(marker_end).starts_with("line ")) << "the tail starts at a whole line";
  std::int64_t total = 0;
  for (int i = 0; i < 1000; ++i)
    total += static_cast<std::int64_t>(("line " + std::to_string(i)).size() + 1);
  EXPECT_EQ(log->dropped_bytes(), total - static_cast<std::int64_t>(live.size()) -
                                      static_cast<std::int64_t>(all.size() - marker_end));
}

TEST(RunLogFile, TailThatFitsIsWrittenWithoutAMarker) {
  testing::TempDir dir;
  auto log = RunLogFile::create(dir.path() / "run.log", 10, 100);
  ASSERT_TRUE(log);
  log->append_line("12345678");
  log->append_line("second line");
  ASSERT_TRUE(log->finish());
  EXPECT_EQ(read(dir.path() / "run.log"), "12345678\nsecond line\n");
}

}  // namespace
}  // namespace orsa::workers
